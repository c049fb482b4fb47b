"""Devices, staff, passwords, tokens and log-in limits.

Secrets are stored only as hashes: passwords with argon2id (memory-hard), device tokens, session
tokens and enrolment codes (32 random bytes, or a 60-bit typed code that expires) with SHA-256.
A token is found by its hash and then compared with `hmac.compare_digest`.

Log-in limits (issue 10): every attempt is counted *before* the argon2 check, in one write
transaction with the counter rows locked (`login_throttle`), so parallel guesses reach the check
at most `login_max_failures` times per `lockout_minutes`; a failure sets a lock or leaves it,
never clears it. Counters are kept per (staff id, device), and per staff id (`STAFF_WIDE`) only
for devices of the person's own branch: a device of another branch can lock only its own pair,
never the person at their branch. A wrong password, an unknown id, a deactivated person and the
right password of another branch's staff get the same 401 after one argon2 check each, so
probing learns nothing. Counters are forgotten `lockout_minutes` after their last failure.

Revocation: `revoke_device` refuses a device's token and ends its sessions; `deactivate_staff`
and `add_staff` on an existing person (a new password, role or branch) end that person's
sessions and record a withdrawal (`staff_withdrawals`) that devices learn at their next online
login (`SessionResponse.withdrawn`) or sync (`GET /v1/staff/withdrawn`), dropping offline
verifiers made before it. Offline verifiers carry `expires_at` (`offline_login_days`).

Signing keys (every command proves its maker): an online log-in may carry the public half of an
Ed25519 key the device made for this person (`SessionRequest.signing_key`; the private half stays
on the device, sealed under a key derived from the password). It is kept per (person, device) in
`staff_signing_keys` until `offline_login_days` from now; the push accepts a command only with a
valid signature of its actor's key on the sending device (and of the approver's, where the
command names one). Withdrawing a person deletes their keys; revoking a device deletes its keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Row, Table, delete, insert, or_, select, update

from branch_app.domain.vocabulary import Place, Role
from central import models
from central.db import Database, as_utc, utcnow
from central.limits import branch_limits
from central.settings import CentralSettings
from sync.protocol import (
    EnrolResponse,
    ErrorCode,
    ProtocolError,
    SessionResponse,
    StaffView,
    WithdrawalsResponse,
    WithdrawnStaff,
    key_id_of,
    make_offline_verifier,
)

#: Letters of enrolment codes: no 0/O, 1/I/L, easy to read aloud and type.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str
    name: str
    branch: str
    place: Place


@dataclass(frozen=True)
class StaffIdentity:
    staff_id: str
    name: str
    role: Role
    branch: str


class LoginRefused(ProtocolError):
    """A log-in that failed; `retry_after` (seconds) is set when the id is locked."""

    def __init__(self, code: ErrorCode, retry_after: int | None = None) -> None:
        super().__init__(code)
        self.retry_after = retry_after


def new_token() -> str:
    """A bearer token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_enrolment_code() -> str:
    """Twelve characters in three groups (`7KQ2-M9XD-4TPA`), about 59 bits."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def password_hasher(settings: CentralSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_kib,
        parallelism=1,
    )


class Authenticator:
    """Checks device tokens and staff sessions; performs log-ins and enrolments."""

    def __init__(self, db: Database, settings: CentralSettings) -> None:
        self.db = db
        self.settings = settings
        self.hasher = password_hasher(settings)
        # Verified against for unknown staff ids so they take as long as known ones.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    # Devices -----------------------------------------------------------------------------------

    def device_for_token(self, token: str) -> DeviceIdentity | None:
        if not token or len(token) > 200:
            return None
        wanted = token_hash(token)
        with self.db.read() as conn:
            row = conn.execute(
                select(models.devices).where(models.devices.c.token_hash == wanted)
            ).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_hash, wanted):
            return None
        return DeviceIdentity(row.device_id, row.name, row.branch, Place(row.place))

    def enrol(self, code: str, device_name: str) -> EnrolResponse:
        """Exchange a one-time enrolment code for a new device id and token.

        The code is first looked up by its hash in a read: an unknown, used or expired code is
        refused without taking the write lock (on SQLite, one writer for the whole central)."""
        wanted = token_hash(normalise_code(code))
        now = utcnow()
        table = models.enrolment_codes
        with self.db.read() as conn:
            found = conn.execute(select(table).where(table.c.code_hash == wanted)).first()
        if not _code_usable(found, wanted, now):
            raise ProtocolError(ErrorCode.INVALID_CODE)
        with self.db.write() as conn:
            row = conn.execute(
                select(table).where(table.c.code_hash == wanted).with_for_update()
            ).first()
            if row is None or not _code_usable(row, wanted, now):
                raise ProtocolError(ErrorCode.INVALID_CODE)
            device_id = "dev-" + secrets.token_hex(8)
            token = new_token()
            conn.execute(
                insert(models.devices).values(
                    device_id=device_id,
                    name=device_name,
                    branch=row.branch,
                    place=row.place,
                    token_hash=token_hash(token),
                    enrolled_at=now,
                )
            )
            conn.execute(
                update(table)
                .where(table.c.code_hash == wanted)
                .values(used_at=now, device_id=device_id)
            )
            limits = branch_limits(conn, row.branch, self.settings)
        return EnrolResponse(
            device_id=device_id,
            device_token=token,
            branch=row.branch,
            place=row.place,
            limits=limits,
        )

    # Staff ---------------------------------------------------------------------------------------

    def staff_for_session(self, token: str, device: DeviceIdentity) -> StaffIdentity | None:
        """The staff member of a live session made on this device, or None."""
        if not token or len(token) > 200:
            return None
        wanted = token_hash(token)
        s, st = models.staff_sessions, models.staff
        with self.db.read() as conn:
            row = conn.execute(
                select(s.c.token_hash, s.c.device_id, s.c.expires_at, st)
                .join(st, st.c.staff_id == s.c.staff_id)
                .where(s.c.token_hash == wanted)
            ).first()
        if row is None or not hmac.compare_digest(row.token_hash, wanted):
            return None
        if row.device_id != device.device_id or as_utc(row.expires_at) <= utcnow():
            return None
        if not row.active:
            return None
        return StaffIdentity(row.staff_id, row.name, Role(row.role), row.branch)

    def login(
        self,
        device: DeviceIdentity,
        staff_id: str,
        password: str,
        signing_key: str | None = None,
    ) -> SessionResponse:
        """Check the password (with lockout) and open a session on this device.

        The attempt is counted before the password is checked, in one write transaction (the
        counter rows locked), so parallel guesses reach the argon2 check at most
        `login_max_failures` times per lock period. Counted per (staff id, device), and per
        staff id only on devices of the person's own branch: another branch's device cannot lock
        a person out. A wrong password, an unknown id, a deactivated person and the right
        password of another branch's staff all get the same answer after the same work."""
        now = utcnow()
        with self.db.read() as conn:
            member = conn.execute(
                select(models.staff).where(models.staff.c.staff_id == staff_id)
            ).first()
        own = member is not None and member.branch == device.branch
        counters = [(staff_id, device.device_id)] + ([(staff_id, STAFF_WIDE)] if own else [])
        locked_until = self._count_attempt(counters, now)
        if locked_until is not None:
            raise LoginRefused(
                ErrorCode.LOCKED_OUT, retry_after=int((locked_until - now).total_seconds()) + 1
            )
        stored = member.password_hash if member is not None else self._dummy_hash
        good = self._verify(stored, password)
        if not (good and own and member is not None and member.active):
            self._lock_if_spent(counters, utcnow())
            raise LoginRefused(ErrorCode.INVALID_CREDENTIALS)
        token = new_token()
        now = utcnow()
        expires = now + dt.timedelta(minutes=self.settings.session_minutes)
        key_expires: dt.datetime | None = None
        table = models.login_throttle
        with self.db.write() as conn:
            current = conn.execute(
                select(models.staff).where(models.staff.c.staff_id == staff_id)
            ).first()
            if current is None or (
                current.password_hash,
                current.branch,
                current.role,
                current.active,
            ) != (member.password_hash, member.branch, member.role, member.active):
                changed = True  # add-staff or deactivate-staff ran meanwhile
            else:
                changed = False
                conn.execute(  # sessions that ended are of no further use
                    delete(models.staff_sessions).where(models.staff_sessions.c.expires_at < now)
                )
                for sid, dev in counters:
                    conn.execute(
                        update(table)
                        .where(table.c.staff_id == sid, table.c.device_id == dev)
                        .where(or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
                        .values(failures=0)
                    )
                conn.execute(
                    insert(models.staff_sessions).values(
                        token_hash=token_hash(token),
                        staff_id=staff_id,
                        device_id=device.device_id,
                        created_at=now,
                        expires_at=expires,
                    )
                )
                if signing_key is not None:
                    key_expires = register_signing_key(
                        conn,
                        self.db,
                        staff_id=member.staff_id,
                        device_id=device.device_id,
                        public_key=signing_key,
                        now=now,
                        days=self.settings.offline_login_days,
                    )
                if self.hasher.check_needs_rehash(member.password_hash):
                    conn.execute(
                        update(models.staff)
                        .where(models.staff.c.staff_id == staff_id)
                        .values(password_hash=self.hasher.hash(password))
                    )
            withdrawn = [] if changed else withdrawals_for(conn, device.branch, now, self.settings)
            limits = branch_limits(conn, device.branch, self.settings)
        if changed:
            raise LoginRefused(ErrorCode.INVALID_CREDENTIALS)
        verifier = make_offline_verifier(password).model_copy(
            update={
                "issued_at": now.isoformat(),
                "expires_at": (
                    now + dt.timedelta(days=self.settings.offline_login_days)
                ).isoformat(),
            }
        )
        return SessionResponse(
            session_token=token,
            expires_at=expires.isoformat(),
            staff=StaffView(
                staff_id=member.staff_id, name=member.name, role=member.role, branch=member.branch
            ),
            offline_verifier=verifier,
            withdrawn=withdrawn,
            signing_key_expires_at=None if key_expires is None else key_expires.isoformat(),
            limits=limits,
        )

    def withdrawals(self, device: DeviceIdentity) -> WithdrawalsResponse:
        """The withdrawn offline verifiers of the device's branch (what a sync passes on)."""
        with self.db.read() as conn:
            found = withdrawals_for(conn, device.branch, utcnow(), self.settings)
        return WithdrawalsResponse(withdrawn=found)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _count_attempt(
        self, counters: list[tuple[str, str]], now: dt.datetime
    ) -> dt.datetime | None:
        """Count one attempt on each counter; the end of the lock when one refuses it."""
        table = models.login_throttle
        limit = self.settings.login_max_failures
        lockout = dt.timedelta(minutes=self.settings.lockout_minutes)
        refused: dt.datetime | None = None
        with self.db.write() as conn:
            conn.execute(  # forget old counters: the table stays as small as the recent attempts
                delete(table).where(
                    table.c.last_failure_at < now - lockout,
                    or_(table.c.locked_until.is_(None), table.c.locked_until < now),
                )
            )
            for sid, dev in counters:
                conn.execute(
                    _insert_ignoring_duplicates(self.db, table).values(
                        staff_id=sid, device_id=dev, failures=0, last_failure_at=now
                    )
                )
                row = conn.execute(
                    select(table)
                    .where(table.c.staff_id == sid, table.c.device_id == dev)
                    .with_for_update()
                ).one()
                locked_until = as_utc(row.locked_until)
                if locked_until is not None and locked_until > now:
                    refused = max(refused or locked_until, locked_until)
                    continue
                recent = as_utc(row.last_failure_at) >= now - lockout
                failures = (row.failures if recent else 0) + 1
                values: dict[str, object] = {"failures": failures, "last_failure_at": now}
                if failures > limit:  # one more than allowed: lock, and do not check it
                    values.update(failures=0, locked_until=now + lockout)
                    refused = max(refused or now + lockout, now + lockout)
                conn.execute(
                    update(table)
                    .where(table.c.staff_id == sid, table.c.device_id == dev)
                    .values(**values)
                )
        return refused

    def _lock_if_spent(self, counters: list[tuple[str, str]], now: dt.datetime) -> None:
        """After a failed check: lock the counters that have used up their attempts.

        Sets a lock or leaves it; never clears one."""
        table = models.login_throttle
        until = now + dt.timedelta(minutes=self.settings.lockout_minutes)
        with self.db.write() as conn:
            for sid, dev in counters:
                conn.execute(
                    update(table)
                    .where(table.c.staff_id == sid, table.c.device_id == dev)
                    .where(table.c.failures >= self.settings.login_max_failures)
                    .where(or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
                    .values(failures=0, locked_until=until)
                )


#: `login_throttle.device_id` of the staff-wide counter (fed by devices of their own branch).
STAFF_WIDE = ""


def _code_usable(row: Row[Any] | None, wanted: str, now: dt.datetime) -> bool:
    return (
        row is not None
        and hmac.compare_digest(row.code_hash, wanted)
        and row.used_at is None
        and as_utc(row.expires_at) > now
    )


def _insert_ignoring_duplicates(db: Database, table: Table) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` in the database's dialect."""
    if db.is_postgres:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def withdrawals_for(
    conn: Connection, branch: str, now: dt.datetime, settings: CentralSettings
) -> list[WithdrawnStaff]:
    """The withdrawn offline verifiers of a branch, the latest per person, within the window."""
    table = models.staff_withdrawals
    since = now - dt.timedelta(days=settings.offline_login_days)
    latest: dict[str, dt.datetime] = {}
    for row in conn.execute(
        select(table.c.staff_id, table.c.at).where(table.c.branch == branch, table.c.at >= since)
    ):
        at = as_utc(row.at)
        if row.staff_id not in latest or latest[row.staff_id] < at:
            latest[row.staff_id] = at
    return [
        WithdrawnStaff(staff_id=staff_id, at=at.isoformat())
        for staff_id, at in sorted(latest.items())
    ]


def register_signing_key(
    conn: Connection,
    db: Database,
    *,
    staff_id: str,
    device_id: str,
    public_key: str,
    now: dt.datetime,
    days: int,
) -> dt.datetime | None:
    """Keep a person's public signing key for this device for `days`; until when (None: the key
    is not valid, or already registered, and is not kept). Expired keys go."""
    keys = models.staff_signing_keys
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        raw = base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None
    expires = now + dt.timedelta(days=days)
    conn.execute(delete(keys).where(keys.c.expires_at < now))
    conn.execute(
        _insert_ignoring_duplicates(db, keys).values(
            key_id=key_id_of(public_key),
            staff_id=staff_id,
            device_id=device_id,
            public_key=public_key,
            issued_at=now,
            expires_at=expires,
        )
    )
    row = conn.execute(
        select(keys.c.staff_id, keys.c.device_id).where(keys.c.key_id == key_id_of(public_key))
    ).one()
    return expires if (row.staff_id, row.device_id) == (staff_id, device_id) else None


def _withdraw(conn: Connection, staff_id: str, branches: set[str], now: dt.datetime) -> None:
    """End the person's sessions and withdraw their offline verifiers on these branches, and
    their signing keys everywhere (commands signed with them are refused from now on)."""
    conn.execute(delete(models.staff_sessions).where(models.staff_sessions.c.staff_id == staff_id))
    conn.execute(
        delete(models.staff_signing_keys).where(models.staff_signing_keys.c.staff_id == staff_id)
    )
    for branch in sorted(branches):
        conn.execute(
            insert(models.staff_withdrawals).values(staff_id=staff_id, branch=branch, at=now)
        )
    # Older rows concern verifiers that have expired on every device (at most a year's worth).
    conn.execute(
        delete(models.staff_withdrawals).where(
            models.staff_withdrawals.c.at < now - dt.timedelta(days=366)
        )
    )


# Administration (the `central` command and test helpers) ---------------------------------------


def add_staff(
    conn: Connection,
    hasher: PasswordHasher,
    *,
    staff_id: str,
    name: str,
    role: Role,
    branch: str,
    password: str,
) -> None:
    """Create a staff member, or replace the name, role, branch and password of an existing one."""
    values = {
        "name": name,
        "role": Role(role).value,
        "branch": branch,
        "password_hash": hasher.hash(password),
        "active": True,
    }
    table = models.staff
    exists = conn.execute(select(table.c.branch).where(table.c.staff_id == staff_id)).first()
    if exists:
        # A new password (add-staff always sets one), role or branch: the person's sessions end
        # and the offline verifiers made with the old password go, on the old and new branch.
        conn.execute(update(table).where(table.c.staff_id == staff_id).values(**values))
        _withdraw(conn, staff_id, {exists.branch, branch}, utcnow())
    else:
        conn.execute(insert(table).values(staff_id=staff_id, created_at=utcnow(), **values))


def deactivate_staff(conn: Connection, staff_id: str) -> bool:
    """The person leaves: log-ins refused, sessions ended, offline verifiers withdrawn.

    False when there is no such person."""
    table = models.staff
    row = conn.execute(select(table.c.branch).where(table.c.staff_id == staff_id)).first()
    if row is None:
        return False
    conn.execute(update(table).where(table.c.staff_id == staff_id).values(active=False))
    _withdraw(conn, staff_id, {row.branch}, utcnow())
    return True


def revoke_device(conn: Connection, device_id: str) -> bool:
    """The device's token is refused from now on and its staff sessions end.

    False when there is no such device."""
    table = models.devices
    found = conn.execute(select(table.c.device_id).where(table.c.device_id == device_id)).first()
    if found is None:
        return False
    conn.execute(
        update(table)
        .where(table.c.device_id == device_id, table.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    conn.execute(
        delete(models.staff_sessions).where(models.staff_sessions.c.device_id == device_id)
    )
    conn.execute(
        delete(models.staff_signing_keys).where(models.staff_signing_keys.c.device_id == device_id)
    )
    return True


def issue_enrolment_code(conn: Connection, *, branch: str, place: Place, valid_hours: int) -> str:
    """A one-time code an administrator hands to the person setting up a device."""
    code = new_enrolment_code()
    now = utcnow()
    conn.execute(
        insert(models.enrolment_codes).values(
            code_hash=token_hash(normalise_code(code)),
            branch=branch,
            place=Place(place).value,
            issued_at=now,
            expires_at=now + dt.timedelta(hours=valid_hours),
        )
    )
    return code
