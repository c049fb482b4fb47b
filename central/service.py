"""The card agency's side of every command: applied with the domain lifecycle, one at a time.

Each pushed command runs in its own write transaction: the person's card row is locked first
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite writers are already one at a time), then the
command id is checked (a duplicate gets its first answer again; the same id with another body is
refused), then who sent it and whether their role may do it at that place, then
`lifecycle.decide` on the current record. The answer is stored with the command, so every later
delivery of the same command is answered identically. A command based on an older version is
still decided by the lifecycle (which decides conflicts, not version numbers); its base version is
kept with it. New record versions go to the change feed with a cursor handed out at commit time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError, IntegrityError

from branch_app.domain import lifecycle
from branch_app.domain.identity import IdentityError, mask_identity, parse_identity
from branch_app.domain.lifecycle import (
    Applied,
    CardRecord,
    CommandFormatError,
    Merged,
    Refused,
    command_from_dict,
    command_to_dict,
    decide,
    record_from_dict,
    record_to_dict,
)
from branch_app.domain.roles import Place, Role, permission
from central import models
from central.auth import DeviceIdentity, StaffIdentity
from central.db import Database, as_utc, utcnow
from sync.protocol import (
    DEFAULT_CHANGES_LIMIT,
    MAX_CHANGES_LIMIT,
    Change,
    ChangesResponse,
    ConflictDecision,
    ConflictStatus,
    ConflictView,
    ErrorCode,
    LookupRequest,
    Outcome,
    ProtocolError,
    PushCommand,
    PushResult,
    RejectReason,
    ResolveConflictRequest,
    ResolveConflictResponse,
    StaffRole,
)

log = logging.getLogger(__name__)

#: Branch and device names under which the simulated channels' commands are recorded.
CHANNEL_BRANCH = "CHANNEL"
CHANNEL_DEVICE = "central"
#: Attempts at one command when the database reports a race (unique key, deadlock) to retry.
_ATTEMPTS = 4


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _iso(value: dt.datetime | None) -> str | None:
    value = as_utc(value)
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class Origin:
    """Where a command came from: an enrolled device at a branch, or a simulated channel."""

    branch: str
    device_id: str
    place: Place | None  # None for a channel

    @property
    def is_channel(self) -> bool:
        return self.place is None

    @classmethod
    def of_device(cls, device: DeviceIdentity) -> Origin:
        return cls(device.branch, device.device_id, Place(device.place.value))


@dataclass
class _StaffCache:
    """Staff rows read once per batch."""

    rows: dict[str, Any] = field(default_factory=dict)

    def get(self, conn: Connection, staff_id: str) -> Any:
        if staff_id not in self.rows:
            self.rows[staff_id] = conn.execute(
                select(models.staff).where(models.staff.c.staff_id == staff_id)
            ).first()
        return self.rows[staff_id]


class _Abort(Exception):
    """Roll the transaction back and answer with this result instead (not recorded)."""

    def __init__(self, result: PushResult) -> None:
        super().__init__(result.outcome)
        self.result = result


class CentralService:
    """Commands, the change feed, lookups and conflicts over one `Database`."""

    def __init__(self, db: Database, audit_key: bytes) -> None:
        self.db = db
        self.audit_key = audit_key

    # Push --------------------------------------------------------------------------------------

    def push(self, device: DeviceIdentity, commands: list[PushCommand]) -> list[PushResult]:
        """Apply a batch in order; each command atomically and answered on its own."""
        origin = Origin.of_device(device)
        cache = _StaffCache()
        return [self.apply(origin, command, cache) for command in commands]

    def apply(
        self, origin: Origin, command: PushCommand, cache: _StaffCache | None = None
    ) -> PushResult:
        """Apply one command in its own transaction, retrying database races."""
        cache = cache or _StaffCache()
        for attempt in range(_ATTEMPTS):
            try:
                with self.db.write() as conn:
                    return self._apply_in(conn, origin, command, cache)
            except IntegrityError:
                # Another transaction recorded the same id (or created the same card) first.
                cache.rows.clear()
                continue
            except DBAPIError as exc:
                if _is_retryable(exc) and attempt + 1 < _ATTEMPTS:
                    continue
                log.error("command could not be stored (%s)", type(exc).__name__)
                break
        return PushResult(
            id=command.id,
            outcome=Outcome.REJECTED,
            reason=RejectReason.INTERNAL_ERROR,
            message="the central could not store the command; send it again later",
        )

    def _apply_in(
        self,
        conn: Connection,
        origin: Origin,
        command: PushCommand,
        cache: _StaffCache,
    ) -> PushResult:
        now = utcnow()
        holder_ok = _is_canonical_identity(command.holder_id, now.date())
        card = self._lock_card(conn, command.holder_id, now) if holder_ok else None

        body_hash = command.body_hash()
        seen = conn.execute(
            select(models.commands.c.body_hash, models.commands.c.result).where(
                models.commands.c.id == command.id
            )
        ).first()
        if seen is not None:
            if hmac.compare_digest(seen.body_hash, body_hash):
                first = PushResult.model_validate_json(seen.result)
                return first.model_copy(
                    update={"outcome": Outcome.DUPLICATE, "first_outcome": first.outcome}
                )
            return PushResult(
                id=command.id,
                outcome=Outcome.REJECTED,
                reason=RejectReason.ID_REUSED,
                message="this command id was used before for a different command",
            )

        current = record_from_dict(orjson.loads(card.record)) if card is not None else None
        result, new_record = self._decide(conn, origin, command, current, cache)

        conn.execute(
            insert(models.commands).values(
                id=command.id,
                holder_id=command.holder_id,
                kind=command.kind,
                body_hash=body_hash,
                base_version=command.base_version,
                version_at_receipt=None if current is None else current.version,
                actor=command.actor,
                device=command.device,
                branch=command.branch,
                made_at=command.made_at,
                seq=command.seq,
                received_at=now,
                outcome=result.outcome.value,
                reason=result.reason,
                result=result.model_dump_json(),
            )
        )
        if result.outcome is Outcome.CONFLICT:
            conn.execute(
                insert(models.conflicts).values(
                    command_id=command.id,
                    holder_id=command.holder_id,
                    kind=command.kind,
                    reason=result.reason or "",
                    message=result.message,
                    record=_dumps(result.record) if result.record is not None else None,
                    command=_dumps(command.model_dump(mode="json")),
                    actor=command.actor,
                    device=command.device,
                    branch=command.branch,
                    opened_at=now,
                    status=ConflictStatus.OPEN.value,
                )
            )
        if holder_ok and not origin.is_channel:
            self._follow(conn, origin.branch, command.holder_id, now)
        if new_record is not None:
            self._store_record(conn, new_record, now, command_id=command.id)
        return result

    def _decide(
        self,
        conn: Connection,
        origin: Origin,
        command: PushCommand,
        current: CardRecord | None,
        cache: _StaffCache,
    ) -> tuple[PushResult, CardRecord | None]:
        """The answer to a new command and, when applied, the new record."""

        def rejected(reason: str, message: str) -> tuple[PushResult, None]:
            return (
                PushResult(id=command.id, outcome=Outcome.REJECTED, reason=reason, message=message),
                None,
            )

        if current is None:
            return rejected(RejectReason.INVALID_HOLDER, "holder_id is not a valid identity number")
        if not origin.is_channel:
            if command.device != origin.device_id:
                return rejected(
                    RejectReason.DEVICE_MISMATCH, "device is not the device that sent the batch"
                )
            if command.branch != origin.branch:
                return rejected(RejectReason.BRANCH_MISMATCH, "branch is not this device's branch")
        if command.kind not in lifecycle.COMMANDS_BY_KIND:
            return rejected(RejectReason.UNKNOWN_KIND, f"unknown command kind {command.kind!r}")
        if command.payload.get("kind") != command.kind:
            return rejected(RejectReason.MALFORMED_PAYLOAD, "payload kind differs from kind")
        try:
            domain_command = command_from_dict(command.payload)
        except CommandFormatError as exc:
            return rejected(RejectReason.MALFORMED_PAYLOAD, str(exc)[:300])

        if origin.place is not None:
            member = cache.get(conn, command.actor)
            if member is None or not member.active:
                return rejected(RejectReason.UNKNOWN_ACTOR, "actor is not an active staff member")
            if member.branch != origin.branch:
                return rejected(RejectReason.ACTOR_WRONG_BRANCH, "actor belongs to another branch")
            allowed = permission(Role(member.role), origin.place, domain_command)
            if not allowed.allowed:
                reason = allowed.reason.value if allowed.reason else RejectReason.NOT_PERMITTED
                return rejected(reason, f"{member.role} may not do this at a {origin.place}")

        decision = decide(current, domain_command)
        match decision:
            case Applied(record=new):
                return (
                    PushResult(
                        id=command.id,
                        outcome=Outcome.APPLIED,
                        version=new.version,
                        record=record_to_dict(new),
                    ),
                    new,
                )
            case Merged(record=same):
                return (
                    PushResult(
                        id=command.id,
                        outcome=Outcome.MERGED,
                        version=same.version,
                        record=record_to_dict(same),
                    ),
                    None,
                )
            case Refused(reason=reason, detail=detail):
                return (
                    PushResult(
                        id=command.id,
                        outcome=Outcome.CONFLICT,
                        version=current.version,
                        reason=reason.value,
                        message=detail or None,
                        record=record_to_dict(current),
                    ),
                    None,
                )
        raise AssertionError(f"unexpected decision {decision!r}")  # pragma: no cover

    def _lock_card(self, conn: Connection, holder_id: str, now: dt.datetime) -> Any:
        """The person's card row, locked for this transaction; created (no card) if new."""
        query = (
            select(models.cards.c.record, models.cards.c.version)
            .where(models.cards.c.holder_id == holder_id)
            .with_for_update()
        )
        row = conn.execute(query).first()
        if row is not None:
            return row
        self._insert_ignore(conn, models.cardholders, holder_id=holder_id, created_at=now)
        fresh = CardRecord.new(holder_id)
        self._insert_ignore(conn, models.cards, **_card_columns(fresh, now))
        return conn.execute(query).one()

    def _insert_ignore(self, conn: Connection, table: Any, **values: Any) -> None:
        dialect = pg_dialect if self.db.is_postgres else sqlite_dialect
        conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())

    def _follow(self, conn: Connection, branch: str, holder_id: str, now: dt.datetime) -> None:
        self._insert_ignore(
            conn, models.branch_interest, branch=branch, holder_id=holder_id, since=now
        )

    def _store_record(
        self, conn: Connection, record: CardRecord, now: dt.datetime, *, command_id: str | None
    ) -> None:
        """Write the new record and append it to the change feed (cursor taken last)."""
        conn.execute(
            update(models.cards)
            .where(models.cards.c.holder_id == record.holder_id)
            .values(**_card_columns(record, now))
        )
        head = models.feed_head
        cursor = conn.execute(
            update(head)
            .where(head.c.id == 1)
            .values(cursor=head.c.cursor + 1)
            .returning(head.c.cursor)
        ).scalar_one()
        conn.execute(
            insert(models.changes).values(
                cursor=cursor,
                holder_id=record.holder_id,
                version=record.version,
                record=_dumps(record_to_dict(record)),
                command_id=command_id,
                changed_at=now,
            )
        )

    # Channels ----------------------------------------------------------------------------------

    def channel_command(
        self,
        *,
        source: str,
        holder_id: str,
        command: lifecycle.Command,
        command_id: str | None,
    ) -> PushResult:
        """A command from another channel (online platform, hotline, police, card agency)."""
        push = PushCommand(
            id=command_id or secrets.token_hex(16),
            kind=command.kind,
            holder_id=holder_id,
            base_version=0,
            payload=command_to_dict(command),
            actor=source,
            device=CHANNEL_DEVICE,
            branch=CHANNEL_BRANCH,
            made_at="1970-01-01T00:00:00+00:00" if command_id else utcnow().isoformat(),
            seq=0,
        )
        origin = Origin(CHANNEL_BRANCH, CHANNEL_DEVICE, None)
        return self.apply(origin, push)

    def put_record(self, record: CardRecord, *, name: str | None = None) -> None:
        """Create or overwrite a person's record directly (seeding a demo or a test)."""
        now = utcnow()
        with self.db.write() as conn:
            self._insert_ignore(
                conn, models.cardholders, holder_id=record.holder_id, name=name, created_at=now
            )
            self._insert_ignore(
                conn, models.cards, **_card_columns(CardRecord.new(record.holder_id), now)
            )
            self._store_record(conn, record, now, command_id=None)

    # Pull --------------------------------------------------------------------------------------

    def changes(self, device: DeviceIdentity, since: int, limit: int) -> ChangesResponse:
        """New record versions after `since` for the cards this device's branch follows."""
        limit = max(1, min(limit or DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT))
        ch, bi = models.changes, models.branch_interest
        with self.db.read() as conn:
            rows = conn.execute(
                select(ch.c.cursor, ch.c.holder_id, ch.c.record)
                .join(bi, (bi.c.holder_id == ch.c.holder_id) & (bi.c.branch == device.branch))
                .where(ch.c.cursor > since)
                .order_by(ch.c.cursor)
                .limit(limit)
            ).all()
        found = [
            Change(cursor=r.cursor, holder_id=r.holder_id, record=orjson.loads(r.record))
            for r in rows
        ]
        return ChangesResponse(changes=found, next_cursor=found[-1].cursor if found else since)

    # Lookup ------------------------------------------------------------------------------------

    def lookup(
        self, staff: StaffIdentity, device: DeviceIdentity, request: LookupRequest
    ) -> dict[str, Any] | None:
        """A person's record by id number or card number; audited whether found or not.

        The branch follows the card from then on, so its pulls bring later changes.
        """
        now = utcnow()
        cards = models.cards
        if request.holder_id is not None:
            subject_kind, subject = "holder_id", request.holder_id
            where = cards.c.holder_id == subject
            masked = mask_identity(subject)
        else:
            subject_kind, subject = "card_number", request.card_number or ""
            where = (cards.c.card_number == subject) | (cards.c.new_card_number == subject)
            masked = subject[:2] + "*****" + subject[-2:]
        with self.db.write() as conn:
            row = conn.execute(
                select(cards.c.holder_id, cards.c.record, cards.c.version).where(where).limit(1)
            ).first()
            found = row is not None and row.version > 0
            conn.execute(
                insert(models.lookup_audit).values(
                    at=now,
                    staff_id=staff.staff_id,
                    device_id=device.device_id,
                    branch=device.branch,
                    purpose=request.purpose.value,
                    note=request.note,
                    subject_kind=subject_kind,
                    subject_key=self.subject_key(subject),
                    subject_masked=masked,
                    found=found,
                )
            )
            if row is None or not found:
                return None
            self._follow(conn, device.branch, row.holder_id, now)
            return orjson.loads(row.record)

    def subject_key(self, subject: str) -> str:
        """Keyed hash of an id or card number: lets an auditor match lookups of one person."""
        return hmac.new(self.audit_key, subject.encode(), hashlib.sha256).hexdigest()

    # Conflicts ---------------------------------------------------------------------------------

    def conflicts(
        self, staff: StaffIdentity, status: ConflictStatus | None, limit: int
    ) -> list[ConflictView]:
        """Conflicts of commands from the supervisor's branch, oldest first."""
        table = models.conflicts
        query = select(table).where(table.c.branch == staff.branch)
        if status is not None:
            query = query.where(table.c.status == status.value)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(table.c.id).limit(limit)).all()
        return [_conflict_view(row) for row in rows]

    def resolve_conflict(
        self,
        conflict_id: int,
        staff: StaffIdentity,
        device: DeviceIdentity,
        request: ResolveConflictRequest,
    ) -> ResolveConflictResponse:
        """Close a conflict with a decision and note, and for `corrected` a new command."""
        if staff.role is not StaffRole.SUPERVISOR:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        table = models.conflicts
        result: PushResult | None = None
        try:
            with self.db.write() as conn:
                row = conn.execute(
                    select(table).where(table.c.id == conflict_id).with_for_update()
                ).first()
                if row is None or row.branch != staff.branch:
                    raise ProtocolError(ErrorCode.NOT_FOUND)
                if row.status != ConflictStatus.OPEN.value:
                    raise ProtocolError(ErrorCode.CONFLICT_CLOSED)
                correcting_id = None
                if request.decision is ConflictDecision.CORRECTED and request.command is not None:
                    fix = request.command
                    if fix.holder_id != row.holder_id or fix.actor != staff.staff_id:
                        raise ProtocolError(
                            ErrorCode.INVALID_BODY,
                            message="The correcting command must be about the same person "
                            "and made by the supervisor resolving the conflict.",
                        )
                    result = self._apply_in(conn, Origin.of_device(device), fix, _StaffCache())
                    if result.effective_outcome not in (Outcome.APPLIED, Outcome.MERGED):
                        raise _Abort(result)
                    correcting_id = fix.id
                conn.execute(
                    update(table)
                    .where(table.c.id == conflict_id)
                    .values(
                        status=ConflictStatus.RESOLVED.value,
                        resolved_by=staff.staff_id,
                        resolved_at=utcnow(),
                        decision=request.decision.value,
                        note=request.note,
                        correcting_command_id=correcting_id,
                    )
                )
                updated = conn.execute(select(table).where(table.c.id == conflict_id)).one()
        except _Abort as abort:
            raise ProtocolError(
                ErrorCode.CORRECTION_REFUSED,
                message=f"The correcting command was not applied ({abort.result.outcome}: "
                f"{abort.result.reason}).",
            ) from None
        return ResolveConflictResponse(conflict=_conflict_view(updated), result=result)


