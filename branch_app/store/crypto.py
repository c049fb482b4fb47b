"""Encryption of personal data at rest, and the keys in the OS keyring.

Personal fields (ID numbers, names, phone numbers, addresses: in practice the whole command
payload and card record) are encrypted with AES-256-GCM under a *data key*. Records are found
without decrypting through a *card key*: an HMAC-SHA256 of the normalised ID number under a
separate secret, so the plain number never appears in a file. The audit journal uses its own
*audit key* for its pseudonyms and its hash chain; it is never rotated because the journal is
evidence and is never rewritten.

All keys of one data folder live in a single keyring entry (service `branch-app`, user
`store:<store id>:keys`) as JSON. A key rotation adds a new current key, re-encrypts every file,
then drops the retired keys; a crash in between leaves both keys in the entry and the next open
finishes the job.

Blob format: ``"e1:<key id>:<base64(nonce || ciphertext || tag)>"``; the associated data binds a
blob to its place (file kind, field, record id) so blobs cannot be swapped between records.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties
from keyring.errors import KeyringError, PasswordDeleteError

from branch_app.store.errors import KeyringRefused

KEYRING_SERVICE = "branch-app"
BLOB_PREFIX = "e1"
_NONCE_BYTES = 12


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in this process only: for tests and the demo.

    Nothing survives the process, so a store opened with it cannot be reopened later with
    another keyring. The application labels it on screen (`LocalStore.keyring_is_memory`).
    `secrets` seeds it, so that a child process can share a parent's keys in tests.
    """

    is_memory = True

    @properties.classproperty
    def priority(cls) -> float:
        # keyring picks the best *viable* subclass of KeyringBackend by itself; a backend whose
        # priority raises is not viable, so this one is never chosen unless installed explicitly.
        raise RuntimeError("the in-memory keyring is only installed explicitly")

    def __str__(self) -> str:
        return "in-memory keyring (tests and demo only)"

    def __init__(self, secrets: Mapping[tuple[str, str], str] | None = None) -> None:
        super().__init__()
        self._secrets: dict[tuple[str, str], str] = dict(secrets or {})

    def get_password(self, service: str, username: str) -> str | None:
        return self._secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")

    def export(self) -> dict[str, str]:
        """The secrets as a JSON-friendly dict (`service\\x00user` -> value), for child processes."""
        return {f"{s}\x00{u}": v for (s, u), v in self._secrets.items()}

    @classmethod
    def from_export(cls, data: Mapping[str, str]) -> MemoryKeyring:
        pairs = {tuple(k.split("\x00", 1)): v for k, v in data.items()}
        return cls(pairs)  # type: ignore[arg-type]


def _backend_name(backend: object) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


#: The keyring backends that may hold the keys: the operating systems' own secret stores, by
#: module and class name. A backend is judged by what it *is*: its class must be the very class
#: of that module (so a plaintext backend renamed, or a subclass of a secure one that writes
#: elsewhere, is refused), and it must report itself usable here.
SECURE_BACKENDS: tuple[tuple[str, str], ...] = (
    ("keyring.backends.SecretService", "Keyring"),  # GNOME Keyring, KeePassXC (Linux)
    ("keyring.backends.libsecret", "Keyring"),  # the same Secret Service through libsecret
    ("keyring.backends.kwallet", "DBusKeyring"),  # KDE Wallet
    ("keyring.backends.kwallet", "DBusKeyringKWallet4"),
    ("keyring.backends.macOS", "Keyring"),  # macOS Keychain
    ("keyring.backends.Windows", "WinVaultKeyring"),  # Windows Credential Manager
)


def _is_secure_class(kind: type) -> bool:
    import importlib

    for module_name, class_name in SECURE_BACKENDS:
        if kind.__module__ != module_name or kind.__qualname__ != class_name:
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception:  # not importable here (another OS): cannot be that class
            return False
        return getattr(module, class_name, None) is kind
    return False


