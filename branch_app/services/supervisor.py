"""The supervisor's work without the screens: reconcile the queue, resolve conflicts, review approvals.

No textual import: the screens call these functions in thread workers and show what comes back.
Every function that changes something writes the local audit journal (who, which device, why)
after the change is durable, the way the counter does. The parts come in as the ports of
`branch_app.services.ports` (`Store`, `CentralAccess`); the central is asked only through the sync
client's typed methods, whose typed errors (`sync.client.CentralError`) are the only failures
expected from it.

- `read_queue(store, last_sync)` -> `QueueReport`: counts by status, the oldest unsent item, the
  quarantined (rejected) and conflicted items with masked holders.
- `close_rejected(store, desk, ids, note)`: the outbox's `close_quarantined`, then one audit entry
  per item (`supervisor.close_rejected`).
- `read_conflicts(sync, store)` -> `ConflictList`: the branch's open conflicts from the central
  (`list_conflicts`, a supervisor's session), or, when the central cannot be asked, the
  conflicts this device's outbox knows.
- `review_record(...)`: the central's current record for a conflict (an audited lookup with the
  purpose `conflict_review`, and an entry in the local journal).
- `correction_choices(record, refused, ...)`: the counter's commands that the lifecycle would apply
  to the central's record now, for a `corrected` decision.
- `resolve(...)`: the client's `decide_conflict`; then the outbox item is closed with the
  decision, the central's record cached, and the decision audited (`supervisor.resolve_conflict`).
- `read_approvals(store)`: the second-person approvals this device recorded (cancellations).
- `read_devices(sync)` -> `DeviceList`: the branch's devices from the central (`branch_devices`,
  a supervisor's session), stuck ones first with why; or the sentence saying why not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from branch_app.domain.identity import IdentityKind
from branch_app.domain.vocabulary import (
    ApplicationKind,
    ConflictDecision,
    ConflictStatus,
    IssuanceSpeed,
    LookupPurpose,
    LossChannel,
    OutboxStatus,
    Place,
    Role,
)

if TYPE_CHECKING:
    from branch_app.domain.lifecycle import Command
    from branch_app.services.ports import CentralAccess, CommandSigner, Store
    from branch_app.store.outbox import OutboxItem
    from sync.protocol import ConflictView, DeviceStateView, PushCommand, PushResult

#: Outbox statuses in the order the queue screen lists them.
STATUS_ORDER = tuple(OutboxStatus)
#: A supervisor's note: at least this many characters (a word or two, not a key press).
MIN_NOTE = 4
MAX_NOTE = 500
#: Where the decision on an outbox item is kept (`close_quarantined`'s note), so the archive
#: copy says which conflict it was and how it ended.
RESOLVED_NOTE = "conflict {conflict_id} {decision}: {note}"


def mask(holder_id: str | None) -> str:
    from branch_app.domain.identity import mask_identity

    return mask_identity(holder_id) if holder_id else "—"


def note_problem(note: str) -> str | None:
    """Catalog key of what is wrong with a supervisor's note, or None."""
    text = note.strip()
    if len(text) < MIN_NOTE:
        return "supervisor.note.too_short"
    if len(text) > MAX_NOTE:
        return "supervisor.note.too_long"
    return None


# -- the queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """One quarantined or conflicted item as the supervisor sees it (holder masked)."""

    item_id: str
    seq: int
    status: str
    kind: str
    payload: Mapping[str, Any]
    holder_masked: str
    actor: str
    made_at: str
    reason: str | None
    message: str | None


@dataclass(frozen=True)
class QueueReport:
    counts: dict[str, int]
    oldest_unsent_at: str | None
    oldest_age: dt.timedelta | None
    last_sync: dt.datetime | None
    rows: tuple[QueueRow, ...]

    @property
    def unsent(self) -> int:
        return self.counts.get(OutboxStatus.PENDING, 0) + self.counts.get(OutboxStatus.SENDING, 0)


def parse_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def row_of(item: OutboxItem) -> QueueRow:
    result = item.result or {}
    return QueueRow(
        item_id=item.id,
        seq=item.seq,
        status=item.status,
        kind=item.kind,
        payload=dict(item.payload) if isinstance(item.payload, Mapping) else {},
        holder_masked=mask(item.holder_id),
        actor=item.actor,
        made_at=item.made_at,
        reason=result.get("reason"),
        message=result.get("message"),
    )


