"""What the sync remembers between runs, and the bridge from the engine to the local store.

`SyncState` keeps the change-feed cursor and when the last sync ended, in `sync-state.json` in the
data folder (no personal data: a number and timestamps), rewritten atomically.

Beside them, sealed with the store's data key (`Sealer`; the file is in the store's
`SEALED_MAPS`, so a key rotation re-seals it), what protects a home visit's holders (issue 13):
the branch's offline limits as the central last sent them (enrolment, log-in, device-state
answer), when the last successful sync ended, and the outbox sequence number through which the
supervisor approved the device's batch (`Sealed`). Sealed, not in the configuration or in plain
JSON: the laptop's user cannot raise the limits, move the approval mark or make the last sync
look recent by editing a file (a changed or missing seal reads as nothing kept: the strictest
state, see `Sealed`). `StorePullTarget`
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
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from sync.protocol import OfflineLimits

if TYPE_CHECKING:
    from branch_app.store import CardCache

STATE_FILE = "sync-state.json"
#: Where the sealed part lives in the file, and its blob's context (`prefix + slot`), as the
#: store's `SEALED_MAPS` names them.
SEALED_KEY, SEALED_PREFIX, SEALED_SLOT = "sealed", "sync-state:", "home_visit"
#: The limits of a device the central has never sent any (one enrolled before they existed):
#: the central's own defaults (`central.settings.DEFAULT_MAX_UNSENT`, `..._OFFLINE_HOURS`),
#: kept equal by a test. Conservative: the branch may raise them, the device never guesses.
BUILT_IN_LIMITS = OfflineLimits(max_unsent=30, max_offline_hours=12)


class Sealer(Protocol):
    """Encrypts values bound to a context (the store's `KeySet`)."""

    def encrypt(self, value: Any, context: str) -> str: ...
    def decrypt(self, blob: str, context: str) -> Any: ...


@dataclass(frozen=True)
class Sealed:
    """The sealed part (see the module docstring). Nothing kept (a device from before, or a
    seal that was changed or removed) means: the built-in limits, never a successful sync (so
    the next request waits for one) and no approval (every request ever taken is in the batch)."""

    max_unsent: int | None = None
    max_offline_hours: int | None = None
    limits_at: str | None = None
    last_ok_sync_at: str | None = None  # ISO 8601 UTC, when the last successful sync ended
    approved_through: int = 0  # the outbox seq through which the supervisor approved the batch
    approved_at: str | None = None


@dataclass(frozen=True)
class SyncMemory:
    cursor: int | None = None
    last_sync_at: str | None = None  # ISO 8601 UTC, when the last run ended
    last_sync_ok: bool | None = None
    last_error: str | None = None  # an i18n key


class SyncState:
    """The sync's small memory file; thread-safe."""

    def __init__(self, path: Path, sealer: Sealer | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._memory = SyncMemory()
        self._sealer = sealer
        self._sealed = Sealed()
        self._blob: str | None = None
        if path.exists():
            data = orjson.loads(path.read_bytes())
            known = {k: v for k, v in data.items() if k in SyncMemory.__dataclass_fields__}
            self._memory = SyncMemory(**known)
            blob = (data.get(SEALED_KEY) or {}).get(SEALED_SLOT)
            self._blob = blob if isinstance(blob, str) else None
            self._sealed = self._unsealed(self._blob)

    @classmethod
    def in_folder(cls, data_dir: Path | str, sealer: Sealer | None = None) -> SyncState:
        return cls(Path(data_dir) / STATE_FILE, sealer)

    def _unsealed(self, blob: str | None) -> Sealed:
        if blob is None or self._sealer is None:
            return Sealed()
        try:
            data = self._sealer.decrypt(blob, SEALED_PREFIX + SEALED_SLOT)
            known = {k: v for k, v in data.items() if k in Sealed.__dataclass_fields__}
            return Sealed(**known)
        except (LookupError, ValueError, TypeError, AttributeError):
            return Sealed()  # changed or not ours: the strictest state

    @property
    def memory(self) -> SyncMemory:
        return self._memory

    def _save(self, memory: SyncMemory, sealed: Sealed | None = None) -> None:
        from branch_app.store import write_atomically

        with self._lock:
            blob = self._blob
            if sealed is not None and self._sealer is not None:
                blob = self._sealer.encrypt(asdict(sealed), SEALED_PREFIX + SEALED_SLOT)
            document: dict[str, Any] = asdict(memory)
            if blob is not None:
                document[SEALED_KEY] = {SEALED_SLOT: blob}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, orjson.dumps(document))
            self._memory = memory
            self._blob = blob
            if sealed is not None:
                self._sealed = sealed

    def _seal(self, **changes: Any) -> None:
        self._save(self._memory, replace(self._sealed, **changes))

    # -- the home visit's limits (sealed) -------------------------------------------------------

    @property
    def sealed(self) -> Sealed:
        return self._sealed

    def offline_limits(self) -> OfflineLimits:
        """The branch's limits as the central last sent them; `BUILT_IN_LIMITS` before any."""
        kept = self._sealed
        if kept.max_unsent is None or kept.max_offline_hours is None:
            return BUILT_IN_LIMITS
        return OfflineLimits(max_unsent=kept.max_unsent, max_offline_hours=kept.max_offline_hours)

    def save_limits(self, limits: OfflineLimits | None, at: dt.datetime | None = None) -> None:
        """Keep the limits an answer of the central carried (None: an older central sent none)."""
        if limits is None:
            return
        if (self._sealed.max_unsent, self._sealed.max_offline_hours) == (
            limits.max_unsent,
            limits.max_offline_hours,
        ):
            return  # nothing new: no write
        self._seal(
            max_unsent=limits.max_unsent,
            max_offline_hours=limits.max_offline_hours,
            limits_at=_iso(at),
        )

    def enrolled(
        self, limits: OfflineLimits | None, *, approved_through: int, at: dt.datetime | None = None
    ) -> None:
        """A new enrolment reached the central: its limits, the enrolment as the last time the
        central was reached, and nothing taken before it in the batch."""
        when = _iso(at)
        changes: dict[str, Any] = {
            "last_ok_sync_at": when,
            "approved_through": approved_through,
            "approved_at": when,
        }
        if limits is not None:
            changes.update(
                max_unsent=limits.max_unsent,
                max_offline_hours=limits.max_offline_hours,
                limits_at=when,
            )
        self._seal(**changes)

    def last_successful_sync(self) -> dt.datetime | None:
        when = self._sealed.last_ok_sync_at
        return dt.datetime.fromisoformat(when) if when else None

    def approved_through(self) -> int:
        return self._sealed.approved_through

    def approve_batch(self, through: int, at: dt.datetime | None = None) -> None:
        """The supervisor approved the batch through outbox seq `through`: the limit opens."""
        self._seal(
            approved_through=max(int(through), self._sealed.approved_through), approved_at=_iso(at)
        )

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
            ),
            replace(self._sealed, last_ok_sync_at=_iso(at)) if ok else None,
        )

    def last_sync(self) -> dt.datetime | None:
        when = self._memory.last_sync_at
        return dt.datetime.fromisoformat(when) if when else None


def _iso(at: dt.datetime | None) -> str:
    return (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat()


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
        self.card_cache.keep_page(records, source="pull")

    def load_cursor(self) -> int | None:
        return self.state.load_cursor()

    def save_cursor(self, cursor: int) -> None:
        self.state.save_cursor(cursor)
