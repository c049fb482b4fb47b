"""The card cache: card records seen at the counter or fetched ahead, for working offline.

Each entry holds a record in `branch_app.domain.lifecycle.record_to_dict` form, its version, when
it was fetched and from where (`counter`, `pull`, `lookup`, `outbox`). The record is AES-GCM
encrypted; the entry is found by the card key (keyed hash of the ID number). A record never
replaces a newer version of itself, so a late pull cannot undo what the counter already saw.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from branch_app.store.crypto import KeySet
from branch_app.store.errors import DecryptionFailed, StoreCorrupt
from branch_app.store.outbox import utc_iso
from branch_app.store.storage import AtomicJSONStorage

if TYPE_CHECKING:
    from branch_app.domain.lifecycle import CardRecord

#: What the cache keeps: a domain CardRecord, or its `record_to_dict` mapping.
RecordLike: TypeAlias = "Mapping[str, Any] | CardRecord"

TABLE = "records"


@dataclass(frozen=True)
class CachedRecord:
    holder_id: str
    record: dict[str, Any]
    version: int
    fetched_at: str
    source: str


def record_as_dict(record: RecordLike) -> dict[str, Any]:
    """Accept a `record_to_dict` mapping or a domain CardRecord."""
    if isinstance(record, Mapping):
        return dict(record)
    from branch_app.domain.lifecycle import record_to_dict  # the domain is built alongside

    return dict(record_to_dict(record))


def _checked(record: dict[str, Any]) -> dict[str, Any]:
    """The record, if it names its holder and an integer version (else ValueError, before
    anything is written)."""
    holder_id = record.get("holder_id")
    if not isinstance(holder_id, str) or not holder_id:
        raise ValueError("a card record needs its holder_id")
    version = record.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError("a card record needs an integer version")
    return record


def _entry_problem(doc: Mapping[str, Any]) -> str | None:
    for key, kind in (("ref", str), ("card", str), ("version", int), ("fetched_at", str)):
        if not isinstance(doc.get(key), kind):
            return f"field {key!r} missing or of the wrong type"
    if not isinstance(doc.get("record"), str):
        return "field 'record' missing or of the wrong type"
    return None


class CardCache:
    """Encrypted card records by keyed hash of the holder's ID number. Thread-safe."""

    def __init__(
        self,
        storage: AtomicJSONStorage,
        keys: KeySet,
        *,
        clock: Callable[[], datetime],
        lock: threading.RLock,
    ) -> None:
        self._storage = storage
        self._keys = keys
        self._clock = clock
        self._lock = lock
        self._reindex()

    @property
    def path(self) -> Path:
        return self._storage.path

    def _reindex(self) -> None:
        self._by_card: dict[str, int] = {}
        for doc_id, doc in self._storage.read().get(TABLE, {}).items():
            problem = _entry_problem(doc)
            if problem is not None:
                raise StoreCorrupt(self._storage.path, f"card cache record {doc_id}: {problem}")
            self._by_card[doc["card"]] = int(doc_id)
        self._next_id = max(self._by_card.values(), default=0) + 1

    def _live_table(self) -> dict[str, dict[str, Any]]:
        """The stored table itself, changed in place inside a transaction: TinyDB's own insert
        rebuilds the whole table twice per call, which made a page of 500 records cost 0.4 s in
        a cache of 4,000 (one sync batch's answers are such a page). The change reaches the
        disk through `mark_dirty` and the transaction's one write."""
        return self._storage.read().setdefault(TABLE, {})

    def _find(self, holder_id: str) -> tuple[int, dict[str, Any]] | None:
        for card in self._keys.card_keys_for(holder_id):
            doc_id = self._by_card.get(card)
            if doc_id is not None:
                return doc_id, self._storage.read()[TABLE][str(doc_id)]
        return None

    def _decode(self, doc: Mapping[str, Any]) -> CachedRecord:
        try:
            record = self._keys.decrypt(doc["record"], f"cache:{doc['ref']}:record")
        except (LookupError, ValueError):
            raise DecryptionFailed(self._storage.path, f"card cache entry {doc['ref']}") from None
        return CachedRecord(
            holder_id=str(record.get("holder_id", "")),
            record=record,
            version=doc["version"],
            fetched_at=doc["fetched_at"],
            source=doc.get("source", ""),
        )

    def _write(self, change: Callable[[], object]) -> None:
        try:
            with self._storage.transaction():
                change()
        except BaseException:
            self._reindex()
            raise

    def _stage(self, record: Mapping[str, Any], fetched_at: str, source: str) -> bool:
        """Store `record` (checked by `_checked`) in the live table, inside a transaction;
        False when a newer version is already kept."""
        holder_id: str = record["holder_id"]
        version: int = record["version"]
        found = self._find(holder_id)
        if found is not None and found[1]["version"] > version:
            return False
        ref = found[1]["ref"] if found is not None else uuid.uuid4().hex
        doc: dict[str, Any] = {
            "ref": ref,
            "card": self._keys.card_key(holder_id),
            "version": version,
            "fetched_at": fetched_at,
            "source": source,
            "record": self._keys.encrypt(dict(record), f"cache:{ref}:record"),
        }
        table = self._live_table()
        if found is not None:
            del table[str(found[0])]
            self._by_card.pop(found[1]["card"], None)
        doc_id, self._next_id = self._next_id, self._next_id + 1
        table[str(doc_id)] = doc
        self._by_card[doc["card"]] = doc_id
        return True

    def put(
        self, record: RecordLike, *, fetched_at: datetime | None = None, source: str = "counter"
    ) -> CachedRecord:
        """Keep a record (unless a newer version is already kept); returns what is kept now."""
        return self.put_many([record], fetched_at=fetched_at, source=source)[0]

    def put_many(
        self,
        records: Iterable[RecordLike],
        *,
        fetched_at: datetime | None = None,
        source: str = "pull",
    ) -> list[CachedRecord]:
        """Keep many records in one durable write; what is kept now for each, in order."""
        dicts = [_checked(record_as_dict(r)) for r in records]
        with self._lock:
            stamp = utc_iso(fetched_at or self._clock())
            standing = self._keep(dicts, stamp, source)
            kept: dict[str, CachedRecord | None] = {
                holder_id: CachedRecord(
                    holder_id=holder_id,
                    record=record,
                    version=record["version"],
                    fetched_at=stamp,
                    source=source,
                )
                if record is not None
                else self.get(holder_id)  # a newer version was kept before
                for holder_id, record in standing.items()
            }
            return [kept[record["holder_id"]] for record in dicts]  # type: ignore[misc]

    def keep_page(self, records: Iterable[Mapping[str, Any]], *, source: str = "pull") -> None:
        """`put_many` without reading back what is kept: a pull's page of changes, or a sync
        batch's answers (their records are written; nobody waits for them)."""
        dicts = [_checked(dict(r)) for r in records]
        with self._lock:
            self._keep(dicts, utc_iso(self._clock()), source)

    def _keep(
        self, dicts: list[dict[str, Any]], stamp: str, source: str
    ) -> dict[str, dict[str, Any] | None]:
        """Write a page in one durable write; for each holder, its record written (None: a
        newer version was kept before).

        Of several records of one holder in the page only the one that would be left standing
        is written (the highest version, the later of equals): a batch carrying a card's whole
        life names it six times, and each write is an encryption."""
        standing: dict[str, dict[str, Any]] = {}
        for record in dicts:
            before = standing.get(record["holder_id"])
            if before is None or before["version"] <= record["version"]:
                standing[record["holder_id"]] = record
        written: dict[str, dict[str, Any] | None] = {}

        def change() -> None:
            for holder_id, record in standing.items():
                written[holder_id] = record if self._stage(record, stamp, source) else None
            self._storage.mark_dirty()

        self._write(change)
        return written

    def get(self, holder_id: str) -> CachedRecord | None:
        with self._lock:
            found = self._find(holder_id)
            return None if found is None else self._decode(found[1])

    def remove(self, holder_id: str) -> bool:
        with self._lock:
            found = self._find(holder_id)
            if found is None:
                return False

            def change() -> None:
                del self._live_table()[str(found[0])]
                self._storage.mark_dirty()

            self._write(change)
            self._by_card.pop(found[1]["card"], None)
            return True

    def all(self) -> list[CachedRecord]:
        with self._lock:
            return [self._decode(doc) for doc in self._storage.read().get(TABLE, {}).values()]

    def prune(self, fetched_before: datetime) -> int:
        """Forget records fetched before the given moment; returns how many went."""
        cutoff = utc_iso(fetched_before)
        with self._lock:
            old = [
                int(doc_id)
                for doc_id, doc in self._storage.read().get(TABLE, {}).items()
                if doc["fetched_at"] < cutoff
            ]
            if old:

                def change() -> None:
                    table = self._live_table()
                    for doc_id in old:
                        del table[str(doc_id)]
                    self._storage.mark_dirty()

                self._write(change)
                self._reindex()
            return len(old)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_card)

    def reencrypt(self) -> int:
        """Re-seal every record and card key under the current keys (key rotation)."""
        with self._lock:
            changed = 0

            def change() -> None:
                nonlocal changed
                for doc in self._storage.read().get(TABLE, {}).values():
                    context = f"cache:{doc['ref']}:record"
                    record = self._keys.decrypt(doc["record"], context)
                    if self._keys.blob_key_id(doc["record"]) != self._keys.data_current:
                        doc["record"] = self._keys.encrypt(record, context)
                        changed += 1
                    if not doc["card"].startswith(self._keys.card_current + ":"):
                        doc["card"] = self._keys.card_key(record["holder_id"])
                        changed += 1
                self._storage.mark_dirty()

            self._write(change)
            self._reindex()
            return changed

    def verify_all(self) -> int:
        return len(self.all())
