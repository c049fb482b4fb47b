"""What the sync remembers between runs, and the bridge from the engine to the local store.

`SyncState` keeps the change-feed cursor and when the last sync ended, in `sync-state.json` in the
data folder (no personal data: a number and timestamps), rewritten atomically. `StorePullTarget`
hands pulled records to the store's card cache, then moves the cursor: the cache write is durable
before the cursor passes it, so a crash between the two only means one page is pulled again (the
cache never replaces a newer version with an older one).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from branch_app.store import CardCache

STATE_FILE = "sync-state.json"


@dataclass(frozen=True)
class SyncMemory:
    cursor: int | None = None
    last_sync_at: str | None = None  # ISO 8601 UTC, when the last run ended
    last_sync_ok: bool | None = None
    last_error: str | None = None  # an i18n key


class SyncState:
    """The sync's small memory file; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._memory = SyncMemory()
        if path.exists():
            data = orjson.loads(path.read_bytes())
            known = {k: v for k, v in data.items() if k in SyncMemory.__dataclass_fields__}
            self._memory = SyncMemory(**known)

    @classmethod
    def in_folder(cls, data_dir: Path | str) -> SyncState:
        return cls(Path(data_dir) / STATE_FILE)

    @property
    def memory(self) -> SyncMemory:
        return self._memory

    def _save(self, memory: SyncMemory) -> None:
        from branch_app.store import write_atomically

        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, orjson.dumps(asdict(memory)))
            self._memory = memory

    def load_cursor(self) -> int | None:
        return self._memory.cursor

    def save_cursor(self, cursor: int) -> None:
        self._save(replace(self._memory, cursor=int(cursor)))

    def finished(self, *, ok: bool, error: str | None, at: dt.datetime | None = None) -> None:
        at = at or dt.datetime.now(dt.UTC)
        self._save(
            replace(
                self._memory,
                last_sync_at=at.astimezone(dt.UTC).isoformat(),
                last_sync_ok=ok,
                last_error=error,
            )
        )

    def last_sync(self) -> dt.datetime | None:
        when = self._memory.last_sync_at
        return dt.datetime.fromisoformat(when) if when else None


class StorePullTarget:
    """The engine's `PullTarget` over a `LocalStore`'s card cache and a `SyncState`."""

    def __init__(self, card_cache: CardCache, state: SyncState) -> None:
        self.card_cache = card_cache
        self.state = state

    def apply_changes(self, changes: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """One durable cache write for a page of records."""
        records = []
        for holder_id, record in changes:
            record = dict(record)
            record.setdefault("holder_id", holder_id)
            records.append(record)
        self.card_cache.put_many(records, source="pull")

    def load_cursor(self) -> int | None:
        return self.state.load_cursor()

    def save_cursor(self, cursor: int) -> None:
        self.state.save_cursor(cursor)