def refusal_reason(backend: object) -> str | None:
    """Why this keyring backend must not hold the data key, or None when it may.

    Allowed: a known secure backend (`SECURE_BACKENDS`, the exact class) that reports itself
    usable, the tests' and the demo's `MemoryKeyring` (only ever installed explicitly: keyring's
    discovery never picks it), and a chainer all of whose backends are allowed. Everything else
    is refused: keyring's `fail` backend (no keyring found), the `null` backend (forgets
    everything), plaintext or "encrypted file" backends (keyrings.alt) whatever their name.
    """
    if isinstance(backend, MemoryKeyring):
        return None
    if isinstance(backend, fail.Keyring):
        return "no usable system keyring was found"
    if isinstance(backend, null.Keyring):
        return "the null keyring forgets every secret"
    if isinstance(backend, chainer.ChainerBackend):
        # The chainer writes to the first backend that takes the secret: every one of them
        # could end up holding the key.
        # keyring's `fail` backend holds nothing (it refuses every write): it may be there.
        chained = [b for b in backend.backends if not isinstance(b, fail.Keyring)]
        reasons = [refusal_reason(b) for b in chained]
        if not chained or all(r is not None for r in reasons):
            return "none of the chained keyrings is usable"
        if any(r is not None for r in reasons):
            return "one of the chained keyrings is not a known secure keyring"
        return None
    if not _is_secure_class(type(backend)):
        return "it is not a known secure keyring (it may store secrets in a plain file)"
    try:
        backend_class: Any = type(backend)  # keyring's `priority` is a class property
        priority = float(backend_class.priority)
    except Exception:  # a backend whose priority raises is not viable on this system
        return "the keyring reports that it is not available here"
    if priority < 1:
        return f"its priority {priority} marks it as unsuitable"
    return None


def check_backend(backend: KeyringBackend) -> None:
    """Raise KeyringRefused when the backend must not hold the data key."""
    why = refusal_reason(backend)
    if why is not None:
        raise KeyringRefused(_backend_name(backend), why)


