"""The card agency's side of every command: applied with the domain lifecycle, one at a time.

Each pushed command runs in its own write transaction: the person's card row is locked first
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite writers are already one at a time), then the
command id is checked (a duplicate gets its first answer again; the same id with another body is
refused), then who sent it (the device, its branch, an active member of its staff), then the
domain's one admission path, `admission.admit`, on the current record: the same rules the counter
applied (permission, applicant and representative, documents, the second person looked up in the
staff table, the lifecycle). A lifecycle refusal is a conflict for a supervisor; any other refusal
rejects the command. The channels of the card agency's own (online platform, hotlines, police)
are decided by `lifecycle.decide` alone. The answer is stored with the command, so every later
delivery of the same command is answered identically. A command based on an older version is
still decided by the lifecycle (which decides conflicts, not version numbers); its base version is
kept with it. New record versions go to the change feed with a cursor handed out at commit time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError, IntegrityError

from branch_app.domain import lifecycle
from branch_app.domain.admission import Admission, Approver, Maker, admit, approval_of
from branch_app.domain.identity import (
    IdentityError,
    IdentityKind,
    IdentityNumber,
    mask_identity,
    parse_identity,
)
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
from branch_app.domain.vocabulary import (
    LIFECYCLE_REFUSALS,
    ConflictDecision,
    ConflictStatus,
    LookupPurpose,
    Outcome,
    Place,
    RefusalReason,
    RejectReason,
    Role,
)
from branch_app.domain.workdays import china_date
from central import models
from central.auth import DeviceIdentity, StaffIdentity
from central.db import Database, as_utc, utcnow
from sync.protocol import (
    APPROVER,
    DEFAULT_CHANGES_LIMIT,
    MAKER,
    MAX_CHANGES_LIMIT,
    Change,
    ChangesResponse,
    ConflictView,
    ErrorCode,
    ErrorItem,
    LookupRequest,
    LookupResponse,
    ProtocolError,
    PushCommand,
    PushResult,
    ResolveConflictRequest,
    ResolveConflictResponse,
    key_id_of,
    signature_key_id,
    signing_bytes,
)

log = logging.getLogger(__name__)

#: Branch and device names under which the simulated channels' commands are recorded.
CHANNEL_BRANCH = "CHANNEL"
CHANNEL_DEVICE = "central"
#: How far ahead of the central's clock a device's `made_at` is still believed (`_lost_after`).
_CLOCK_SKEW = dt.timedelta(minutes=5)
#: Attempts at one command when the database reports a race (unique key, deadlock) to retry.
_ATTEMPTS = 4

#: A follow lapses after this long without a lookup or a command about the card at its branch;
#: the pull ignores it from then on and `prune` removes it. A card's later changes reach the
#: branch again once it looks the card up or sends a command about it (the answer carries the
#: record as it is then).
FOLLOW_EXPIRY = dt.timedelta(days=90)
#: A follow's activity time is written again only when older than this: a push renews the
#: follows of its cards without a write per command.
FOLLOW_RENEWAL = dt.timedelta(days=1)
#: A pull whose range (since, watermark] spans at most this many cursors walks the feed; a
#: longer one walks the branch's follows (measured: bench central_scale, docs/SCALE.md).
RANGE_SCAN_MAX = 2_000
#: A device that has not pulled for this long (or is revoked) no longer holds back the pruning
#: of the feed: once back, it gets only changes still kept (re-enrol it to refill its cache).
DEVICE_IDLE_LIMIT = dt.timedelta(days=30)
#: A device's pulled cursor (what pruning waits for) is written at most this often.
PULL_RECORD_INTERVAL = dt.timedelta(minutes=10)

# The hot path's statements, built once: values travel as bound parameters, so SQLAlchemy reuses
# the compiled SQL instead of building and caching a new statement for every command.
_SELECT_STAFF = select(models.staff).where(
    models.staff.c.staff_id.in_(bindparam("b_staff", expanding=True))
)
#: The signing keys a batch's signatures name (issue 10: every command proves its maker).
_SELECT_KEYS = select(models.staff_signing_keys).where(
    models.staff_signing_keys.c.key_id.in_(bindparam("b_keys", expanding=True))
)
_SELECT_CARDS = (
    select(models.cards.c.holder_id, models.cards.c.record)
    .where(models.cards.c.holder_id.in_(bindparam("b_holders", expanding=True)))
    .order_by(models.cards.c.holder_id)
    .with_for_update()
)
# A command id is the sending device's: the same id from another device is another command.
_SELECT_SEEN = select(
    models.commands.c.id, models.commands.c.body_hash, models.commands.c.result
).where(
    (models.commands.c.device == bindparam("b_device"))
    & models.commands.c.id.in_(bindparam("b_ids", expanding=True))
)
_SELECT_FOLLOWED = select(
    models.branch_interest.c.holder_id, models.branch_interest.c.active_at
).where(
    (models.branch_interest.c.branch == bindparam("b_branch"))
    & models.branch_interest.c.holder_id.in_(bindparam("b_holders", expanding=True))
)
#: The latest loss report each card's record took (applied or merged) through the card agency's
#: own channels (online platform, hotlines: someone without the card, a relative): an unlock
#: made at a counter before it was received must not thaw the card silently (`_lost_after`).
_SELECT_LATEST_LOSS = (
    select(models.commands.c.holder_id, func.max(models.commands.c.received_at).label("at"))
    .where(
        models.commands.c.holder_id.in_(bindparam("b_holders", expanding=True))
        & (models.commands.c.kind == lifecycle.ReportLoss.kind)
        & models.commands.c.outcome.in_((Outcome.APPLIED.value, Outcome.MERGED.value))
        & (models.commands.c.device == CHANNEL_DEVICE)
    )
    .group_by(models.commands.c.holder_id)
)
_INSERT_COMMAND = insert(models.commands)
_INSERT_CONFLICT = insert(models.conflicts)
_INSERT_CHANGE = insert(models.changes)
_UPDATE_CARD = update(models.cards).where(models.cards.c.holder_id == bindparam("b_holder"))
_ADVANCE_CURSOR = (
    update(models.feed_head)
    .where(models.feed_head.c.id == 1)
    .values(cursor=models.feed_head.c.cursor + bindparam("b_count"))
    .returning(models.feed_head.c.cursor)
)


#: Columns written on the hot path, in the order of the driver-level statements below.
_COMMAND_COLUMNS = (
    "id",
    "holder_id",
    "kind",
    "body_hash",
    "base_version",
    "version_at_receipt",
    "actor",
    "device",
    "branch",
    "made_at",
    "seq",
    "received_at",
    "outcome",
    "reason",
    "result",
)
_CARD_COLUMNS = (
    "holder_id",
    "version",
    "card_number",
    "new_card_number",
    "card_state",
    "social_security",
    "financial",
    "record",
    "updated_at",
)
_CHANGE_COLUMNS = ("cursor", "holder_id", "version", "record", "command_id", "changed_at")


class _HotStatements:
    """The push's bulk writes as plain driver SQL, run with the driver's `executemany`.

    A batch of 500 commands writes about 1,200 rows; through SQLAlchemy's compiled statements
    each row's parameters are built and processed one by one in Python, which cost more than the
    database itself. Here the rows are tuples in column order and go to the driver as they are
    (psycopg pipelines an `executemany`, sqlite3 runs it in C). Only timestamps need the
    dialect's own conversion, done once per batch with the column type's bind processor, so the
    stored values are exactly what SQLAlchemy writes and reads back elsewhere.
    """

    def __init__(self, db: Database) -> None:
        self.dialect = db.engine.dialect
        mark = "?" if db.is_sqlite else "%s"

        def values(columns: tuple[str, ...]) -> str:
            return f"({', '.join(columns)}) VALUES ({', '.join(mark for _ in columns)})"

        self.insert_commands = f"INSERT INTO commands {values(_COMMAND_COLUMNS)}"
        self.insert_changes = f"INSERT INTO changes {values(_CHANGE_COLUMNS)}"
        self.insert_cardholders = (
            f"INSERT INTO cardholders {values(('holder_id', 'name', 'created_at'))} "
            "ON CONFLICT DO NOTHING"
        )
        self.insert_cards = f"INSERT INTO cards {values(_CARD_COLUMNS)} ON CONFLICT DO NOTHING"
        # A follow made or renewed: its activity time moves, its start stays.
        self.upsert_follows = (
            f"INSERT INTO branch_interest {values(('branch', 'holder_id', 'since', 'active_at'))} "
            "ON CONFLICT (branch, holder_id) DO UPDATE SET active_at = excluded.active_at"
        )
        assignments = ", ".join(f"{c} = {mark}" for c in _CARD_COLUMNS[1:])
        self.update_cards = f"UPDATE cards SET {assignments} WHERE holder_id = {mark}"
        timestamp_type = models.commands.c.received_at.type.dialect_impl(self.dialect)
        self._timestamp = timestamp_type.bind_processor(self.dialect)

    def timestamp(self, moment: dt.datetime) -> Any:
        """A timestamp in the form the driver stores (SQLite: SQLAlchemy's text form)."""
        return moment if self._timestamp is None else self._timestamp(moment)

    @staticmethod
    def run(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            conn.exec_driver_sql(sql, rows)


class _PullStatements:
    """The pull's two plans as driver SQL, written so that each database runs them in the
    order given whatever its statistics say (SQLite: `CROSS JOIN` keeps the order of the
    tables; PostgreSQL: `LATERAL` makes the follows drive the seeks into the feed)."""

    def __init__(self, db: Database) -> None:
        self.sqlite = db.is_sqlite
        mark = "?" if db.is_sqlite else "%s"
        # Walk the feed in cursor order (a short range), check each row's follow by its key.
        join = "CROSS JOIN" if db.is_sqlite else "JOIN"
        self.by_range = (
            "SELECT c.cursor, c.holder_id, c.record FROM changes AS c "
            f"{join} branch_interest AS f ON f.branch = {mark} AND f.holder_id = c.holder_id "
            f"WHERE c.cursor > {mark} AND c.cursor <= {mark} AND f.active_at >= {mark} "
            f"ORDER BY c.cursor LIMIT {mark}"
        )
        # Walk the branch's active follows, seek each card's changes after the cursor.
        if db.is_sqlite:
            self.by_follows = (
                "SELECT c.cursor, c.holder_id, c.record FROM branch_interest AS f "
                "CROSS JOIN changes AS c INDEXED BY ix_changes_holder_cursor "
                "ON c.holder_id = f.holder_id AND c.cursor > ? AND c.cursor <= ? "
                "WHERE f.branch = ? AND f.active_at >= ? ORDER BY c.cursor LIMIT ?"
            )
        else:
            self.by_follows = (
                "SELECT c.cursor, c.holder_id, c.record FROM branch_interest AS f "
                "CROSS JOIN LATERAL (SELECT cursor, holder_id, record FROM changes "
                "WHERE holder_id = f.holder_id AND cursor > %s AND cursor <= %s "
                "ORDER BY cursor LIMIT %s) AS c "
                "WHERE f.branch = %s AND f.active_at >= %s ORDER BY c.cursor LIMIT %s"
            )

    def run(
        self,
        conn: Connection,
        *,
        by_range: bool,
        branch: str,
        since: int,
        head: int,
        active_after: Any,
        limit: int,
    ) -> list[Any]:
        """The page: (cursor, holder_id, record) rows after `since` up to `head`, by cursor."""
        params: tuple[Any, ...]
        if by_range:
            sql, params = self.by_range, (branch, since, head, active_after, limit)
        elif self.sqlite:
            sql, params = self.by_follows, (since, head, branch, active_after, limit)
        else:
            sql, params = self.by_follows, (since, head, limit, branch, active_after, limit)
        return list(conn.exec_driver_sql(sql, params).all())


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


class _StoreFailed(Exception):
    """The database refused a batch even after retries."""


@dataclass(slots=True)
class _Answer:
    """The central's answer to one command, as the push makes it: plain values, its JSON made
    once (stored with the command and sent as it is). A 500-command push would otherwise build,
    validate and serialise 500 `PushResult` models; `result()` makes the model for the callers
    that want one (the tests, a channel, a supervisor's correction)."""

    id: str
    outcome: Outcome
    version: int | None = None
    reason: str | None = None
    message: str | None = None
    record: dict[str, Any] | None = None
    first_outcome: Outcome | None = None
    _json: bytes | None = None

    def wire(self) -> bytes:
        """The answer's JSON, field for field what `PushResult.model_dump_json` writes."""
        if self._json is None:
            self._json = orjson.dumps(
                {
                    "id": self.id,
                    "outcome": self.outcome,
                    "version": self.version,
                    "reason": None if self.reason is None else str(self.reason),
                    "message": self.message,
                    "record": self.record,
                    "first_outcome": self.first_outcome,
                }
            )
        return self._json

    def result(self) -> PushResult:
        return PushResult.model_validate_json(self.wire())

    @classmethod
    def from_stored(cls, text: str) -> _Answer:
        """An answer as stored with its command (its JSON, kept as the same bytes)."""
        fields = orjson.loads(text)
        first = fields.get("first_outcome")
        return cls(
            id=fields["id"],
            outcome=Outcome(fields["outcome"]),
            version=fields.get("version"),
            reason=fields.get("reason"),
            message=fields.get("message"),
            record=fields.get("record"),
            first_outcome=None if first is None else Outcome(first),
            _json=text.encode(),
        )


def _with_record(answer: _Answer, record: dict[str, Any]) -> _Answer:
    """`answer` as sent to a maker who may see the record (stored and repeated without it)."""
    return _Answer(
        id=answer.id,
        outcome=answer.outcome,
        version=answer.version,
        reason=answer.reason,
        message=answer.message,
        record=record,
    )


def _lost_after(command: PushCommand, lost_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether this unlock was made before a loss report the central received through a
    channel (a relative online while the branch was offline): the counter could not know of it,
    so the unlock must not thaw the card on its own (the safe state wins; a supervisor decides).
    A time beyond the central's clock (and its allowance for skew) proves nothing: the safe side
    too. Loss reports from counters are left to the lifecycle: two counters' offline acts are
    not ordered by their clocks."""
    if command.kind != lifecycle.Unlock.kind or lost_at is None:
        return False
    try:
        made = dt.datetime.fromisoformat(command.made_at)
    except ValueError:
        return True
    made = made.replace(tzinfo=dt.UTC) if made.tzinfo is None else made
    return made > now + _CLOCK_SKEW or lost_at > made


def _lost_since_unlock(command: PushCommand, current: CardRecord) -> _Answer:
    """The unlock's answer when the card was reported lost again after it was made."""
    return _Answer(
        id=command.id,
        outcome=Outcome.CONFLICT,
        version=current.version,
        reason=RefusalReason.LOST_AFTER_UNLOCK.value,
    )


def _internal_error(command_id: str) -> _Answer:
    """An answer that is not recorded, so the client may send the command again later."""
    return _Answer(
        id=command_id,
        outcome=Outcome.REJECTED,
        reason=RejectReason.INTERNAL_ERROR,
        message="the central could not store the command; send it again later",
    )


def _repeat(command_id: str, body_hash: str, stored_hash: str, first: str | _Answer) -> _Answer:
    """The answer to a command id this device sent before: its first answer's outcome, version
    and reason (never a record: a repeat is no lookup, and the record it had may be long
    superseded), or `id_reused` for another body under the device's own id."""
    if not hmac.compare_digest(stored_hash, body_hash):
        return _Answer(
            id=command_id,
            outcome=Outcome.REJECTED,
            reason=RejectReason.ID_REUSED,
            message="this command id was used before for a different command",
        )
    if isinstance(first, str):
        first = _Answer.from_stored(first)
    return _Answer(
        id=first.id,
        outcome=Outcome.DUPLICATE,
        version=first.version,
        reason=first.reason,
        message=first.message,
        first_outcome=first.outcome,
    )


class _ParsedRecords:
    """Card records parsed from their stored JSON, kept by the exact text they came from.

    Parsing a record back into a `CardRecord` costs more than deciding a command on it, and a
    sync batch touches the same cards as the batch before. A cached record is used only when the
    row read under the lock holds exactly the text it was parsed from (records are immutable),
    so a change made by anyone else, in any process, is never missed. Bounded; oldest dropped.
    """

    def __init__(self, limit: int = 50_000) -> None:
        self._limit = limit
        self._by_holder: dict[str, tuple[str, CardRecord]] = {}
        self._lock = threading.Lock()  # pushes run in a thread pool (PostgreSQL: in parallel)

    def get(self, holder_id: str, raw: str) -> CardRecord:
        cached = self._by_holder.get(holder_id)
        if cached is not None and cached[0] == raw:
            return cached[1]
        record = record_from_dict(orjson.loads(raw))
        self.put(holder_id, raw, record)
        return record

    def put(self, holder_id: str, raw: str, record: CardRecord) -> None:
        with self._lock:
            by_holder = self._by_holder
            by_holder.pop(holder_id, None)
            by_holder[holder_id] = (raw, record)
            if len(by_holder) > self._limit:
                del by_holder[next(iter(by_holder))]


class _Abort(Exception):
    """Roll the transaction back and answer with this result instead (not recorded)."""

    def __init__(self, result: PushResult) -> None:
        super().__init__(result.outcome)
        self.result = result


class CentralService:
    """Commands, the change feed, lookups and conflicts over one `Database`."""

    def __init__(
        self,
        db: Database,
        audit_key: bytes,
        *,
        follow_expiry: dt.timedelta = FOLLOW_EXPIRY,
        range_scan: int = RANGE_SCAN_MAX,
    ) -> None:
        self.db = db
        self.audit_key = audit_key
        self.follow_expiry = follow_expiry
        self.range_scan = range_scan
        self._pull = _PullStatements(db)
        self._insert_ignore_statements: dict[str, Any] = {}
        self._hot = _HotStatements(db)
        self._parsed = _ParsedRecords()
        self._public_keys = _PublicKeys()
        #: (holder id, document kind) -> (the day it was checked, canonical): the check depends
        #: only on the day.
        self._checked_holders: dict[
            tuple[str, IdentityKind | None], tuple[dt.date, IdentityNumber | None]
        ] = {}

    # Push --------------------------------------------------------------------------------------

    def push(
        self,
        device: DeviceIdentity,
        commands: list[PushCommand],
        viewer: StaffIdentity | None = None,
    ) -> list[PushResult]:
        """Apply a batch in order, each command decided on the state the previous one left.

        What an answer tells (push is no read channel: a device token alone is not a lookup):
        every answer carries the outcome, the version and the reason. The record comes back only

        - when the command was `applied`: its maker changed the record and sees the result;
        - for `merged` and `conflict`, when the maker's lookup rights allow it: the push carries
          `viewer`, the live staff session (the header a lookup needs) of the command's maker, an
          active member of staff of the device's branch (every role may look a person up at the
          central). Then the answer is a lookup: one row in the lookup audit (who, device,
          branch, purpose `counter_service`, the keyed hash and masked id, note `push <outcome>`)
          and the branch follows the person, as after a lookup.

        Never for `duplicate` (a repeat is no lookup) nor `rejected`. A branch follows a person
        only after an applied command or an audited answer: a rejected command never, and a
        merged one (it changed nothing) not on the device token's word alone. Command ids are
        the sending device's: the same id from another device is another command.
        """
        return [answer.result() for answer in self._push(device, commands, viewer)]

    def push_response(
        self,
        device: DeviceIdentity,
        commands: list[PushCommand],
        viewer: StaffIdentity | None = None,
    ) -> bytes:
        """`push`, answered as the JSON body of a `PushResponse`, made from each answer's JSON."""
        answers = self._push(device, commands, viewer)
        return b'{"results":[' + b",".join(answer.wire() for answer in answers) + b"]}"

    def _push(
        self, device: DeviceIdentity, commands: list[PushCommand], viewer: StaffIdentity | None
    ) -> list[_Answer]:
        """The batch is one transaction (the answers leave only after it is committed); if it
        cannot be stored even after retries, each command is tried in its own transaction so
        that one poisonous command cannot block the others."""
        origin = Origin.of_device(device)
        try:
            return self._run(origin, commands, viewer)
        except _StoreFailed:
            if len(commands) == 1:
                return [_internal_error(commands[0].id)]
            return [self._apply_alone(origin, command, viewer) for command in commands]

    def apply(self, origin: Origin, command: PushCommand) -> PushResult:
        """Apply one command in its own transaction."""
        return self._apply_alone(origin, command).result()

    def _apply_alone(
        self, origin: Origin, command: PushCommand, viewer: StaffIdentity | None = None
    ) -> _Answer:
        try:
            return self._run(origin, [command], viewer)[0]
        except _StoreFailed:
            return _internal_error(command.id)

    def _run(
        self, origin: Origin, commands: list[PushCommand], viewer: StaffIdentity | None = None
    ) -> list[_Answer]:
        """One write transaction for `commands`, retried on races the database reports."""
        for attempt in range(_ATTEMPTS):
            try:
                with self.db.write() as conn:
                    return self._apply_batch(conn, origin, commands, viewer)
            except IntegrityError:
                continue  # another transaction stored the same id or card first: decide again
            except DBAPIError as exc:
                if _is_retryable(exc) and attempt + 1 < _ATTEMPTS:
                    continue
                log.error("a batch could not be stored (%s)", type(exc).__name__)
                break
        raise _StoreFailed

    def _apply_batch(
        self,
        conn: Connection,
        origin: Origin,
        commands: list[PushCommand],
        viewer: StaffIdentity | None = None,
    ) -> list[_Answer]:
        """Decide every command in memory against locked records, then write all at once.

        `viewer`: the staff session the push carried (see `push`: what an answer may tell)."""
        now = utcnow()
        stamp = self._hot.timestamp(now)
        today = china_date(now)  # ages and dates are Guangzhou's, not UTC's
        valid = {
            key: self._holder(*key, today) is not None
            for key in {(c.holder_id, c.holder_kind) for c in commands}
        }
        holders = sorted({holder_id for (holder_id, _), ok in valid.items() if ok})
        records = self._lock_cards(conn, holders, stamp)
        seen: dict[str, tuple[str, str | _Answer]] = {
            row.id: (row.body_hash, row.result)
            for row in conn.execute(
                _SELECT_SEEN,
                {"b_device": origin.device_id, "b_ids": sorted({c.id for c in commands})},
            )
        }
        staff: dict[str, Any] = {}
        keys: dict[str, Any] = {}
        followed: set[str] = set()
        if not origin.is_channel:
            # The makers, and the second persons their commands name (checked by `admit`).
            people = {c.actor for c in commands} | {
                c.payload["approved_by"]
                for c in commands
                if isinstance(c.payload.get("approved_by"), str)
            }
            staff = {
                r.staff_id: r for r in conn.execute(_SELECT_STAFF, {"b_staff": sorted(people)})
            }
            keys = _signing_keys(conn, commands)
            if holders:
                # Followed and active within the renewal interval: nothing to write for these.
                fresh = now - FOLLOW_RENEWAL
                followed = {
                    row.holder_id
                    for row in conn.execute(
                        _SELECT_FOLLOWED, {"b_branch": origin.branch, "b_holders": holders}
                    )
                    if row.active_at is not None and as_utc(row.active_at) > fresh
                }

        lost_at = self._latest_losses(conn, origin, commands, valid)
        results: list[_Answer] = []
        command_rows: list[tuple[Any, ...]] = []
        conflict_rows: list[dict[str, Any]] = []
        follow_rows: list[tuple[Any, ...]] = []
        audit_rows: list[dict[str, Any]] = []
        changed: list[tuple[CardRecord, str | None, dict[str, Any] | None]] = []
        for command in commands:
            body_hash = _body_hash(command)
            if command.id in seen:
                results.append(_repeat(command.id, body_hash, *seen[command.id]))
                continue
            current = records.get(command.holder_id)
            try:
                result, new_record = self._decide(
                    origin, command, current, staff, today, keys=keys, now=now
                )
                if (
                    new_record is not None
                    and current is not None
                    and _lost_after(command, lost_at.get(command.holder_id), now)
                ):
                    result, new_record = _lost_since_unlock(command, current), None
            except Exception as exc:  # a bug must not sink the whole batch
                log.error("deciding a %s command failed (%s)", command.kind, type(exc).__name__)
                results.append(_internal_error(command.id))
                continue
            seen[command.id] = (body_hash, result)
            audited = (
                result.outcome in (Outcome.MERGED, Outcome.CONFLICT)
                and current is not None
                and self._may_see(origin, viewer, command)
            )
            if audited:
                assert viewer is not None and current is not None
                audit_rows.append(self._push_audit_row(origin, viewer, command, result, now))
                results.append(_with_record(result, record_to_dict(current)))
            else:
                results.append(result)
            command_rows.append(  # in the order of _COMMAND_COLUMNS
                (
                    command.id,
                    command.holder_id,
                    command.kind,
                    body_hash,
                    command.base_version,
                    None if current is None else current.version,
                    command.actor,
                    origin.device_id,  # the sender's: ids are scoped to the device sending them
                    command.branch,
                    command.made_at,
                    command.seq,
                    stamp,
                    result.outcome.value,
                    result.reason,
                    _stored_answer(result),
                )
            )
            if result.outcome is Outcome.CONFLICT:
                conflict_rows.append(
                    {
                        "command_id": command.id,
                        "holder_id": command.holder_id,
                        "kind": command.kind,
                        "reason": result.reason or "",
                        "message": result.message,
                        "record": None if current is None else _dumps(record_to_dict(current)),
                        "command": _dumps(command.model_dump(mode="json")),
                        "actor": command.actor,
                        "device": command.device,
                        "branch": command.branch,
                        "opened_at": now,
                        "status": ConflictStatus.OPEN.value,
                    }
                )
            if new_record is not None:
                records[command.holder_id] = new_record
                changed.append((new_record, command.id, result.record))
            # Followed only after an applied command or an audited answer (see `push`).
            follows = (
                not origin.is_channel
                and valid[command.holder_id, command.holder_kind]
                and (result.outcome is Outcome.APPLIED or audited)
            )
            if follows and command.holder_id not in followed:
                followed.add(command.holder_id)
                follow_rows.append((origin.branch, command.holder_id, stamp, stamp))

        hot = self._hot
        hot.run(conn, hot.insert_commands, command_rows)
        if conflict_rows:
            conn.execute(_INSERT_CONFLICT, conflict_rows)
        hot.run(conn, hot.upsert_follows, follow_rows)
        if audit_rows:
            conn.execute(insert(models.lookup_audit), audit_rows)
        self._store_records(conn, changed, now)
        return results

    @staticmethod
    def _may_see(origin: Origin, viewer: StaffIdentity | None, command: PushCommand) -> bool:
        """Whether the push's staff session may see the record a command's answer would carry:
        the session is the command's maker's, of the sending device's branch (see `push`)."""
        return (
            viewer is not None
            and not origin.is_channel
            and viewer.staff_id == command.actor
            and viewer.branch == origin.branch
        )

    def _push_audit_row(
        self,
        origin: Origin,
        viewer: StaffIdentity,
        command: PushCommand,
        answer: _Answer,
        now: dt.datetime,
    ) -> dict[str, Any]:
        """The lookup audit's row for a push answer that shows the record, as `lookup` writes."""
        return {
            "at": now,
            "staff_id": viewer.staff_id,
            "device_id": origin.device_id,
            "branch": origin.branch,
            "purpose": LookupPurpose.COUNTER_SERVICE.value,
            "note": f"push {answer.outcome.value}",
            "subject_kind": "holder_id",
            "subject_key": self.subject_key(command.holder_id),
            "subject_masked": mask_identity(command.holder_id),
            "found": True,
        }

    def _holder(
        self, holder_id: str, kind: IdentityKind | None, today: dt.date
    ) -> IdentityNumber | None:
        """The checked identity number when it is valid and canonical for its document kind
        (None: read by its form, as a device of the previous version sends it), remembered for
        the day (a batch names the same people as the batch before); bounded, cleared when full."""
        key = (holder_id, kind)
        checked = self._checked_holders.get(key)
        if checked is not None and checked[0] == today:
            return checked[1]
        holder = _canonical_identity(holder_id, kind, today)
        if len(self._checked_holders) >= 100_000:
            self._checked_holders = {}
        self._checked_holders[key] = (today, holder)
        return holder

    def _decide(
        self,
        origin: Origin,
        command: PushCommand,
        current: CardRecord | None,
        staff: dict[str, Any],
        today: dt.date,
        *,
        keys: dict[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> tuple[_Answer, CardRecord | None]:
        """The answer to a new command and, when applied, the new record.

        Who sent it is checked here (the device, its branch, an active member of staff of that
        branch); whether it may be taken, by the domain's one admission path, exactly as the
        counter checked it: permission, the applicant rules, the documents, the second person
        (looked up here, never taken on the device's word) and the lifecycle. A lifecycle refusal
        is a conflict for a supervisor; any other refusal rejects the command."""

        def rejected(reason: str, message: str | None) -> tuple[_Answer, None]:
            return (
                _Answer(id=command.id, outcome=Outcome.REJECTED, reason=reason, message=message),
                None,
            )

        holder = self._holder(command.holder_id, command.holder_kind, today)
        if current is None or holder is None:
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

        if origin.place is None:  # a channel of the card agency's own: no counter rules
            decision: Admission | Refused | Applied | Merged = decide(current, domain_command)
        else:
            member = staff.get(command.actor)
            if member is None or not member.active:
                return rejected(RejectReason.UNKNOWN_ACTOR, "actor is not an active staff member")
            if member.branch != origin.branch:
                return rejected(RejectReason.ACTOR_WRONG_BRANCH, "actor belongs to another branch")
            # Who made it and who approved it are what their signatures prove (issue 10).
            proof = _proof(
                command, approval_of(domain_command), origin, keys or {}, now, self._public_keys
            )
            if proof is not None:
                return rejected(*proof)
            decision = admit(
                domain_command,
                current,
                holder=holder,
                maker=Maker(member.staff_id, Role(member.role)),
                place=origin.place,
                today=today,
                approver=_approver(staff, approval_of(domain_command), origin.branch),
                consequences=False,
            )
            if isinstance(decision, Refused) and decision.reason not in LIFECYCLE_REFUSALS:
                return rejected(decision.reason.value, None)
        if isinstance(decision, Admission):
            decision = decision.decision
        match decision:
            case Applied(record=new):
                return (
                    _Answer(
                        id=command.id,
                        outcome=Outcome.APPLIED,
                        version=new.version,
                        record=record_to_dict(new),
                    ),
                    new,
                )
            case Merged(record=same):
                return (
                    _Answer(
                        id=command.id,
                        outcome=Outcome.MERGED,
                        version=same.version,
                    ),
                    None,
                )
            case Refused(reason=reason):
                return (
                    _Answer(
                        id=command.id,
                        outcome=Outcome.CONFLICT,
                        version=current.version,
                        reason=reason.value,
                    ),
                    None,
                )
        raise AssertionError(f"unexpected decision {decision!r}")  # pragma: no cover

    @staticmethod
    def _latest_losses(
        conn: Connection,
        origin: Origin,
        commands: list[PushCommand],
        valid: dict[tuple[str, Any], bool],
    ) -> dict[str, dt.datetime]:
        """When each card the batch would unlock last took a loss report through a channel
        (online, a hotline): only a counter's unlocks need it."""
        if origin.is_channel:
            return {}
        holders = sorted(
            {
                c.holder_id
                for c in commands
                if c.kind == lifecycle.Unlock.kind and valid[c.holder_id, c.holder_kind]
            }
        )
        if not holders:
            return {}
        rows = conn.execute(_SELECT_LATEST_LOSS, {"b_holders": holders})
        return {row.holder_id: as_utc(row.at) for row in rows if row.at is not None}

    def _lock_cards(
        self, conn: Connection, holders: list[str], stamp: Any
    ) -> dict[str, CardRecord]:
        """The records of `holders`, locked for this transaction in a fixed (sorted) order so
        that concurrent batches cannot deadlock; people seen for the first time get a record
        with no card. `stamp` is the batch's time in the driver's form."""
        if not holders:
            return {}
        found = {
            row.holder_id: row.record for row in conn.execute(_SELECT_CARDS, {"b_holders": holders})
        }
        missing = [h for h in holders if h not in found]
        fresh: dict[str, tuple[str, CardRecord]] = {}
        if missing:
            hot = self._hot
            hot.run(conn, hot.insert_cardholders, [(h, None, stamp) for h in missing])
            card_rows = []
            for h in missing:
                record = CardRecord.new(h)
                row = _card_row(record, stamp)
                fresh[h] = (row[7], record)
                card_rows.append(row)
            hot.run(conn, hot.insert_cards, card_rows)
            # Read back under the lock: another transaction may have made the card first.
            for row in conn.execute(_SELECT_CARDS, {"b_holders": missing}):
                found[row.holder_id] = row.record
        records = {}
        for h, raw in found.items():
            made = fresh.get(h)
            # The record this transaction just wrote needs no parsing back.
            if made is not None and made[0] == raw:
                records[h] = made[1]
            else:
                records[h] = self._parsed.get(h, raw)
        return records

    def _insert_ignore_statement(self, table: Any) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING in the database's dialect, built once per table."""
        statement = self._insert_ignore_statements.get(table.name)
        if statement is None:
            dialect = pg_dialect if self.db.is_postgres else sqlite_dialect
            statement = dialect.insert(table).on_conflict_do_nothing()
            self._insert_ignore_statements[table.name] = statement
        return statement

    def _follow(self, conn: Connection, branch: str, holder_id: str, now: dt.datetime) -> None:
        """The branch follows the card from now on (again, if the follow had lapsed)."""
        stamp = self._hot.timestamp(now)
        self._hot.run(conn, self._hot.upsert_follows, [(branch, holder_id, stamp, stamp)])

    def _store_records(
        self,
        conn: Connection,
        changed: list[tuple[CardRecord, str | None, dict[str, Any] | None]],
        now: dt.datetime,
    ) -> None:
        """Write the newest record of each card and append every version to the change feed.

        The feed's cursors are taken last, with one `UPDATE ... RETURNING` that locks the feed
        head until commit: cursors therefore grow in commit order and a reader never skips one.
        """
        if not changed:
            return
        hot = self._hot
        stamp = hot.timestamp(now)
        latest: dict[str, tuple[Any, ...]] = {}
        rows: list[tuple[Any, ...]] = []
        for record, command_id, as_dict in changed:
            card = _card_row(record, stamp, as_dict)
            self._parsed.put(record.holder_id, card[7], record)
            # changes: (cursor filled in below) holder_id, version, record, command_id, changed_at
            rows.append((record.holder_id, record.version, card[7], command_id, stamp))
            latest[record.holder_id] = (*card[1:], record.holder_id)  # SET ..., WHERE holder_id
        hot.run(conn, hot.update_cards, list(latest.values()))
        last = conn.execute(_ADVANCE_CURSOR, {"b_count": len(rows)}).scalar_one()
        first = last - len(rows) + 1
        hot.run(conn, hot.insert_changes, [(first + i, *row) for i, row in enumerate(rows)])

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
            conn.execute(
                self._insert_ignore_statement(models.cardholders),
                {"holder_id": record.holder_id, "name": name, "created_at": now},
            )
            conn.execute(
                self._insert_ignore_statement(models.cards),
                _card_columns(CardRecord.new(record.holder_id), now),
            )
            self._store_records(conn, [(record, None, None)], now)

    # Pull --------------------------------------------------------------------------------------

    def changes(self, device: DeviceIdentity, since: int, limit: int) -> ChangesResponse:
        """New record versions after `since` for the cards this device's branch follows.

        The answer's `next_cursor` is the feed's watermark when the page is not full: every
        cursor up to it was committed and scanned, so the next pull starts there even when
        nothing here concerned the branch. The watermark is read first, then only cursors up
        to it are read, so a late commit (a cursor handed out but not yet committed) is never
        passed over. The scan is bounded by what the branch needs whatever the planner knows:
        a short range of the feed is walked in cursor order, checking each row's follow; a
        longer one (a device catching up) walks the branch's active follows and seeks each
        followed card's changes on `changes (holder_id, cursor)` (docs/SCALE.md: both measured).
        """
        limit = max(1, min(limit or DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT))
        now = utcnow()
        pull = self._pull
        with self.db.read() as conn:
            head = self._watermark(conn)
            if since >= head:
                rows: list[Any] = []
            else:
                rows = pull.run(
                    conn,
                    by_range=head - since <= self.range_scan,
                    branch=device.branch,
                    since=since,
                    head=head,
                    active_after=self._hot.timestamp(now - self.follow_expiry),
                    limit=limit,
                )
            pulled = conn.execute(
                select(models.devices.c.pulled_cursor, models.devices.c.pulled_at).where(
                    models.devices.c.device_id == device.device_id
                )
            ).first()
        found = [Change(cursor=r[0], holder_id=r[1], record=orjson.loads(r[2])) for r in rows]
        if pulled is not None and since > (pulled.pulled_cursor or 0):
            last = as_utc(pulled.pulled_at)
            if last is None or now - last >= PULL_RECORD_INTERVAL:
                self._record_pulled(device.device_id, since, now)
        if len(found) == limit:
            return ChangesResponse(changes=found, next_cursor=found[-1].cursor)
        return ChangesResponse(changes=found, next_cursor=max(head, since))

    @staticmethod
    def _watermark(conn: Connection) -> int:
        """The highest cursor below which every cursor is committed and visible to `conn`.

        With cursors handed out by the feed head's row lock at the end of each write
        transaction (`_store_records`), that is the head itself as this snapshot sees it."""
        return int(
            conn.execute(
                select(models.feed_head.c.cursor).where(models.feed_head.c.id == 1)
            ).scalar_one()
        )

    def _record_pulled(self, device_id: str, since: int, now: dt.datetime) -> None:
        """Remember that the device holds every change up to `since` (pruning waits for it)."""
        devices = models.devices
        with self.db.write() as conn:
            conn.execute(
                update(devices)
                .where(
                    (devices.c.device_id == device_id)
                    & ((devices.c.pulled_cursor.is_(None)) | (devices.c.pulled_cursor < since))
                )
                .values(pulled_cursor=since, pulled_at=now)
            )

    # Lookup ------------------------------------------------------------------------------------

    def lookup(
        self, staff: StaffIdentity, device: DeviceIdentity, request: LookupRequest
    ) -> LookupResponse | None:
        """A person's record, and the name the central holds for them (`cardholders.name`, when
        known), by id number or card number; audited whether found or not.

        The branch follows the card from then on, so its pulls bring later changes.
        """
        now = utcnow()
        cards = models.cards
        if request.holder_id is not None:
            if self._holder(request.holder_id, request.holder_kind, china_date(now)) is None:
                raise ProtocolError(
                    ErrorCode.INVALID_BODY,
                    [ErrorItem(loc=["holder_id"], msg="not a valid identity number of its kind")],
                )
            subject_kind, subject = "holder_id", request.holder_id
            where = cards.c.holder_id == subject
            masked = mask_identity(subject)
        else:
            subject_kind, subject = "card_number", request.card_number or ""
            where = (cards.c.card_number == subject) | (cards.c.new_card_number == subject)
            masked = subject[:2] + "*****" + subject[-2:]
        with self.db.write() as conn:
            # FOR SHARE (PostgreSQL): no change to this card commits between this read and the
            # follow written below, so the branch's next pull brings every later version.
            row = conn.execute(
                select(
                    cards.c.holder_id, cards.c.record, cards.c.version, models.cardholders.c.name
                )
                .join(models.cardholders, models.cardholders.c.holder_id == cards.c.holder_id)
                .where(where)
                .limit(1)
                .with_for_update(read=True, of=cards)
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
            return LookupResponse(record=orjson.loads(row.record), name=row.name or None)

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
        if staff.role is not Role.SUPERVISOR:
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
                    result = self._apply_batch(conn, Origin.of_device(device), [fix])[0].result()
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

    # Retention ---------------------------------------------------------------------------------

    def prune(
        self,
        older_than: dt.timedelta,
        *,
        device_idle: dt.timedelta = DEVICE_IDLE_LIMIT,
        now: dt.datetime | None = None,
        batch: int = 5_000,
    ) -> PruneReport:
        """Remove what no device and no duplicate needs any more (`central prune`).

        - The feed: changes older than `older_than` and behind every active device's cursor
          (the `since` it last pulled with). A device counts unless revoked or silent (no pull,
          or not enrolled) for longer than `device_idle`; a device that never pulled holds the
          feed at 0 until it does. A change some active device has not pulled is never removed.
        - Commands older than `older_than`: the record an older central stored in the answer
          (the row, its body hash and its answer stay: a late duplicate is still `duplicate`,
          with the same answer, and another body under its id still `id_reused`).
        - Follows without a lookup or a command for `follow_expiry` (the pull ignores them).
        The lookup audit is never pruned here: the law requires it kept (docs/SCALE.md).
        """
        now = now or utcnow()
        before = now - older_than
        idle_since = now - device_idle
        devices, ch, cmd = models.devices, models.changes, models.commands
        with self.db.read() as conn:
            holds = conn.execute(
                select(func.min(func.coalesce(devices.c.pulled_cursor, 0))).where(
                    devices.c.revoked_at.is_(None)
                    & (
                        (devices.c.pulled_at >= idle_since)
                        | (devices.c.pulled_at.is_(None) & (devices.c.enrolled_at >= idle_since))
                    )
                )
            ).scalar_one()
            head = self._watermark(conn)
        floor = head if holds is None else min(int(holds), head)
        changes = 0
        while True:  # in batches: writers wait for each short transaction only
            with self.db.write() as conn:
                doomed = (
                    select(ch.c.cursor)
                    .where((ch.c.cursor <= floor) & (ch.c.changed_at < before))
                    .order_by(ch.c.cursor)
                    .limit(batch)
                )
                done = conn.execute(delete(ch).where(ch.c.cursor.in_(doomed.scalar_subquery())))
                changes += done.rowcount
            if done.rowcount < batch:
                break
        answers = 0
        last = ""
        while True:
            with self.db.write() as conn:
                rows = conn.execute(
                    select(cmd.c.id, cmd.c.result)
                    .where((cmd.c.received_at < before) & (cmd.c.id > last))
                    .order_by(cmd.c.id)
                    .limit(batch)
                ).all()
                stripped = [
                    {"b_id": row.id, "b_result": _without_record(row.result)}
                    for row in rows
                    if '"record":{' in row.result
                ]
                if stripped:
                    conn.execute(
                        update(cmd)
                        .where(cmd.c.id == bindparam("b_id"))
                        .values(result=bindparam("b_result")),
                        stripped,
                    )
                answers += len(stripped)
            if len(rows) < batch:
                break
            last = rows[-1].id
        with self.db.write() as conn:
            bi = models.branch_interest
            follows = conn.execute(
                delete(bi).where(
                    bi.c.active_at.is_(None) | (bi.c.active_at < now - self.follow_expiry)
                )
            ).rowcount
        return PruneReport(changes=changes, answers=answers, follows=follows, feed_floor=floor)


def _without_record(stored: str) -> str:
    """A stored answer as it is stored now: without the record an older central kept in it."""
    fields = orjson.loads(stored)
    fields["record"] = None
    return _dumps(fields)


@dataclass(frozen=True)
class PruneReport:
    """What `CentralService.prune` removed, and the cursor the feed was pruned up to."""

    changes: int
    answers: int
    follows: int
    feed_floor: int


def _stored_answer(answer: _Answer) -> str:
    """The answer as stored with its command, without a record: a repeat never carries one
    (`_repeat`), and an applied command's record is the change feed row it wrote."""
    if answer.outcome is Outcome.APPLIED and answer.record is not None:
        return (
            _Answer(
                id=answer.id,
                outcome=answer.outcome,
                version=answer.version,
                reason=answer.reason,
                message=answer.message,
                first_outcome=answer.first_outcome,
            )
            .wire()
            .decode()
        )
    return answer.wire().decode()


#: Optional fields the dump leaves out when absent (so an older body hashes as it did).
_LEFT_OUT_WHEN_ABSENT = ("holder_kind", "signature", "approver_signature")


def _body_hash(command: PushCommand) -> str:
    """`PushCommand.body_hash()` without the model dump: a parsed command's fields are already
    plain JSON values (strict model, no extra fields), so hashing them directly gives the same
    canonical bytes and the same hash. An absent `holder_kind` is left out, as the dump leaves
    it out: a command of the previous version hashes as it did then."""
    fields = command.__dict__
    absent = [name for name in _LEFT_OUT_WHEN_ABSENT if fields.get(name) is None]
    if absent:
        fields = {name: value for name, value in fields.items() if name not in absent}
    return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _signing_keys(conn: Connection, commands: list[PushCommand]) -> dict[str, Any]:
    """The stored signing keys the batch's signatures name, by key id."""
    wanted = {
        key_id
        for c in commands
        for key_id in (signature_key_id(c.signature), signature_key_id(c.approver_signature))
        if key_id
    }
    if not wanted:
        return {}
    return {r.key_id: r for r in conn.execute(_SELECT_KEYS, {"b_keys": sorted(wanted)})}


class _PublicKeys:
    """Ed25519 public keys made once from their stored text: `signature_verifies` for a push.

    Checks exactly what `sync.protocol.signature_verifies` checks (the signature names the
    key's id, decodes, and verifies over the message with that key), but decodes each key and
    hashes its id once instead of for every command: a batch is signed by one or two people,
    and the same keys sign the next batch. Every signature is still verified, each time. A key
    is looked up by its text, so a replaced or withdrawn key is never confused with another
    (which key a command may use is decided from the database row, by `_signed_by`). Bounded."""

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._by_text: dict[str, tuple[str, Ed25519PublicKey | None]] = {}

    def _key(self, public_key: str) -> tuple[str, Ed25519PublicKey | None]:
        made = self._by_text.get(public_key)
        if made is None:
            try:
                key: Ed25519PublicKey | None = Ed25519PublicKey.from_public_bytes(
                    _unb64url(public_key)
                )
            except ValueError:
                key = None  # malformed: verifies nothing
            made = (key_id_of(public_key), key)
            if len(self._by_text) >= self._limit:
                self._by_text = {}
            self._by_text[public_key] = made
        return made

    def verifies(self, public_key: str, message: bytes, signature: str | None) -> bool:
        """Whether `signature` (wire form) is `public_key`'s over `message`."""
        if not signature:
            return False
        named, dot, text = signature.partition(".")
        if not dot:
            return False
        key_id, key = self._key(public_key)
        if named != key_id or key is None:
            return False
        try:
            key.verify(_unb64url(text), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _unb64url(text: str) -> bytes:
    """`sync.protocol`'s decoding of the wire's unpadded URL-safe base64 (same errors)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signed_by(
    command: PushCommand,
    signature: str | None,
    role: str,
    staff_id: str,
    device_id: str,
    keys: dict[str, Any],
    now: dt.datetime,
    public_keys: _PublicKeys,
) -> bool:
    """Whether `signature` is `staff_id`'s, with their unexpired key on `device_id`, over the
    command's canonical bytes for `role`."""
    key = keys.get(signature_key_id(signature) or "")
    return (
        key is not None
        and key.staff_id == staff_id
        and key.device_id == device_id
        and as_utc(key.expires_at) > now
        and public_keys.verifies(key.public_key, signing_bytes(command, role), signature)
    )


def _proof(
    command: PushCommand,
    approver: str | None,
    origin: Origin,
    keys: dict[str, Any],
    now: dt.datetime | None,
    public_keys: _PublicKeys,
) -> tuple[str, str] | None:
    """Why a device's command does not prove its maker (and the second person it names), or
    None: the maker's signature must verify with the actor's own key on the sending device, and
    a named approver's with theirs. The approver `admit` sees is then the one whose signature
    verified (looked up in the staff table), never the device's word alone."""
    now = now or utcnow()
    device = origin.device_id
    if not _signed_by(
        command, command.signature, MAKER, command.actor, device, keys, now, public_keys
    ):
        return (
            RejectReason.MAKER_NOT_PROVEN,
            "no valid signature of the actor's key on this device",
        )
    if approver and not _signed_by(
        command, command.approver_signature, APPROVER, approver, device, keys, now, public_keys
    ):
        return (
            RejectReason.APPROVER_NOT_PROVEN,
            "no valid signature of the named approver's key on this device",
        )
    return None


def _approver(staff: dict[str, Any], named: str | None, branch: str) -> Approver | None:
    """The second person a command names, as the staff table knows them: active, this branch."""
    member = staff.get(named) if named else None
    if member is None or not member.active or member.branch != branch:
        return None
    return Approver(member.staff_id, Role(member.role))


def _canonical_identity(
    holder_id: str, kind: IdentityKind | None, today: dt.date
) -> IdentityNumber | None:
    try:
        holder = parse_identity(holder_id, kind=kind, today=today)
    except IdentityError:
        return None
    return holder if holder.number == holder_id else None


def _card_row(
    record: CardRecord, stamp: Any, as_dict: dict[str, Any] | None = None
) -> tuple[Any, ...]:
    """A card's columns in the order of `_CARD_COLUMNS` (`stamp`: the driver's time form;
    `as_dict`: the record's `record_to_dict` form when already made, for the answer)."""
    application = record.application
    return (
        record.holder_id,
        record.version,
        record.card_number,
        application.new_card_number if application else None,
        record.card_state.value,
        record.social_security.value,
        record.financial.value,
        _dumps(as_dict if as_dict is not None else record_to_dict(record)),
        stamp,
    )


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