def read_queue(store: Store, last_sync: dt.datetime | None, now: dt.datetime) -> QueueReport:
    """The outbox as the supervisor reconciles it (reads only; call it off the UI thread)."""
    outbox = store.outbox
    counts = {status: int(n) for status, n in outbox.counts().items()}
    oldest = outbox.oldest_unsent()
    oldest_at = oldest.made_at if oldest is not None else None
    made = parse_iso(oldest_at)
    age = max(now - made, dt.timedelta(0)) if made is not None else None
    rows = tuple(
        row_of(item) for item in outbox.items((OutboxStatus.REJECTED, OutboxStatus.CONFLICT))
    )
    return QueueReport(counts, oldest_at, age, last_sync, rows)


@dataclass(frozen=True)
class SupervisorDesk:
    """Who acts, on which device, at which branch (what the audit journal records)."""

    staff_id: str
    device: str
    branch: str
    #: The supervisor's signing key on this device: a correcting command is signed with it.
    signer: CommandSigner | None = field(default=None, repr=False, compare=False)


def close_rejected(store: Store, desk: SupervisorDesk, ids: Iterable[str], note: str) -> int:
    """Close rejected items (they can never be sent) with the supervisor's note; audited.

    Conflicts are not closed here: they are resolved with the central (`resolve`), which
    closes the outbox item too. Returns how many were closed."""
    if note_problem(note) is not None:
        raise ValueError("a supervisor's note is required")
    wanted = [store.outbox.get(i) for i in ids]
    rejected = [item for item in wanted if item.status == OutboxStatus.REJECTED]
    if not rejected:
        return 0
    closed = store.outbox.close_quarantined(
        [item.id for item in rejected], actor=desk.staff_id, note=note.strip()
    )
    for item in rejected:
        store.audit.record(
            "supervisor.close_rejected",
            actor=desk.staff_id,
            holder_id=item.holder_id,
            reason="rejected:" + str((item.result or {}).get("reason") or "unknown"),
            device=desk.device,
            branch=desk.branch,
            detail={"outbox_id": item.id, "kind": item.kind, "note": note.strip()},
        )
    return closed


# -- conflicts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictRow:
    """A conflict from the central (`conflict_id` set) or only known locally (`None`)."""

    conflict_id: int | None
    command_id: str
    #: Never shown (only `holder_masked` is) and kept out of reprs, tracebacks and logs.
    holder_id: str = field(repr=False)
    holder_masked: str
    kind: str
    command: Mapping[str, Any]
    reason: str
    message: str | None
    record: Mapping[str, Any] | None = field(repr=False)
    actor: str
    device: str
    branch: str
    opened_at: str
    made_at: str | None = None
    #: The holder's document kind when the number alone does not say it (a passport).
    holder_kind: IdentityKind | None = None


@dataclass(frozen=True)
class ConflictList:
    """What the conflicts screen shows. `source` is `central` or `local`; `problem` the catalog
    key of why the central could not be asked (then the rows are the outbox's)."""

    source: str
    rows: tuple[ConflictRow, ...]
    problem: str | None = None
    reconciled: int = 0
    unresolved_local: int = 0


def conflict_row(view: ConflictView) -> ConflictRow:
    """A conflict as the central lists it."""
    payload = view.command.get("payload")
    made_at = view.command.get("made_at")
    return ConflictRow(
        conflict_id=view.id,
        command_id=view.command_id,
        holder_id=view.holder_id,
        holder_masked=mask(view.holder_id),
        kind=view.kind,
        command=dict(payload) if isinstance(payload, Mapping) else {},
        reason=view.reason,
        message=view.message,
        record=view.record,
        actor=view.actor,
        device=view.device,
        branch=view.branch,
        opened_at=view.opened_at,
        made_at=str(made_at) if made_at else None,
        holder_kind=_kind(view.command.get("holder_kind")),
    )


def _kind(value: object) -> IdentityKind | None:
    """The document kind a pushed command named, if it named a known one."""
    known = isinstance(value, str) and value in IdentityKind._value2member_map_
    return IdentityKind(value) if known and isinstance(value, str) else None


def local_conflict_row(item: OutboxItem) -> ConflictRow:
    result = item.result or {}
    return ConflictRow(
        conflict_id=None,
        command_id=item.id,
        holder_id=item.holder_id,
        holder_masked=mask(item.holder_id),
        kind=item.kind,
        command=dict(item.payload) if isinstance(item.payload, Mapping) else {},
        reason=str(result.get("reason") or "unknown"),
        message=result.get("message"),
        record=result.get("record"),
        actor=item.actor,
        device=item.device,
        branch=item.branch,
        opened_at="",
        made_at=item.made_at,
        holder_kind=item.holder_kind,
    )