def _new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass
class KeySet:
    """The keys of one data folder: AES data keys and HMAC card keys by id, and the audit key."""

    data_current: str
    data_keys: dict[str, bytes]
    card_current: str
    card_keys: dict[str, bytes]
    audit_key: bytes
    #: Every live outbox item carries its metadata mac (set once the store has added them to
    #: the items of an earlier version; from then on an item without one is an edited file).
    meta_macs: bool = False
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)
    _meta_keys: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def generate(cls) -> KeySet:
        data_id, card_id = _new_key_id(), _new_key_id()
        return cls(
            data_current=data_id,
            data_keys={data_id: AESGCM.generate_key(bit_length=256)},
            card_current=card_id,
            card_keys={card_id: secrets.token_bytes(32)},
            audit_key=secrets.token_bytes(32),
            meta_macs=True,
        )

    # -- keyring form ------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "data": {
                    "current": self.data_current,
                    "keys": {k: _b64(v) for k, v in self.data_keys.items()},
                },
                "card": {
                    "current": self.card_current,
                    "keys": {k: _b64(v) for k, v in self.card_keys.items()},
                },
                "audit": _b64(self.audit_key),
                "meta_macs": self.meta_macs,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> KeySet:
        raw = json.loads(text)
        return cls(
            data_current=raw["data"]["current"],
            data_keys={k: _unb64(v) for k, v in raw["data"]["keys"].items()},
            card_current=raw["card"]["current"],
            card_keys={k: _unb64(v) for k, v in raw["card"]["keys"].items()},
            audit_key=_unb64(raw["audit"]),
            meta_macs=raw.get("meta_macs") is True,
        )

    # -- rotation ----------------------------------------------------------------------------

    @property
    def rotating(self) -> bool:
        """True while retired keys are still present (a rotation has not finished)."""
        return len(self.data_keys) > 1 or len(self.card_keys) > 1

    def begin_rotation(self) -> None:
        """Add fresh data and card keys and make them current; the old ones stay to decrypt."""
        data_id, card_id = _new_key_id(), _new_key_id()
        self.data_keys[data_id] = AESGCM.generate_key(bit_length=256)
        self.card_keys[card_id] = secrets.token_bytes(32)
        self.data_current, self.card_current = data_id, card_id

    def drop_retired(self) -> None:
        self.data_keys = {self.data_current: self.data_keys[self.data_current]}
        self.card_keys = {self.card_current: self.card_keys[self.card_current]}
        self._aead.clear()
        self._meta_keys.clear()

    # -- use ---------------------------------------------------------------------------------

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._aead.get(key_id)
        if cipher is None:
            cipher = self._aead[key_id] = AESGCM(self.data_keys[key_id])
        return cipher

    def encrypt(self, value: Any, context: str) -> str:
        """Encrypt a JSON-able value under the current data key, bound to `context`."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher(self.data_current).encrypt(
            nonce, orjson.dumps(value), context.encode("utf-8")
        )
        return f"{BLOB_PREFIX}:{self.data_current}:{_b64(nonce + sealed)}"

    def decrypt(self, blob: str, context: str) -> Any:
        """The value sealed in `blob`; raises ValueError when it is not one of ours or was changed."""
        try:
            prefix, key_id, body = blob.split(":", 2)
        except (AttributeError, ValueError):
            raise ValueError("not an encrypted field") from None
        if prefix != BLOB_PREFIX:
            raise ValueError("not an encrypted field")
        if key_id not in self.data_keys:
            raise LookupError(f"data key {key_id} is not in the keyring")
        try:
            raw = _unb64(body)
            plain = self._cipher(key_id).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")
            )
        except (InvalidTag, ValueError):
            raise ValueError("the encrypted field was changed or belongs elsewhere") from None
        return orjson.loads(plain)

    @staticmethod
    def blob_key_id(blob: str) -> str | None:
        parts = blob.split(":", 2) if isinstance(blob, str) else []
        return parts[1] if len(parts) == 3 and parts[0] == BLOB_PREFIX else None

    def card_key(self, holder_id: str, key_id: str | None = None) -> str:
        """The keyed hash that stands for a holder's ID number in files: `<key id>:<hex>`."""
        key_id = key_id or self.card_current
        digest = hmac.digest(
            self.card_keys[key_id], normalise_holder_id(holder_id).encode("utf-8"), "sha256"
        ).hex()
        return f"{key_id}:{digest[:40]}"

    def card_keys_for(self, holder_id: str) -> list[str]:
        """The card key under every card key present (more than one only during a rotation)."""
        return [self.card_key(holder_id, key_id) for key_id in self.card_keys]

    def pseudonym(self, holder_id: str) -> str:
        """The audit journal's stable keyed hash of a holder's ID number (never rotated)."""
        # hmac.digest: the one-shot C path (every audit entry and card lookup computes these).
        digest = hmac.digest(
            self.audit_key,
            b"subject\x00" + normalise_holder_id(holder_id).encode("utf-8"),
            "sha256",
        ).hex()
        return f"p:{digest[:40]}"

    def meta_mac(self, canonical: bytes, key_id: str | None = None) -> str:
        """`<data key id>:<hex>`: an HMAC over an item's plain fields under a key derived from
        a data key (the current one unless named), so editing them in the file is detected."""
        key_id = key_id or self.data_current
        subkey = self._meta_keys.get(key_id)
        if subkey is None:
            subkey = self._meta_keys[key_id] = hmac.new(
                self.data_keys[key_id], b"branch-app metadata mac v1", "sha256"
            ).digest()
        return f"{key_id}:{hmac.digest(subkey, canonical, 'sha256').hex()}"

    def meta_mac_ok(self, mac: object, canonical: bytes) -> bool:
        """Whether `mac` is this canonical form's `meta_mac` under a data key still held."""
        if not isinstance(mac, str) or ":" not in mac:
            return False
        key_id = mac.split(":", 1)[0]
        if key_id not in self.data_keys:
            return False
        return hmac.compare_digest(self.meta_mac(canonical, key_id), mac)

    def chain_mac(self, previous: str, canonical: bytes) -> str:
        """The audit chain link: HMAC over the previous link and this entry's canonical form."""
        return hmac.digest(
            self.audit_key, previous.encode("ascii") + b"\x00" + canonical, "sha256"
        ).hex()


