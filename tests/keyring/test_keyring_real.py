"""The store, enrolment and the staff directory against a real Secret Service.

gnome-keyring-daemon runs in its own D-Bus session (tests/conftest.py, `secret_service`),
reached through the `keyring` package's SecretService backend, the one a teller's Linux PC
uses. The audit anchor's tests (tests/store/test_store_audit_anchor.py) and the bound metadata's
run against it too (`any_keyring`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService

from branch_app.store import KeyMissing, LocalStore
from branch_app.store.crypto import KEYRING_SERVICE, KeySet, keyring_username, refusal_reason
from sync.auth import StaffDirectory, StaffEntry
from sync.client import NotEnrolled, device_token_key, read_device_token, store_device_token
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS

HOLDER = HOLDERS[0]["holder_id"]


def _enqueue(store: LocalStore) -> str:
    return store.outbox.enqueue(
        "report_loss",
        HOLDER,
        {"kind": "report_loss", "note": "lost"},
        base_version=1,
        actor="T001",
        device="PC-07",
        branch="GZ-001",
    ).id


def test_the_secret_service_backend_is_allowed(secret_service: KeyringBackend) -> None:
    assert type(secret_service) is SecretService.Keyring
    assert refusal_reason(secret_service) is None


def test_a_store_opens_reopens_and_keeps_its_keys_in_the_secret_service(
    tmp_path: Path, secret_service: KeyringBackend
) -> None:
    data_dir = tmp_path / "data"
    with LocalStore.open(data_dir, clock=StepClock()) as store:  # the system keyring: ours
        assert store.keyring_backend_name == "keyring.backends.SecretService.Keyring"
        assert not store.keyring_is_memory
        item_id = _enqueue(store)
        store_id = store.store_id
    text = secret_service.get_password(KEYRING_SERVICE, keyring_username(store_id))
    assert text is not None and KeySet.from_json(text).meta_macs
    # a new connection to the daemon (as after a restart) opens it again
    with LocalStore.open(data_dir, keyring=SecretService.Keyring(), clock=StepClock()) as store:
        assert store.outbox.get(item_id).payload["note"] == "lost"
        assert store.check().ok
    # the daemon forgets the keys: the store says so and replaces nothing
    secret_service.delete_password(KEYRING_SERVICE, keyring_username(store_id))
    with pytest.raises(KeyMissing):
        LocalStore.open(data_dir, clock=StepClock())


def test_a_key_rotation_through_the_secret_service(
    tmp_path: Path, secret_service: KeyringBackend
) -> None:
    data_dir = tmp_path / "data"
    with LocalStore.open(data_dir, clock=StepClock()) as store:
        item_id = _enqueue(store)
        store.audit.record("card.lookup", actor="T001", holder_id=HOLDER, reason="counter")
        before = KeySet.from_json(
            secret_service.get_password(KEYRING_SERVICE, keyring_username(store.store_id)) or ""
        )
        report = store.rotate_key()
        assert report.outbox_items == 1 and report.audit_entries == 1
        after = KeySet.from_json(
            secret_service.get_password(KEYRING_SERVICE, keyring_username(store.store_id)) or ""
        )
    assert after.data_current != before.data_current and not after.rotating
    assert before.data_current not in after.data_keys
    with LocalStore.open(data_dir, clock=StepClock()) as store:
        assert store.outbox.get(item_id).holder_id == HOLDER
        assert store.audit.verify().ok


def test_the_staff_directory_keeps_its_lock_in_the_secret_service(
    tmp_path: Path, secret_service: KeyringBackend
) -> None:
    """Offline login's failure counts and locks live in the keyring (a restored staff.json
    cannot roll them back): here in the real one."""
    data_dir = tmp_path / "data"
    with LocalStore.open(data_dir, clock=StepClock()) as store:
        directory = StaffDirectory.for_store(store)
        directory.put("T001", StaffEntry(failures=3, locked_until="2026-11-28T10:00:00+00:00"))
        saved = (data_dir / "staff.json").read_bytes()
        directory.put("T001", StaffEntry(failures=0, locked_until=None))
        directory.put("T001", StaffEntry(failures=5, locked_until="2026-11-28T11:00:00+00:00"))
        store_id = store.store_id
    (data_dir / "staff.json").write_bytes(saved)  # an older copy restored
    assert secret_service.get_password(KEYRING_SERVICE, f"store:{store_id}:staff-locks")
    with LocalStore.open(data_dir, keyring=SecretService.Keyring(), clock=StepClock()) as store:
        entry = StaffDirectory.for_store(store).get("T001")
    assert (entry.failures, entry.locked_until) == (5, "2026-11-28T11:00:00+00:00")


def test_enrolment_keeps_the_device_token_in_the_secret_service(
    secret_service: KeyringBackend,
) -> None:
    url = "http://127.0.0.1:8765"
    with pytest.raises(NotEnrolled):
        read_device_token("http://127.0.0.1:8799")
    store_device_token(url, "device-token-123")
    assert read_device_token(url) == "device-token-123"
    # in the daemon itself, as a fresh connection sees it
    stored = SecretService.Keyring().get_password(KEYRING_SERVICE, device_token_key(url))
    assert stored == "device-token-123"