def read_conflicts(
    sync: CentralAccess | None, store: Store | None, desk: SupervisorDesk | None = None
) -> ConflictList:
    """The branch's open conflicts from the central; the outbox's when it cannot be asked.

    Local conflict items whose conflict the central lists as resolved (by another supervisor,
    on another device) are closed in the outbox with that decision, and audited."""
    local = store.outbox.items(OutboxStatus.CONFLICT) if store is not None else []
    local_rows = tuple(local_conflict_row(item) for item in local)
    if sync is None:
        return ConflictList("local", local_rows, problem="supervisor.conflicts.no_sync")
    if not sync.staff_session:
        return ConflictList("local", local_rows, problem="supervisor.conflicts.no_session")
    from sync.client import CentralError, CentralRejected
    from sync.protocol import ErrorCode

    try:
        with sync.client() as client:
            open_views = client.list_conflicts(ConflictStatus.OPEN)
            open_ids = {view.command_id for view in open_views}
            unmatched = [item for item in local if item.id not in open_ids]
            resolved: Sequence[ConflictView] = []
            if unmatched:
                resolved = client.list_conflicts(ConflictStatus.RESOLVED)
    except CentralError as error:
        expired = isinstance(error, CentralRejected) and error.code == ErrorCode.SESSION_REQUIRED
        problem = "supervisor.conflicts.no_session" if expired else error.key
        return ConflictList("local", local_rows, problem=problem)
    reconciled = 0
    if store is not None and desk is not None and resolved:
        by_command = {view.command_id: view for view in resolved}
        for item in unmatched:
            view = by_command.get(item.id)
            if view is not None:
                reconciled += close_resolved_item(store, desk, item.id, view)
    rows = tuple(conflict_row(view) for view in open_views)
    known = {row.command_id for row in rows}
    unresolved_local = sum(1 for item in local if item.id not in known) - reconciled
    return ConflictList("central", rows, reconciled=reconciled, unresolved_local=unresolved_local)


def close_resolved_item(
    store: Store, desk: SupervisorDesk, command_id: str, view: ConflictView
) -> int:
    """Close this device's outbox item of a conflict the central has resolved; audited."""
    if command_id not in store.outbox:
        return 0
    item = store.outbox.get(command_id)
    if item.status != OutboxStatus.CONFLICT:
        return 0
    decision = view.decision.value if view.decision is not None else None
    note = RESOLVED_NOTE.format(conflict_id=view.id, decision=decision, note=view.note or "")
    closed = store.outbox.close_quarantined([command_id], actor=desk.staff_id, note=note)
    if closed:
        store.audit.record(
            "supervisor.conflict_closed",
            actor=desk.staff_id,
            holder_id=item.holder_id,
            reason=f"resolved_by:{view.resolved_by or ''}",
            device=desk.device,
            branch=desk.branch,
            detail={
                "outbox_id": command_id,
                "conflict_id": view.id,
                "decision": decision,
                "resolved_by": view.resolved_by,
            },
        )
    return closed


def review_record(
    sync: CentralAccess, store: Store, desk: SupervisorDesk, row: ConflictRow
) -> Mapping[str, Any] | None:
    """The central's record of the conflict's holder now (an audited lookup, purpose
    `conflict_review`, recorded in the local journal first); cached on this device.

    Raises the client's typed errors (`sync.client.CentralError`) when the central cannot say."""
    from sync.protocol import LookupRequest

    store.audit.record(
        "supervisor.conflict_review",
        actor=desk.staff_id,
        holder_id=row.holder_id,
        reason=LookupPurpose.CONFLICT_REVIEW.value,
        device=desk.device,
        branch=desk.branch,
        detail={"conflict_id": row.conflict_id, "command_id": row.command_id},
    )
    request = LookupRequest(
        holder_id=row.holder_id,
        purpose=LookupPurpose.CONFLICT_REVIEW,
        holder_kind=row.holder_kind,
    )
    with sync.client() as client:
        answer = client.lookup(request)
    if answer is None:
        return None
    store.card_cache.put(answer.record, source="lookup")
    return answer.record


