"""Monthly archive files for answered outbox items, and their retention.

Accepted and merged items (and quarantined items a supervisor closed) leave the live outbox for
the archive folder, grouped by the month the command was made, so the live file that every
enqueue rewrites stays small. Each archiving writes a *new part* for each month it touches,
`archive/outbox-YYYY-MM.<lowest seq>.json`, and never rewrites the earlier parts, so its cost is
that of the items moved, not of the archive's size. Parts use the same crash-safe storage and
envelope, and keep the fields encrypted exactly as they were.

Adding is idempotent: after a crash between writing a part and shrinking the live file, the next
open archives the same items again, which names the same part (same lowest sequence number); the
ids already in it are skipped. Retention: every part of a month older than `retention_months` is
deleted by `prune` (the `branch-app store archive` command); only items the central answered for
good ever reach an archive.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from branch_app.store import schema
from branch_app.store.crypto import KeySet
from branch_app.store.errors import StoreCorrupt
from branch_app.store.outbox import TABLE, OutboxItem, decode_item, doc_problem, reseal_item
from branch_app.store.storage import AtomicJSONStorage, remove_temp_files

ARCHIVE_DIR = "archive"
#: `outbox-2026-11.json` (one whole month, as recovery writes it) or `outbox-2026-11.000000123.json`.
_NAME = re.compile(r"^outbox-(\d{4})-(\d{2})(?:\.(\d+))?\.json$")


def month_of(made_at: str) -> str:
    """`2026-11` from an ISO timestamp."""
    return made_at[:7]


def months_between(earlier: str, later: date) -> int:
    year, month = int(earlier[:4]), int(earlier[5:7])
    return (later.year - year) * 12 + (later.month - month)


class OutboxArchive:
    """The archive folder: parts per month, opened only when needed (never kept in memory)."""

    def __init__(self, data_dir: Path, keys: KeySet) -> None:
        self.folder = Path(data_dir) / ARCHIVE_DIR
        self._keys = keys

    def part_for(self, month: str, lowest_seq: int) -> Path:
        return self.folder / f"outbox-{month}.{lowest_seq:09d}.json"

    def _parts(self) -> dict[str, list[Path]]:
        found: dict[str, list[Path]] = defaultdict(list)
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                match = _NAME.match(entry.name)
                if match:
                    found[f"{match.group(1)}-{match.group(2)}"].append(entry)
        return {month: sorted(paths) for month, paths in found.items()}

    def months(self) -> list[str]:
        """Months with archived items, newest first."""
        return sorted(self._parts(), reverse=True)

    def parts(self, month: str) -> list[Path]:
        return self._parts().get(month, [])

    def parts_starting_at(self, seqs: Iterable[int]) -> list[Path]:
        """The parts whose name (lowest sequence number) is one of `seqs`, found from the
        folder listing alone. A part is named by the lowest number among its items, so a part
        written just before a crash, whose items are all still in the live file, is named by
        the number of an item still live: this is how `Outbox` finds it again at open."""
        wanted = set(seqs)
        found = []
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                match = _NAME.match(entry.name)
                if match and match.group(3) is not None and int(match.group(3)) in wanted:
                    found.append(entry)
        return sorted(found)

    def part_docs(self, path: Path) -> list[dict[str, Any]]:
        """The stored (encrypted) items of one part."""
        return self._part_docs(path)

    def files(self) -> list[Path]:
        parts = self._parts()
        return [path for month in sorted(parts) for path in parts[month]]

    def cleanup(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_temp_files(self.folder)

    def add(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Write stored items (as they are, still encrypted) to a new part per month; returns
        how many were not already there."""
        by_month: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for doc in docs:
            by_month[month_of(doc["made_at"])].append(doc)
        added = 0
        self.folder.mkdir(parents=True, exist_ok=True)
        for month, month_docs in sorted(by_month.items()):
            path = self.part_for(month, min(d["seq"] for d in month_docs))
            if path.exists():  # written before a crash: add only what is missing
                storage = AtomicJSONStorage.open(path, schema.OUTBOX_ARCHIVE, create=False)
            else:
                envelope = schema.new_envelope(schema.OUTBOX_ARCHIVE)
                storage = AtomicJSONStorage.in_memory(path, schema.OUTBOX_ARCHIVE, envelope)
            present = {d["id"] for d in storage.read().get(TABLE, {}).values()}
            fresh = [d for d in month_docs if d["id"] not in present]
            if not fresh:
                continue
            with storage.transaction():  # one durable write for the part
                table = storage.read().setdefault(TABLE, {})
                for doc in fresh:
                    table[str(doc["seq"])] = dict(doc)
                storage.mark_dirty()
            added += len(fresh)
        return added

    def _part_docs(self, path: Path) -> list[dict[str, Any]]:
        storage = AtomicJSONStorage.open(path, schema.OUTBOX_ARCHIVE, create=False)
        raw = storage.read().get(TABLE, {})
        for doc_id, doc in raw.items():
            problem = doc_problem(doc)
            if problem is not None:
                raise StoreCorrupt(path, f"archived record {doc_id}: {problem}")
        return list(raw.values())

    def docs(self, month: str) -> list[dict[str, Any]]:
        """The stored (encrypted) items of one month, in sequence order."""
        docs = [doc for path in self.parts(month) for doc in self._part_docs(path)]
        return sorted(docs, key=lambda d: d["seq"])

    def all_docs(self) -> list[dict[str, Any]]:
        return [doc for month in reversed(self.months()) for doc in self.docs(month)]

    def contains(self, item_id: str) -> bool:
        return self.get_doc(item_id) is not None

    def get_doc(self, item_id: str) -> tuple[Path, dict[str, Any]] | None:
        for path in reversed(self.files()):  # newest parts first
            for doc in self._part_docs(path):
                if doc["id"] == item_id:
                    return path, doc
        return None

    def get(self, item_id: str) -> OutboxItem | None:
        found = self.get_doc(item_id)
        return None if found is None else decode_item(found[1], self._keys, found[0])

    def highest_seq(self) -> int:
        return max((doc["seq"] for doc in self.all_docs()), default=0)

    def prune(self, retention_months: int, today: date) -> list[Path]:
        """Delete every part of the months older than the retention; returns the files deleted."""
        removed = []
        for month, paths in sorted(self._parts().items()):
            if months_between(month, today) > retention_months:
                for path in paths:
                    path.unlink()
                    removed.append(path)
        return removed

    def reencrypt(self) -> int:
        """Re-seal every archived item under the current keys (key rotation)."""
        changed = 0
        for path in self.files():
            storage = AtomicJSONStorage.open(path, schema.OUTBOX_ARCHIVE, create=False)
            with storage.transaction():
                part_changed = sum(
                    1
                    for doc in storage.read().get(TABLE, {}).values()
                    if reseal_item(doc, self._keys)
                )
                if part_changed:
                    storage.mark_dirty()
            changed += part_changed
        return changed

    def verify_all(self) -> int:
        checked = 0
        for path in self.files():
            for doc in self._part_docs(path):
                decode_item(doc, self._keys, path)
                checked += 1
        return checked
