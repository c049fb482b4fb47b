"""Monthly archive files for answered outbox items, and their retention.

Accepted and merged items leave the live outbox for `archive/outbox-YYYY-MM.json` (the month the
command was made), so the live file that every enqueue rewrites stays small. Archive files use
the same crash-safe storage and envelope, and keep the fields encrypted exactly as they were.
Adding is idempotent (an id already present is skipped), which is what lets the outbox recover
from a crash between writing the archive and shrinking the live file.

Retention: files for months older than `retention_months` are deleted by `prune` (the
`branch-app store archive` command); only items the central accepted ever reach an archive.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from branch_app.store import schema
from branch_app.store.crypto import KeySet
from branch_app.store.outbox import TABLE, OutboxItem, decode_item, doc_problem, reseal_item
from branch_app.store.storage import AtomicJSONStorage, remove_temp_files

ARCHIVE_DIR = "archive"
_NAME = re.compile(r"^outbox-(\d{4})-(\d{2})\.json$")


def month_of(made_at: str) -> str:
    """`2026-11` from an ISO timestamp."""
    return made_at[:7]


def months_between(earlier: str, later: date) -> int:
    year, month = int(earlier[:4]), int(earlier[5:7])
    return (later.year - year) * 12 + (later.month - month)


class OutboxArchive:
    """The archive folder: one file per month, opened only when needed (never kept in memory)."""

    def __init__(self, data_dir: Path, keys: KeySet) -> None:
        self.folder = Path(data_dir) / ARCHIVE_DIR
        self._keys = keys

    def path_for(self, month: str) -> Path:
        return self.folder / f"outbox-{month}.json"

    def months(self) -> list[str]:
        """Months with an archive file, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for entry in self.folder.iterdir():
            match = _NAME.match(entry.name)
            if match:
                found.append(f"{match.group(1)}-{match.group(2)}")
        return sorted(found, reverse=True)

    def files(self) -> list[Path]:
        return [self.path_for(m) for m in self.months()]

    def cleanup(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_temp_files(self.folder)

    def _open(self, month: str, *, create: bool) -> AtomicJSONStorage:
        return AtomicJSONStorage.open(self.path_for(month), schema.OUTBOX_ARCHIVE, create=create)

    def add(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Append stored items (as they are, still encrypted) to their months; returns new ones."""
        by_month: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for doc in docs:
            by_month[month_of(doc["made_at"])].append(doc)
        added = 0
        self.folder.mkdir(parents=True, exist_ok=True)
        for month, month_docs in sorted(by_month.items()):
            storage = self._open(month, create=True)
            table = TinyDB(storage=lambda s=storage: s).table(TABLE, cache_size=0)
            present = {d["id"] for d in storage.read().get(TABLE, {}).values()}
            fresh = [d for d in month_docs if d["id"] not in present]
            if not fresh:
                continue
            table.insert_multiple(Document(dict(doc), doc_id=doc["seq"]) for doc in fresh)
            added += len(fresh)
        return added

    def docs(self, month: str) -> list[dict[str, Any]]:
        """The stored (encrypted) items of one month, in sequence order."""
        storage = self._open(month, create=False)
        raw = storage.read().get(TABLE, {})
        for doc_id, doc in raw.items():
            problem = doc_problem(doc)
            if problem is not None:
                from branch_app.store.errors import StoreCorrupt

                raise StoreCorrupt(storage.path, f"archived record {doc_id}: {problem}")
        return sorted(raw.values(), key=lambda d: d["seq"])

    def all_docs(self) -> list[dict[str, Any]]:
        return [doc for month in reversed(self.months()) for doc in self.docs(month)]

    def contains(self, item_id: str) -> bool:
        return any(doc["id"] == item_id for doc in self.all_docs())

    def get(self, item_id: str) -> OutboxItem | None:
        for month in self.months():
            for doc in self.docs(month):
                if doc["id"] == item_id:
                    return decode_item(doc, self._keys, self.path_for(month))
        return None

    def highest_seq(self) -> int:
        return max((doc["seq"] for doc in self.all_docs()), default=0)

    def prune(self, retention_months: int, today: date) -> list[Path]:
        """Delete month files older than the retention period; returns the files deleted."""
        removed = []
        for month in self.months():
            if months_between(month, today) > retention_months:
                path = self.path_for(month)
                path.unlink()
                removed.append(path)
        return removed

    def reencrypt(self) -> int:
        """Re-seal every archived item under the current keys (key rotation)."""
        changed = 0
        for month in self.months():
            storage = self._open(month, create=False)
            with storage.transaction():
                month_changed = sum(
                    1
                    for doc in storage.read().get(TABLE, {}).values()
                    if reseal_item(doc, self._keys)
                )
                if month_changed:
                    storage.mark_dirty()
            changed += month_changed
        return changed

    def verify_all(self) -> int:
        checked = 0
        for month in self.months():
            for doc in self.docs(month):
                decode_item(doc, self._keys, self.path_for(month))
                checked += 1
        return checked