def correction_choices(
    record: Mapping[str, Any],
    refused: Mapping[str, Any],
    *,
    place: Place | str,
    bank: str,
    today: dt.date,
    staff_id: str = "",
) -> list[Command]:
    """The counter's commands a supervisor may send as the correction: each one the domain's
    admission path (`admit`: permission, applicant rules, documents, lifecycle) would take on
    `record` now, and that changes it (a command that changes nothing corrects nothing).

    Candidates: the refused command made again (its grounds may have changed), a loss report, and
    a normal replacement application with the refused application's photo and applicant (the
    usual way out when the card was reported lost elsewhere while the counter took an
    exchange). An unlock is offered only as the refused command made again: it needs the found
    card, which only the counter sees.
    """
    from branch_app.domain.admission import Admission, Maker, admit
    from branch_app.domain.identity import IdentityError, parse_identity
    from branch_app.domain.lifecycle import (
        Applied,
        Apply,
        CommandFormatError,
        ReportLoss,
        command_from_dict,
        record_from_dict,
    )

    current = record_from_dict(dict(record))
    try:
        holder = parse_identity(current.holder_id, today=today)
    except IdentityError:
        return []
    at_card_bank = bool(current.bank) and current.bank == bank
    candidates: list[Command] = []
    original: Command | None = None
    with contextlib.suppress(CommandFormatError, KeyError, TypeError, ValueError):
        original = command_from_dict(dict(refused))
        candidates.append(original)
    candidates.append(
        ReportLoss(
            channel=LossChannel.CARD_BANK_BRANCH if at_card_bank else LossChannel.OTHER_BANK_BRANCH
        )
    )
    if isinstance(original, Apply):
        candidates.append(
            Apply(
                ApplicationKind.REPLACEMENT,
                IssuanceSpeed.NORMAL,
                today,
                photo_receipt=original.photo_receipt,
                police_photo=original.police_photo,
                applicant=original.applicant,
            )
        )
    maker = Maker(staff_id, Role.SUPERVISOR)
    chosen: list[Command] = []
    for command in candidates:
        if command in chosen:
            continue
        admitted = admit(
            command,
            current,
            holder=holder,
            maker=maker,
            place=Place(place),
            today=today,
            consequences=False,
        )
        if isinstance(admitted, Admission) and isinstance(admitted.decision, Applied):
            chosen.append(command)
    return chosen


@dataclass(frozen=True)
class Resolution:
    """What the supervisor decided; `command` is the correction (None for `upheld`)."""

    decision: ConflictDecision | str
    note: str
    command: Command | None = None
    base_version: int = 0


@dataclass(frozen=True)
class ResolveOutcome:
    """The central's answer: the closed conflict and, for a correction, the correcting
    command's result (its record is cached here)."""

    conflict: ConflictView
    result: PushResult | None
    outbox_closed: int
    audit_n: int
    correcting_command_id: str | None = None


def correcting_push(
    row: ConflictRow, command: Command, base_version: int, desk: SupervisorDesk, now: dt.datetime
) -> PushCommand:
    """The correcting command on the wire: made by the supervisor, about the same person, on
    the central's current version. Sent inside the resolve request, not through the outbox
    (the central applies it with the decision in one transaction, or neither)."""
    from branch_app.domain.lifecycle import command_to_dict
    from branch_app.store.outbox import utc_iso
    from sync.protocol import MAKER, PushCommand

    push = PushCommand(
        id=uuid.uuid4().hex,
        kind=command.kind,
        holder_id=row.holder_id,
        base_version=int(base_version),
        payload=command_to_dict(command),
        actor=desk.staff_id,
        device=desk.device,
        branch=desk.branch,
        made_at=utc_iso(now),
        seq=0,
        holder_kind=row.holder_kind,
    )
    if desk.signer is None:
        return push  # unsigned: the central will refuse it (maker_not_proven)
    return push.model_copy(update={"signature": desk.signer.sign(push, MAKER)})


