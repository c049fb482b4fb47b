"""What the application services ask of the parts around them, as small `typing.Protocol`s.

The counter (`services.counter`) and the supervisor's work (`services.supervisor`) depend on these,
never on the concrete classes: the store's `Outbox`, `CardCache` and `AuditJournal` (bundled by
`LocalStore`), the sync service (`sync.service.SyncService`: its client, its staff login) and the
clock. The concrete classes satisfy them structurally; mypy checks it where they are wired (the
screens, the composition root) and a test's fake has to keep up with a renamed method.

The values that cross (an outbox item, a cached record, an audit entry, the wire's models) are the
concrete frozen dataclasses and pydantic models: data, not behaviour. They are imported for type
checking only, so importing this module costs nothing at start-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from branch_app.domain.identity import IdentityKind
    from branch_app.domain.lifecycle import CardRecord
    from branch_app.domain.vocabulary import CentralKnew, ConflictStatus, VisitNeed
    from branch_app.store.audit import AuditEntry, AuditVerification
    from branch_app.store.audit_search import AuditFound, AuditQuery
    from branch_app.store.card_cache import CachedRecord
    from branch_app.store.outbox import OutboxItem, Signatures
    from branch_app.store.visits import Visit
    from sync.protocol import (
        ConflictView,
        DevicesResponse,
        LookupRequest,
        LookupResponse,
        OfflineLimits,
        PushCommand,
        ResolveConflictRequest,
        ResolveConflictResponse,
    )

#: The counter's clock: timezone-aware local time (the desk's today is its date).
Clock = Callable[[], dt.datetime]


class Outbox(Protocol):
    """The durable queue of commands for the central (`branch_app.store.outbox.Outbox`)."""

    def enqueue(
        self,
        kind: str,
        holder_id: str,
        payload: Mapping[str, Any],
        *,
        base_version: int | None,
        actor: str,
        device: str,
        branch: str,
        holder_kind: IdentityKind | None = None,
    ) -> OutboxItem:
        """Queue a command; durable when it returns. `holder_kind`: the holder's document."""
        ...

    def for_holder(self, holder_id: str) -> Sequence[OutboxItem]:
        """Live items about one holder, oldest first."""
        ...

    def items(self, status: str | Iterable[str] | None = None) -> Sequence[OutboxItem]:
        """Live items in sequence order, all or those with the given status(es)."""
        ...

    def get(self, item_id: str) -> OutboxItem:
        """The item with this id (live or archived); `UnknownItem` when there is none."""
        ...

    def __contains__(self, item_id: object) -> bool: ...

    def counts(self) -> Mapping[str, int]:
        """Items per status, archived ones included."""
        ...

    def oldest_unsent(self) -> OutboxItem | None: ...

    def close_quarantined(self, ids: Iterable[str], *, actor: str, note: str) -> int:
        """A supervisor closes conflicts or rejections with a note; how many were closed."""
        ...


class CardCache(Protocol):
    """The records this device knows (`branch_app.store.card_cache.CardCache`)."""

    def get(self, holder_id: str) -> CachedRecord | None: ...

    def put(self, record: CardRecord | Mapping[str, Any], *, source: str = ...) -> CachedRecord:
        """Keep a record unless a newer version is kept; what is kept now."""
        ...