def normalise_holder_id(holder_id: str) -> str:
    """The form hashed for card keys: no surrounding blanks, capital X."""
    return holder_id.strip().upper()


def keyring_username(store_id: str) -> str:
    return f"store:{store_id}:keys"


def load_keyset(backend: KeyringBackend, store_id: str) -> KeySet | None:
    """The store's keys from the keyring, or None when the entry does not exist."""
    try:
        text = backend.get_password(KEYRING_SERVICE, keyring_username(store_id))
    except KeyringError as exc:
        raise KeyringRefused(_backend_name(backend), f"reading failed: {exc}") from None
    if text is None:
        return None
    try:
        return KeySet.from_json(text)
    except (ValueError, KeyError, TypeError):
        raise KeyringRefused(
            _backend_name(backend), "the stored key entry is not readable"
        ) from None


def save_keyset(backend: KeyringBackend, store_id: str, keys: KeySet) -> None:
    """Write the keys; read them back, because a keyring that silently drops them is useless."""
    text = keys.to_json()
    try:
        backend.set_password(KEYRING_SERVICE, keyring_username(store_id), text)
        echoed = backend.get_password(KEYRING_SERVICE, keyring_username(store_id))
    except KeyringError as exc:
        raise KeyringRefused(_backend_name(backend), f"writing failed: {exc}") from None
    if echoed != text:
        raise KeyringRefused(_backend_name(backend), "it did not keep the key that was written")


# -- the audit journal's anchor --------------------------------------------------------------


def anchor_username(store_id: str) -> str:
    return f"store:{store_id}:audit-head"


@dataclass(frozen=True)
class AuditHead:
    """Where the audit journal ends: the last entry's number and chain link, and the month
    whose file holds it (None while the journal is empty)."""

    n: int
    mac: str
    month: str | None = None

    def to_json(self) -> str:
        return orjson.dumps({"n": self.n, "mac": self.mac, "month": self.month}).decode()

    @classmethod
    def from_json(cls, text: str) -> AuditHead:
        raw = json.loads(text)
        n, mac, month = raw["n"], raw["mac"], raw.get("month")
        if not isinstance(n, int) or not isinstance(mac, str) or not isinstance(month, str | None):
            raise ValueError("not an audit head")
        return cls(n, mac, month)


class AuditAnchor:
    """The audit journal's head kept in the keyring beside the keys (outside the data folder),
    so a journal cut short is told from a whole one: written after every append."""

    def __init__(self, backend: KeyringBackend, store_id: str) -> None:
        self._backend = backend
        self._username = anchor_username(store_id)

    def load(self) -> AuditHead | None:
        try:
            text = self._backend.get_password(KEYRING_SERVICE, self._username)
        except KeyringError as exc:
            raise KeyringRefused(_backend_name(self._backend), f"reading failed: {exc}") from None
        if text is None:
            return None
        try:
            return AuditHead.from_json(text)
        except (ValueError, KeyError, TypeError):
            raise KeyringRefused(
                _backend_name(self._backend), "the audit journal's anchor is not readable"
            ) from None

    def save(self, head: AuditHead) -> None:
        try:
            self._backend.set_password(KEYRING_SERVICE, self._username, head.to_json())
        except KeyringError as exc:
            raise KeyringRefused(_backend_name(self._backend), f"writing failed: {exc}") from None