def resolve(
    sync: CentralAccess,
    store: Store,
    desk: SupervisorDesk,
    row: ConflictRow,
    resolution: Resolution,
    now: dt.datetime,
) -> ResolveOutcome:
    """Resolve at the central, then close the local item and audit the decision.

    Raises the client's typed errors (`CentralUnavailable`, `CentralRejected` with code
    `correction_refused`, `conflict_closed`, ...) before anything local is written, and
    `ResolvedNotRecorded` when the central took it but a local write failed."""
    from branch_app.store.errors import StoreError
    from sync.protocol import ResolveConflictRequest

    if row.conflict_id is None:
        raise ValueError("only a conflict the central listed can be resolved")
    if note_problem(resolution.note) is not None:
        raise ValueError("a supervisor's note is required")
    decision = ConflictDecision(resolution.decision)
    note = resolution.note.strip()
    push = None
    if decision is ConflictDecision.CORRECTED:
        if resolution.command is None:
            raise ValueError("a correction needs a command")
        push = correcting_push(row, resolution.command, resolution.base_version, desk, now)
    request = ResolveConflictRequest(decision=decision, note=note, command=push)
    with sync.client() as client:
        answer = client.decide_conflict(row.conflict_id, request)
    result = answer.result
    try:
        # The decision is taken: first the journal, then the outbox item and the cache.
        entry = store.audit.record(
            "supervisor.resolve_conflict",
            actor=desk.staff_id,
            holder_id=row.holder_id,
            reason=decision.value,
            device=desk.device,
            branch=desk.branch,
            detail={
                "conflict_id": row.conflict_id,
                "command_id": row.command_id,
                "conflict_reason": row.reason,
                "decision": decision.value,
                "note": note,
                "correcting_command_id": push.id if push else None,
                "correction": push.payload if push else None,
                "outcome": result.outcome.value if result else None,
            },
        )
        closed = 0
        if (  # ids are unique per device: only this device's own item is closed here
            row.device == desk.device
            and row.command_id in store.outbox
            and store.outbox.get(row.command_id).status == OutboxStatus.CONFLICT
        ):
            closed = store.outbox.close_quarantined(
                [row.command_id],
                actor=desk.staff_id,
                note=RESOLVED_NOTE.format(
                    conflict_id=row.conflict_id, decision=decision.value, note=note
                ),
            )
        if result is not None and result.record is not None:
            store.card_cache.put(result.record, source="lookup")
    except (StoreError, OSError) as error:
        raise ResolvedNotRecorded(type(error).__name__) from None
    return ResolveOutcome(
        conflict=answer.conflict,
        result=result,
        outbox_closed=closed,
        audit_n=entry.n,
        correcting_command_id=push.id if push else None,
    )


class ResolvedNotRecorded(Exception):
    """The central took the decision but this device could not write it down (a store write
    failed). The next read of the list closes the outbox item from the central's answer.
    `detail` names the failure's kind (for the log), never personal data."""

    key = "supervisor.resolve.not_recorded"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# -- approvals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalRow:
    """A second person's approval recorded at this device (today: cancellations)."""

    at: str
    action: str
    requested_by: str
    approved_by: str
    verified: bool
    reason: str
    holder_masked: str
    outbox_status: str | None
    audit_n: int


APPROVED_ACTIONS = frozenset({"counter.cancel"})


def read_approvals(store: Store, limit: int = 500) -> list[ApprovalRow]:
    """The newest approvals first, from the audit journal; the holder comes from the outbox
    item the approval was for (the journal keeps only a pseudonym)."""
    from branch_app.store.errors import UnknownItem

    rows: list[ApprovalRow] = []
    for entry in reversed(store.audit.entries()):
        if entry.action not in APPROVED_ACTIONS:
            continue
        detail = entry.detail or {}
        approver = detail.get("approved_by")
        if not approver:
            continue
        holder, status = "—", None
        outbox_id = detail.get("outbox_id")
        if outbox_id:
            try:
                item = store.outbox.get(str(outbox_id))
            except UnknownItem:
                pass
            else:
                holder, status = mask(item.holder_id), item.status
        rows.append(
            ApprovalRow(
                at=entry.at,
                action=entry.action,
                requested_by=entry.actor,
                approved_by=str(approver),
                verified=bool(detail.get("approval_verified")),
                reason=entry.reason,
                holder_masked=holder,
                outbox_status=status,
                audit_n=entry.n,
            )
        )
        if len(rows) >= limit:
            break
    return rows


# -- the branch's devices ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceList:
    """What the Devices screen shows: the branch's devices as the central lists them (stuck ones
    first, each with why), or, when the central cannot be asked, `problem`: the catalog key of
    the one sentence that says why. Counts and times only: nothing here names a person."""

    devices: tuple[DeviceStateView, ...] = ()
    problem: str | None = None
    #: The type of an unexpected failure's exception (shown with `supervisor.failed`).
    error: str | None = None


def read_devices(sync: CentralAccess | None) -> DeviceList:
    """The branch's devices from the central (a supervisor's online session). Only the central
    knows the other devices, so there is no offline copy: the problem says why there is none."""
    if sync is None:
        return DeviceList(problem="devices.no_central")
    if not sync.staff_session:
        return DeviceList(problem="devices.no_session")
    from sync.client import CentralError, CentralRejected, CentralUnavailable
    from sync.protocol import ErrorCode

    try:
        with sync.client() as client:
            answer = client.branch_devices()
    except CentralUnavailable:
        return DeviceList(problem="devices.unreachable")
    except CentralError as error:
        if isinstance(error, CentralRejected) and error.code == ErrorCode.SESSION_REQUIRED:
            return DeviceList(problem="devices.no_session")
        if isinstance(error, CentralRejected) and error.code == ErrorCode.FORBIDDEN:
            return DeviceList(problem="supervisor.gate.not_supervisor")
        return DeviceList(problem=error.key)
    return DeviceList(tuple(answer.devices))