def _is_canonical_identity(holder_id: str, today: dt.date) -> bool:
    try:
        return parse_identity(holder_id, today=today).number == holder_id
    except IdentityError:
        return False


def _card_columns(record: CardRecord, now: dt.datetime) -> dict[str, Any]:
    application = record.application
    return {
        "holder_id": record.holder_id,
        "version": record.version,
        "card_number": record.card_number,
        "new_card_number": application.new_card_number if application else None,
        "card_state": record.card_state.value,
        "social_security": record.social_security.value,
        "financial": record.financial.value,
        "record": _dumps(record_to_dict(record)),
        "updated_at": now,
    }


def _conflict_view(row: Any) -> ConflictView:
    return ConflictView(
        id=row.id,
        command_id=row.command_id,
        holder_id=row.holder_id,
        kind=row.kind,
        reason=row.reason,
        message=row.message,
        record=orjson.loads(row.record) if row.record else None,
        command=orjson.loads(row.command),
        actor=row.actor,
        device=row.device,
        branch=row.branch,
        opened_at=_iso(row.opened_at) or "",
        status=ConflictStatus(row.status),
        resolved_by=row.resolved_by,
        resolved_at=_iso(row.resolved_at),
        decision=ConflictDecision(row.decision) if row.decision else None,
        note=row.note,
        correcting_command_id=row.correcting_command_id,
    )


def _is_retryable(exc: DBAPIError) -> bool:
    """PostgreSQL deadlock or serialisation failure, or SQLite 'database is locked'."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in {"40001", "40P01"}:
        return True
    return "database is locked" in str(exc.orig)
