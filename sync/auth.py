"""Staff login and device enrolment.

- Enrolment: on first start the device exchanges a one-time code for a device token; the token
  goes into the OS keyring (`branch-app` / `device-token:<central url>`), the device's identity
  (id, branch, place: not secret) beside it (`device-info:<central url>`).
- Login: the first login of a staff member on a device needs the central, which answers with a
  session token and an *offline verifier* (a separate salted argon2id hash of the password just
  typed). That verifier is kept in `staff.json` in the data folder, encrypted with the store's
  data key. Later logins go to the central when it answers and fall back to the verifier when it
  does not. Wrong passwords count per staff id on this device; after `max_failures` in a row the
  id is locked for `lockout` (also across restarts). Sessions end after `session_timeout` without
  activity.
- A verifier is used only until the `expires_at` the central gave it (one without it, from an
  older central, is not used: the next login asks the central), and only when its argon2
  parameters are at least `MIN_VERIFIER_PARAMS` (and at most `MAX_VERIFIER_PARAMS`), whatever the
  central sent. Verifiers made before a withdrawal the central lists (the person left, or their
  password, role or branch changed) are dropped: at every online login (the session answer
  carries the list) and when the sync passes the list on (`Authenticator.apply_withdrawals`).
- Signing keys (issue 10: every command proves its maker): at every online login the device makes
  an Ed25519 key for the person, sends its public half with the login (`SessionRequest.
  signing_key`; the central keeps it for this person on this device for the offline-login window)
  and keeps the private half in the person's `staff.json` entry sealed under a key derived from
  the password just typed (argon2id, its own salt; AES-GCM bound to the person and the key id),
  never under the data key alone: a copied data folder, keyring or device token cannot use it.
  An offline login unlocks it with the password typed. The session carries it unlocked
  (`StaffSession.signer`); the counter signs every command with it when it is queued. It goes
  with the verifier when the central withdraws the person, and is not used past its expiry.
- The failure count and lock live in the OS keyring beside the data key (`FailureGuard`, entry
  `store:<id>:staff-locks`) when the directory belongs to a store: restoring an older
  `staff.json` does not roll them back. The file's copy is only a fallback for a directory made
  without a guard (unit tests) and for locks written before the guard existed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from branch_app.domain.vocabulary import Place, Role
from sync.client import (
    KEYRING_SERVICE,
    CentralClient,
    CentralError,
    CentralRejected,
    CentralUnavailable,
    NotEnrolled,
    checked_keyring,
    normalise_url,
    store_device_token,
)
from sync.protocol import (
    MAKER,
    OFFLINE_VERIFIER_ALGORITHM,
    EnrolRequest,
    ErrorCode,
    OfflineLimits,
    OfflineVerifier,
    SessionRequest,
    SessionResponse,
    VerifierParams,
    WithdrawnStaff,
    key_id_of,
    offline_verifier_matches,
    public_key_text,
    signature_text,
    signing_bytes,
)

if TYPE_CHECKING:
    from branch_app.store import LocalStore

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
STAFF_FILE = "staff.json"
STAFF_FORMAT = "branch-app-staff"
#: The cheapest offline verifier this device accepts (OWASP's argon2id minimum: 19 MiB, t=2):
#: a central that sends less (by mistake or hostile) gets no offline login on this device.
MIN_VERIFIER_PARAMS = VerifierParams(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32)
#: The dearest one (1 GiB, t=10, p=8): more would stall the counter at every offline login.
MAX_VERIFIER_PARAMS = VerifierParams(
    time_cost=10, memory_cost=1_048_576, parallelism=8, hash_len=64
)


def verifier_usable(
    verifier: OfflineVerifier, now: dt.datetime, floor: VerifierParams = MIN_VERIFIER_PARAMS
) -> bool:
    """Whether this device may check a password against `verifier` now: not expired (and with
    an expiry), argon2id version 19, its cost between `floor` and `MAX_VERIFIER_PARAMS`."""
    params, ceiling = verifier.params, MAX_VERIFIER_PARAMS
    if verifier.algorithm != OFFLINE_VERIFIER_ALGORITHM or params.version != 19:
        return False
    for name in ("time_cost", "memory_cost", "parallelism", "hash_len"):
        if not getattr(floor, name) <= getattr(params, name) <= getattr(ceiling, name):
            return False
    if verifier.expires_at is None:
        return False
    try:
        expires = dt.datetime.fromisoformat(verifier.expires_at)
    except ValueError:
        return False
    return expires.tzinfo is not None and now < expires


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- errors


class LoginError(Exception):
    """A login that did not succeed; `key` and `params` make the sentence on the screen."""

    key = "sync.login.failed"

    def __init__(self, **params: object) -> None:
        super().__init__(self.key)
        self.params = params


class WrongCredentials(LoginError):
    key = "sync.login.failed"


class LockedOut(LoginError):
    key = "sync.login.locked"


class FirstLoginNeedsCentral(LoginError):
    key = "sync.login.first_needs_central"


class DeviceRefused(LoginError):
    """The central refused this device (not the password): re-enrol or call support."""

    key = "sync.error.auth"

    def __init__(self, key: str = "sync.error.auth") -> None:
        super().__init__()
        self.key = key


class EnrolmentError(Exception):
    key = "sync.enrol.bad_code"

    def __init__(self, key: str | None = None) -> None:
        super().__init__(key or self.key)
        if key:
            self.key = key


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class StaffSession:
    """Who is working at the counter now; `session_token` is None for an offline login."""

    staff_id: str
    name: str
    role: Role
    branch: str
    offline: bool
    started_at: dt.datetime
    last_activity: dt.datetime
    session_token: str | None = None
    expires_at: str | None = None
    #: This person's signing key on this device, unlocked by the password typed at this login
    #: (None: the central registered none, or it expired); never printed or compared.
    signer: CommandSigner | None = field(default=None, repr=False, compare=False)

    def touched(self, now: dt.datetime) -> StaffSession:
        return replace(self, last_activity=now)

    def expired(self, now: dt.datetime, timeout: dt.timedelta) -> bool:
        """True once the counter has been idle longer than the timeout."""
        return now - self.last_activity >= timeout


# ---------------------------------------------------------------- signing keys

#: argon2id parameters of the key that seals a signing key (as the offline verifier's).
SIGNING_KEY_KDF = VerifierParams(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32)


class CommandSigner:
    """A person's unlocked signing key on this device: signs a command's canonical bytes."""

    def __init__(self, staff_id: str, private: Ed25519PrivateKey, expires_at: str | None) -> None:
        self.staff_id = staff_id
        self._private = private
        self.public_key = public_key_text(private.public_key().public_bytes_raw())
        self.key_id = key_id_of(self.public_key)
        self.expires_at = expires_at

    @classmethod
    def generate(cls, staff_id: str) -> CommandSigner:
        return cls(staff_id, Ed25519PrivateKey.generate(), None)

    def sign(self, command: Any, role: str = MAKER) -> str:
        """The wire signature of `command` (a `PushCommand` or an outbox item) for `role`."""
        return signature_text(self.public_key, self._private.sign(signing_bytes(command, role)))

    def usable(self, now: dt.datetime) -> bool:
        if self.expires_at is None:
            return False
        try:
            return now < dt.datetime.fromisoformat(self.expires_at)
        except ValueError:
            return False

    def __repr__(self) -> str:
        return f"CommandSigner(key {self.key_id[:8]})"

    def sealed(self, password: str, issued_at: str) -> dict[str, Any]:
        """The private key sealed under a key derived from `password` (for `staff.json`)."""
        salt, nonce = os.urandom(16), os.urandom(12)
        raw = self._private.private_bytes_raw()
        box = AESGCM(_password_key(password, salt, SIGNING_KEY_KDF))
        return {
            "algorithm": "ed25519",
            "kdf": {"algorithm": "argon2id", **SIGNING_KEY_KDF.model_dump()},
            "salt": base64.b64encode(salt).decode(),
            "nonce": base64.b64encode(nonce).decode(),
            "sealed": base64.b64encode(box.encrypt(nonce, raw, self._aad())).decode(),
            "public_key": self.public_key,
            "issued_at": issued_at,
            "expires_at": self.expires_at,
        }

    def _aad(self) -> bytes:
        return f"branch-app signing key:{self.staff_id.strip().upper()}:{self.key_id}".encode()

    @classmethod
    def unsealed(cls, staff_id: str, sealed: dict[str, Any], password: str) -> CommandSigner:
        """The key `sealed` holds, opened with `password`; `SigningKeyLocked` otherwise."""
        try:
            kdf = VerifierParams.model_validate(
                {k: v for k, v in sealed["kdf"].items() if k != "algorithm"}
            )
            if not _kdf_acceptable(kdf):
                raise SigningKeyLocked()
            salt = base64.b64decode(sealed["salt"], validate=True)
            nonce = base64.b64decode(sealed["nonce"], validate=True)
            blob = base64.b64decode(sealed["sealed"], validate=True)
            public = str(sealed["public_key"])
            aad = f"branch-app signing key:{staff_id.strip().upper()}:{key_id_of(public)}"
            raw = AESGCM(_password_key(password, salt, kdf)).decrypt(nonce, blob, aad.encode())
            signer = cls(staff_id, Ed25519PrivateKey.from_private_bytes(raw), None)
        except (KeyError, TypeError, ValueError, ValidationError, InvalidTag):
            raise SigningKeyLocked() from None
        if signer.public_key != public:
            raise SigningKeyLocked()
        signer.expires_at = sealed.get("expires_at")
        return signer


class SigningKeyLocked(Exception):
    """A sealed signing key that the password given does not open (or that is damaged)."""


def _kdf_acceptable(params: VerifierParams) -> bool:
    return (
        all(
            getattr(MIN_VERIFIER_PARAMS, name)
            <= getattr(params, name)
            <= getattr(MAX_VERIFIER_PARAMS, name)
            for name in ("time_cost", "memory_cost", "parallelism")
        )
        and params.hash_len == 32
    )


def _password_key(password: str, salt: bytes, params: VerifierParams) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        password.encode(),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
        version=params.version,
    )


def unlock_signing_key(
    staff_id: str, entry: StaffEntry, password: str, now: dt.datetime
) -> CommandSigner | None:
    """The person's signing key on this device, opened with `password`; None when there is
    none, it has expired, or the password does not open it."""
    sealed = entry.extra.get(SIGNING_KEY)
    if not isinstance(sealed, dict):
        return None
    try:
        signer = CommandSigner.unsealed(staff_id, sealed, password)
    except SigningKeyLocked:
        log.warning("a signing key on this device could not be opened")
        return None
    return signer if signer.usable(now) else None


#: Where a person's sealed signing key lives in their `StaffEntry.extra`.
SIGNING_KEY = "signing_key"


# ---------------------------------------------------------------- the local staff directory


class Sealer(Protocol):
    """Encrypts values bound to a context (the store's `KeySet`)."""

    def encrypt(self, value: Any, context: str) -> str: ...
    def decrypt(self, blob: str, context: str) -> Any: ...


@dataclass
class StaffEntry:
    """What this device knows about one staff member (all of it is stored encrypted)."""

    verifier: dict[str, Any] | None = None
    name: str = ""
    role: str = ""
    branch: str = ""
    failures: int = 0
    locked_until: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class KeyringLike(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...


class FailureGuard:
    """Failure counts and locks of offline logins in one OS keyring entry, by staff slot.

    Beside the data key, out of the data folder: a restored copy of `staff.json` cannot roll a
    lock back. Holds only keyed hashes of staff ids, counts and times."""

    def __init__(self, keyring: KeyringLike, entry: str) -> None:
        self._keyring = keyring
        self._entry = entry

    def load(self) -> dict[str, dict[str, Any]]:
        raw = self._keyring.get_password(KEYRING_SERVICE, self._entry)
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, dict[str, Any]]) -> None:
        self._keyring.set_password(KEYRING_SERVICE, self._entry, json.dumps(data, sort_keys=True))