class AuditJournal(Protocol):
    """The local, hash-chained journal of who did what (`branch_app.store.audit.AuditJournal`)."""

    def record(
        self,
        action: str,
        *,
        actor: str,
        holder_id: str | None = None,
        reason: str = "",
        device: str = "",
        branch: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry; durable when it returns."""
        ...

    def entries(
        self, *, holder_id: str | None = None, limit: int | None = None
    ) -> Sequence[AuditEntry]:
        """Entries oldest first."""
        ...


class ReviewedJournal(AuditJournal, Protocol):
    """The journal as a supervisor reviews it: it also checks its own chain."""

    def verify(self) -> AuditVerification:
        """Walk the chain; where it breaks and why, or how many entries are whole."""
        ...


class AuditReader(Protocol):
    """Searches the journal by its fields in clear, decrypting only what it returns
    (`branch_app.store.audit_search.JournalReader`)."""

    def pseudonym(self, holder_id: str) -> str:
        """The keyed hash the journal names a holder by."""
        ...

    def find(self, query: AuditQuery) -> AuditFound:
        """The matching entries, newest first."""
        ...

    def actions(self) -> Sequence[str]:
        """Every action code in the journal."""
        ...


class Store(Protocol):
    """The open data folder as the services use it (`branch_app.store.LocalStore`)."""

    @property
    def outbox(self) -> Outbox: ...

    @property
    def card_cache(self) -> CardCache: ...

    @property
    def audit(self) -> AuditJournal: ...

    def accept(
        self,
        kind: str,
        holder_id: str,
        payload: Mapping[str, Any],
        *,
        base_version: int | None,
        actor: str,
        device: str,
        branch: str,
        holder_kind: IdentityKind | None = None,
        action: str,
        reason: str,
        detail: Mapping[str, Any],
        sign: Callable[[OutboxItem], Signatures] | None = None,
    ) -> tuple[OutboxItem, AuditEntry | None]:
        """Queue a command and write its audit entry as one step (a crash between the two is
        mended at the next open); durable when it returns. The entry is None when its append
        failed: it is owed and written from the item later. `sign` signs the new item once
        its id and time are known (the maker's key, and the approver's)."""
        ...


class VisitList(Protocol):
    """The home-visit list, by day (`branch_app.store.visits.VisitList`): encrypted at rest."""

    def for_day(self, day: dt.date) -> Sequence[Visit]:
        """The day's visits in their planned order."""
        ...

    def get(self, ref: str) -> Visit | None: ...

    def add(
        self,
        day: dt.date,
        *,
        holder_id: str,
        holder_kind: str,
        name: str,
        address: str,
        need: VisitNeed,
        why: str,
        central: CentralKnew,
        planned_by: str,
    ) -> Visit:
        """Plan one more visit at the end of the day's list; durable when it returns."""
        ...

    def save(self, visit: Visit) -> Visit:
        """Replace what a visit recorded; durable when it returns."""
        ...

    def remove(self, ref: str) -> bool: ...

    def progress(self, day: dt.date) -> tuple[int, int]:
        """(planned, finished) for the day."""
        ...


class VisitStore(Store, Protocol):
    """The store as the home visits use it: the counter's store and the visit list."""

    @property
    def visits(self) -> VisitList: ...


class OfflineAllowance(Protocol):
    """What a home-visit device's offline limits rest on (`sync.service.SyncService`, issue 13):
    the branch's limits as the central last sent them, the last successful sync, and the batch
    the supervisor approves (requests taken since the approval mark, an outbox seq)."""

    def offline_limits(self) -> OfflineLimits: ...

    def last_successful_sync(self) -> dt.datetime | None: ...

    def batch_open(self) -> int: ...

    def approved_through(self) -> int: ...

    def approve_batch(self, through: int, at: dt.datetime | None = None) -> None:
        """Move the approval mark to outbox seq `through` (never back): the limit opens."""
        ...


class CommandSigner(Protocol):
    """A person's signing key on this device, unlocked by their password at log-in
    (`sync.auth.CommandSigner`): every command they make or approve is signed with it."""

    @property
    def staff_id(self) -> str: ...

    def sign(self, command: OutboxItem | PushCommand, role: str = ...) -> str:
        """The wire signature of `command` for `role` (`sync.protocol.MAKER` or `APPROVER`)."""
        ...


class StaffSignedIn(Protocol):
    """A successful staff login (`sync.auth.StaffSession`), as far as an approval needs it."""

    @property
    def staff_id(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def signer(self) -> CommandSigner | None: ...


class StaffLogin(Protocol):
    """Checks a member of staff's password: the central when it answers, else the offline
    verifier (`sync.auth.Authenticator`). Raises `sync.auth.LoginError` when it fails."""

    def login(self, staff_id: str, password: str) -> StaffSignedIn: ...


class CentralApi(Protocol):
    """What the counter and the supervisor ask of the central (`sync.client.CentralClient`).

    Each call raises the client's typed errors (`sync.client.CentralError` and its subclasses)
    and nothing else the services would have to guess at. Used as a context manager: the
    connection is closed on the way out."""

    def lookup(self, request: LookupRequest) -> LookupResponse | None:
        """The central's record of one person, audited there with the purpose; `None` when the
        central has none. Needs a staff session."""
        ...

    def list_conflicts(self, status: ConflictStatus | None = ...) -> Sequence[ConflictView]:
        """The branch's conflicts with this status (`None`: all). A supervisor's session."""
        ...

    def decide_conflict(
        self, conflict_id: int, request: ResolveConflictRequest
    ) -> ResolveConflictResponse:
        """Close a conflict, `upheld` with a note or `corrected` with the correcting command
        (applied with the decision in one transaction, or neither). A supervisor's session."""
        ...

    def branch_devices(self) -> DevicesResponse:
        """The branch's devices with their latest state and why each is stuck, stuck ones
        first (the central's order). A supervisor's session."""
        ...

    def __enter__(self) -> CentralApi: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None: ...


class CentralAccess(Protocol):
    """The sync service as the services see it (`sync.service.SyncService`): a client for the
    central with this device's token and the signed-in staff member's session, and the login."""

    @property
    def staff_session(self) -> str | None: ...

    def client(self) -> CentralApi: ...

    def authenticator(self) -> StaffLogin: ...


if TYPE_CHECKING:
    from branch_app.store import LocalStore
    from sync.auth import CommandSigner as KeyOnDevice
    from sync.client import CentralClient
    from sync.service import SyncService

    def _the_concrete_parts_fit(
        store: LocalStore, sync: SyncService, client: CentralClient, key: KeyOnDevice
    ) -> None:
        """Never called: mypy checks here that the concrete classes satisfy the ports."""
        _store: Store = store
        _visit_store: VisitStore = store
        _central: CentralAccess = sync
        _allowance: OfflineAllowance = sync
        _client: CentralApi = client
        _signer: CommandSigner = key


if TYPE_CHECKING:
    from branch_app.store.audit import AuditJournal as JournalOnDisk
    from branch_app.store.audit_search import JournalReader

    def _the_audit_review_parts_fit(journal: JournalOnDisk, reader: JournalReader) -> None:
        """Never called: mypy checks that the journal and its reader satisfy the ports."""
        _journal: ReviewedJournal = journal
        _reader: AuditReader = reader
