"""Devices, staff, passwords, tokens and log-in limits.

Secrets are stored only as hashes: passwords with argon2id (memory-hard), device tokens, session
tokens and enrolment codes (32 random bytes, or a 60-bit typed code that expires) with SHA-256.
A token is found by its hash and then compared with `hmac.compare_digest`. A staff id that
fails `login_max_failures` times in a row is locked for `lockout_minutes`; unknown ids are
counted too and cost the same argon2 work, so probing learns nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from branch_app.domain.vocabulary import Place, Role
from central import models
from central.db import Database, as_utc, utcnow
from central.settings import CentralSettings
from sync.protocol import (
    EnrolResponse,
    ErrorCode,
    ProtocolError,
    SessionResponse,
    StaffView,
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
        """Exchange a one-time enrolment code for a new device id and token."""
        wanted = token_hash(normalise_code(code))
        now = utcnow()
        table = models.enrolment_codes
        with self.db.write() as conn:
            row = conn.execute(
                select(table).where(table.c.code_hash == wanted).with_for_update()
            ).first()
            if (
                row is None
                or not hmac.compare_digest(row.code_hash, wanted)
                or row.used_at is not None
                or as_utc(row.expires_at) <= now
            ):
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
        return EnrolResponse(
            device_id=device_id, device_token=token, branch=row.branch, place=row.place
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

    def login(self, device: DeviceIdentity, staff_id: str, password: str) -> SessionResponse:
        """Check the password (with lockout) and open a session on this device."""
        now = utcnow()
        with self.db.read() as conn:
            failure = conn.execute(
                select(models.login_failures).where(models.login_failures.c.staff_id == staff_id)
            ).first()
            member = conn.execute(
                select(models.staff).where(models.staff.c.staff_id == staff_id)
            ).first()
        locked_until = as_utc(failure.locked_until) if failure is not None else None
        if locked_until is not None and locked_until > now:
            raise LoginRefused(
                ErrorCode.LOCKED_OUT, retry_after=int((locked_until - now).total_seconds()) + 1
            )
        stored = member.password_hash if member is not None else self._dummy_hash
        good = self._verify(stored, password)
        if not (good and member is not None and member.active):
            self._record_failure(staff_id)
            raise LoginRefused(ErrorCode.INVALID_CREDENTIALS)
        if member.branch != device.branch:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, message="This staff member belongs to another branch."
            )
        token = new_token()
        expires = now + dt.timedelta(minutes=self.settings.session_minutes)
        with self.db.write() as conn:
            conn.execute(  # sessions that ended are of no further use
                delete(models.staff_sessions).where(models.staff_sessions.c.expires_at < now)
            )
            conn.execute(
                update(models.login_failures)
                .where(models.login_failures.c.staff_id == staff_id)
                .values(failures=0, locked_until=None)
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
            if self.hasher.check_needs_rehash(member.password_hash):
                conn.execute(
                    update(models.staff)
                    .where(models.staff.c.staff_id == staff_id)
                    .values(password_hash=self.hasher.hash(password))
                )
        return SessionResponse(
            session_token=token,
            expires_at=expires.isoformat(),
            staff=StaffView(
                staff_id=member.staff_id, name=member.name, role=member.role, branch=member.branch
            ),
            offline_verifier=make_offline_verifier(password),
        )

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _record_failure(self, staff_id: str) -> None:
        table = models.login_failures
        now = utcnow()
        with self.db.write() as conn:
            row = conn.execute(
                select(table).where(table.c.staff_id == staff_id).with_for_update()
            ).first()
            failures = (row.failures if row is not None else 0) + 1
            locked = None
            if failures >= self.settings.login_max_failures:
                locked = now + dt.timedelta(minutes=self.settings.lockout_minutes)
                failures = 0
            if row is None:
                conn.execute(
                    insert(table).values(staff_id=staff_id, failures=failures, locked_until=locked)
                )
            else:
                conn.execute(
                    update(table)
                    .where(table.c.staff_id == staff_id)
                    .values(failures=failures, locked_until=locked)
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
    exists = conn.execute(select(table.c.staff_id).where(table.c.staff_id == staff_id)).first()
    if exists:
        conn.execute(update(table).where(table.c.staff_id == staff_id).values(**values))
    else:
        conn.execute(insert(table).values(staff_id=staff_id, created_at=utcnow(), **values))


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