class StaffDirectory:
    """Offline verifiers and failure counts, one encrypted blob per staff member, in one file.

    The file is rewritten atomically (temp file, fsync, replace) on every change; staff ids are
    stored only as keyed hashes so the file does not even list who works here. With a `guard`,
    the failure counts and locks are kept in the keyring instead (see `FailureGuard`).
    """

    def __init__(
        self, path: Path, sealer: Sealer, *, id_key: bytes, guard: FailureGuard | None = None
    ) -> None:
        self.path = path
        self._sealer = sealer
        self._id_key = id_key
        self._guard = guard
        self._lock = threading.Lock()
        self._entries: dict[str, str] = {}
        if path.exists():
            data = orjson.loads(path.read_bytes())
            if data.get("format") != STAFF_FORMAT:
                raise ValueError(f"{path}: not a staff file")
            self._entries = dict(data.get("staff", {}))

    @classmethod
    def for_store(cls, store: LocalStore) -> StaffDirectory:
        """The directory beside a `LocalStore`, sealed with its keys."""
        keys = store.keys  # the store re-seals staff.json on a key rotation (SEALED_MAPS)
        guard = FailureGuard(store._backend, f"store:{store.store_id}:staff-locks")
        return cls(Path(store.data_dir) / STAFF_FILE, keys, id_key=keys.audit_key, guard=guard)

    def _slot(self, staff_id: str) -> str:
        return hashlib.blake2b(
            staff_id.strip().upper().encode(), key=self._id_key[:64], digest_size=20
        ).hexdigest()

    def get(self, staff_id: str) -> StaffEntry:
        slot = self._slot(staff_id)
        blob = self._entries.get(slot)
        if blob is None:
            entry = StaffEntry()
        else:
            entry = StaffEntry(**self._sealer.decrypt(blob, f"staff:{slot}"))
        if self._guard is not None:
            kept = self._guard.load().get(slot)
            if kept is not None:  # the keyring's count wins over the file's
                entry = replace(
                    entry,
                    failures=int(kept.get("failures", 0)),
                    locked_until=kept.get("locked_until"),
                )
        return entry

    def put(self, staff_id: str, entry: StaffEntry) -> None:
        from branch_app.store import write_atomically

        slot = self._slot(staff_id)
        with self._lock:
            if self._guard is not None:
                counts = self._guard.load()
                wanted = {"failures": entry.failures, "locked_until": entry.locked_until}
                if counts.get(slot) != wanted:
                    counts[slot] = wanted
                    self._guard.save(counts)  # first: a crash between keeps the lock
            self._entries[slot] = self._sealer.encrypt(entry.__dict__, f"staff:{slot}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(
                self.path, orjson.dumps({"format": STAFF_FORMAT, "staff": self._entries})
            )

    def withdraw(self, withdrawn: list[WithdrawnStaff]) -> int:
        """Drop the verifiers (and signing keys) made before each listed withdrawal; how many
        verifiers were dropped."""
        dropped = 0
        for item in withdrawn:
            entry = self.get(item.staff_id)
            entry = self._drop_signing_key_before(item, entry)
            if entry.verifier is None:
                continue
            issued = entry.verifier.get("issued_at")
            try:
                if issued is not None and dt.datetime.fromisoformat(
                    str(issued)
                ) > dt.datetime.fromisoformat(item.at):
                    continue  # made after the change: the new password's verifier
            except ValueError:
                pass
            self.put(item.staff_id, replace(entry, verifier=None))
            dropped += 1
        return dropped

    def _drop_signing_key_before(self, item: WithdrawnStaff, entry: StaffEntry) -> StaffEntry:
        """The entry without its signing key when the key was made before the withdrawal."""
        sealed = entry.extra.get(SIGNING_KEY)
        if not isinstance(sealed, dict):
            return entry
        try:
            if dt.datetime.fromisoformat(str(sealed.get("issued_at"))) > dt.datetime.fromisoformat(
                item.at
            ):
                return entry
        except ValueError:
            pass
        extra = {k: v for k, v in entry.extra.items() if k != SIGNING_KEY}
        entry = replace(entry, extra=extra)
        self.put(item.staff_id, entry)
        return entry


