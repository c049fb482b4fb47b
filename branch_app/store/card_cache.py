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

from tinydb import TinyDB
from tinydb.table import Table

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
        self._table: Table = TinyDB(storage=lambda: self._storage).table(TABLE, cache_size=0)
        self._by_card: dict[str, int] = {}
        for doc_id, doc in self._storage.read().get(TABLE, {}).items():
            problem = _entry_problem(doc)
            if problem is not None:
                raise StoreCorrupt(self._storage.path, f"card cache record {doc_id}: {problem}")
            self._by_card[doc["card"]] = int(doc_id)

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

    def _stage(
        self, record: Mapping[str, Any], fetched_at: str, source: str
    ) -> Callable[[], None] | None:
        """The change that stores `record`, or None when a newer version is already kept."""
        holder_id = record.get("holder_id")
        if not isinstance(holder_id, str) or not holder_id:
            raise ValueError("a card record needs its holder_id")
        version = record.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("a card record needs an integer version")
        found = self._find(holder_id)
        if found is not None and found[1]["version"] > version:
            return None
        ref = found[1]["ref"] if found is not None else uuid.uuid4().hex
        doc: dict[str, Any] = {
            "ref": ref,
            "card": self._keys.card_key(holder_id),
            "version": version,
            "fetched_at": fetched_at,
            "source": source,
            "record": self._keys.encrypt(dict(record), f"cache:{ref}:record"),
        }

        def change() -> None:
            if found is not None:
                self._table.remove(doc_ids=[found[0]])
                self._by_card.pop(found[1]["card"], None)
            doc_id = self._table.insert(doc)
            self._by_card[doc["card"]] = doc_id

        return change

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
        """Keep many records in one durable write (a pull's page of changes)."""
        dicts = [record_as_dict(r) for r in records]
        with self._lock:
            stamp = utc_iso(fetched_at or self._clock())

            def change() -> None:
                # each record is staged against the state left by the ones before it
                for record in dicts:
                    staged = self._stage(record, stamp, source)
                    if staged is not None:
                        staged()

            self._write(change)
            return [self.get(r["holder_id"]) for r in dicts]  # type: ignore[misc]

    def get(self, holder_id: str) -> CachedRecord | None:
        with self._lock:
            found = self._find(holder_id)
            return None if found is None else self._decode(found[1])

    def remove(self, holder_id: str) -> bool:
        with self._lock:
            found = self._find(holder_id)
            if found is None:
                return False
            self._write(lambda: self._table.remove(doc_ids=[found[0]]))
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
                self._write(lambda: self._table.remove(doc_ids=old))
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
