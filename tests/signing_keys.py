"""Staff signing keys for tests that push commands straight to a central (issue 10, finding 4).

A real device gets a person's key at their online log-in (`sync.auth`). Tests that build push
bodies by hand register a key per (person, device) in the central's database, as that log-in
would, and sign each command as the device would: the maker with `MAKER`, the approver a command
names with `APPROVER`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central.auth import register_signing_key
from central.db import Database
from sync.protocol import (
    APPROVER,
    MAKER,
    PushCommand,
    public_key_text,
    signature_text,
    signing_bytes,
)


@dataclass
class TestKey:
    private: Ed25519PrivateKey
    public: str

    def sign(self, command: Any, role: str = MAKER) -> str:
        return signature_text(self.public, self.private.sign(signing_bytes(command, role)))


def new_key() -> TestKey:
    private = Ed25519PrivateKey.generate()
    return TestKey(private, public_key_text(private.public_key().public_bytes_raw()))


class _Fields:
    """A push body's dict seen with attribute access (what `signing_bytes` reads)."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.__dict__.update(body)
        self.__dict__.setdefault("holder_kind", None)


@dataclass
class Keys:
    """Keys per (staff id, device id), registered in `database` on first use."""

    database: Database
    days: int = 30
    _keys: dict[tuple[str, str], TestKey] = field(default_factory=dict)

    def key(self, staff_id: str, device_id: str) -> TestKey:
        found = self._keys.get((staff_id, device_id))
        if found is None:
            found = self._keys[staff_id, device_id] = new_key()
            with self.database.write() as conn:
                register_signing_key(
                    conn,
                    self.database,
                    staff_id=staff_id,
                    device_id=device_id,
                    public_key=found.public,
                    now=dt.datetime.now(dt.UTC),
                    days=self.days,
                )
        return found

    def sign_body(
        self,
        body: dict[str, Any],
        *,
        signer: str | None = None,
        approver: str | None = None,
        approver_signs: bool = True,
    ) -> dict[str, Any]:
        """`body` with the maker's signature (by `signer`, the actor by default) and, when the
        payload names an approver and `approver_signs`, the approver's."""
        device = str(body["device"])
        fields = _Fields(body)
        signed = dict(body)
        signed["signature"] = self.key(signer or str(body["actor"]), device).sign(fields, MAKER)
        named = approver or body["payload"].get("approved_by")
        if named and approver_signs:
            signed["approver_signature"] = self.key(str(named), device).sign(fields, APPROVER)
        return signed

    def sign(self, command: PushCommand, *, approver_signs: bool = True) -> PushCommand:
        """A `PushCommand` signed by its actor (and by its named approver)."""
        body = command.model_dump(mode="json")
        signed = self.sign_body(body, approver_signs=approver_signs)
        return command.model_copy(
            update={
                "signature": signed["signature"],
                "approver_signature": signed.get("approver_signature"),
            }
        )