# ---------------------------------------------------------------- login


class Authenticator:
    """Logs staff in, online first, offline against the stored verifier when the central is away."""

    def __init__(
        self,
        directory: StaffDirectory,
        connect: Callable[[], CentralClient] | None,
        *,
        clock: Clock = _utc_now,
        session_timeout: dt.timedelta = dt.timedelta(minutes=15),
        max_failures: int = 5,
        lockout: dt.timedelta = dt.timedelta(minutes=15),
        min_verifier: VerifierParams = MIN_VERIFIER_PARAMS,
        on_limits: Callable[[OfflineLimits | None], None] | None = None,
    ) -> None:
        self.min_verifier = min_verifier
        #: Told the branch's offline limits every online log-in brings (the sync state keeps
        #: them sealed: `SyncState.save_limits`).
        self.on_limits = on_limits
        self.directory = directory
        self.connect = connect
        self.clock = clock
        self.session_timeout = session_timeout
        self.max_failures = max_failures
        self.lockout = lockout

    def login(self, staff_id: str, password: str) -> StaffSession:
        staff_id = staff_id.strip()
        now = self.clock()
        entry = self.directory.get(staff_id)
        if entry.locked_until is not None:
            until = dt.datetime.fromisoformat(entry.locked_until)
            if now < until:
                raise LockedOut(minutes=max(1, int((until - now).total_seconds() // 60) + 1))
        signer = CommandSigner.generate(staff_id)
        answer = self._ask_central(staff_id, password, signer)
        if answer is not None:
            return self._online_session(staff_id, password, entry, answer, now, signer)
        # The central cannot be asked: the offline verifier decides.
        if entry.verifier is None:
            raise FirstLoginNeedsCentral()
        try:
            verifier = OfflineVerifier.model_validate(entry.verifier)
            role = Role(entry.role)
        except (ValidationError, ValueError):  # a file from an older version: ask the central
            raise FirstLoginNeedsCentral() from None
        if not verifier_usable(verifier, now, self.min_verifier):  # expired, or too cheap
            raise FirstLoginNeedsCentral()
        if not offline_verifier_matches(verifier, password):
            self._failed(staff_id, entry, now)
        self.directory.put(staff_id, replace(entry, failures=0, locked_until=None))
        return StaffSession(
            staff_id=staff_id,
            name=entry.name,
            role=role,
            branch=entry.branch,
            offline=True,
            started_at=now,
            last_activity=now,
            signer=unlock_signing_key(staff_id, entry, password, now),
        )

    def _ask_central(
        self, staff_id: str, password: str, signer: CommandSigner | None = None
    ) -> SessionResponse | None:
        """The central's session answer, None when it cannot be reached; wrong password raises.
        `signer`: the key made for this login, whose public half the central is to keep."""
        if self.connect is None:
            return None
        # Not validated here: the central's refusal of a malformed id counts as a wrong password.
        fields: dict[str, Any] = {"staff_id": staff_id, "password": password}
        if signer is not None:
            fields["signing_key"] = signer.public_key
        request = SessionRequest.model_construct(**fields)
        try:
            client = self.connect()
        except CentralError:
            return None
        try:
            return client.login(request)
        except CentralRejected as exc:
            if exc.code == ErrorCode.LOCKED_OUT:
                raise LockedOut(minutes=int(self.lockout.total_seconds() // 60)) from None
            if exc.code in (ErrorCode.INVALID_CREDENTIALS, ErrorCode.INVALID_BODY):
                self._failed(staff_id, self.directory.get(staff_id), self.clock())
            raise DeviceRefused(exc.key) from None  # e.g. the device token was revoked
        except (CentralUnavailable, NotEnrolled):
            return None
        finally:
            client.close()

    def _online_session(
        self,
        staff_id: str,
        password: str,
        entry: StaffEntry,
        answer: SessionResponse,
        now: dt.datetime,
        signer: CommandSigner | None = None,
    ) -> StaffSession:
        staff = answer.staff
        self.apply_withdrawals(answer.withdrawn)
        if self.on_limits is not None:
            self.on_limits(answer.limits)
        entry = self.directory.get(staff_id)  # the withdrawals may have changed it
        extra = {k: v for k, v in entry.extra.items() if k != SIGNING_KEY}
        if signer is not None and answer.signing_key_expires_at is not None:
            signer.expires_at = answer.signing_key_expires_at
            extra[SIGNING_KEY] = signer.sealed(password, now.isoformat())
        else:
            signer = None  # the central keeps no key for this login: commands go unsigned
        verifier: dict[str, Any] | None = answer.offline_verifier.model_dump(mode="json")
        if not verifier_usable(answer.offline_verifier, now, self.min_verifier):
            log.warning("the central sent an offline verifier this device does not accept")
            verifier = None  # no offline login for this person until a usable one comes
        updated = replace(
            entry,
            verifier=verifier,
            extra=extra,
            name=staff.name,
            role=staff.role.value,
            branch=staff.branch,
            failures=0,
            locked_until=None,
        )
        self.directory.put(staff_id, updated)
        return StaffSession(
            staff_id=staff.staff_id,
            name=updated.name,
            role=staff.role,
            branch=updated.branch,
            offline=False,
            started_at=now,
            last_activity=now,
            session_token=answer.session_token,
            expires_at=answer.expires_at,
            signer=signer,
        )

    def apply_withdrawals(self, withdrawn: list[WithdrawnStaff]) -> int:
        """Drop the offline verifiers the central withdrew (the sync passes its list here)."""
        dropped = self.directory.withdraw(withdrawn)
        if dropped:
            log.info("%d offline login(s) withdrawn by the central", dropped)
        return dropped

    def _failed(self, staff_id: str, entry: StaffEntry, now: dt.datetime) -> NoReturn:
        failures = entry.failures + 1
        locked_until = None
        if failures >= self.max_failures:
            locked_until = (now + self.lockout).isoformat()
            failures = 0
        self.directory.put(staff_id, replace(entry, failures=failures, locked_until=locked_until))
        log.info("failed login on this device (%d in a row)", failures)
        if locked_until is not None:
            raise LockedOut(minutes=int(self.lockout.total_seconds() // 60))
        raise WrongCredentials()


# ---------------------------------------------------------------- enrolment


@dataclass(frozen=True)
class DeviceIdentity:
    """Who this device is for the central: what the outbox writes as `device` and `branch`."""

    device_id: str
    branch: str
    place: Place


def device_info_key(central_url: str) -> str:
    return f"device-info:{normalise_url(central_url)}"


def enrol_device(
    client: CentralClient,
    code: str,
    device_name: str,
    *,
    on_limits: Callable[[OfflineLimits | None], None] | None = None,
) -> DeviceIdentity:
    """Exchange a one-time code for a device token; token and identity go into the keyring.
    `on_limits` is told the branch's offline limits the answer carries (the sync state keeps
    them; without one they come with the first log-in or sync)."""
    # Not validated here: the central refuses a code that cannot be one (`sync.enrol.bad_code`).
    request = EnrolRequest.model_construct(code=code.strip(), device_name=device_name.strip())
    try:
        answer = client.enrol(request)
    except CentralRejected as exc:
        raise EnrolmentError("sync.enrol.bad_code" if exc.status < 500 else exc.key) from None
    except CentralError as exc:
        raise EnrolmentError(exc.key) from None
    identity = DeviceIdentity(device_id=answer.device_id, branch=answer.branch, place=answer.place)
    store_device_token(client.base_url, answer.device_token)
    checked_keyring().set_password(
        KEYRING_SERVICE, device_info_key(client.base_url), json.dumps(identity.__dict__)
    )
    if on_limits is not None:
        on_limits(answer.limits)
    return identity


def enrolled_device(central_url: str) -> DeviceIdentity | None:
    """This device's identity for that central, or None if it was never enrolled."""
    keyring = checked_keyring()
    if not keyring.get_password(KEYRING_SERVICE, f"device-token:{normalise_url(central_url)}"):
        return None
    raw = keyring.get_password(KEYRING_SERVICE, device_info_key(central_url))
    if not raw:
        return None
    known = json.loads(raw)
    return DeviceIdentity(
        device_id=str(known["device_id"]), branch=str(known["branch"]), place=Place(known["place"])
    )
