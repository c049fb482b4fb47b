"""Issue 10 on the device: offline verifiers expire, are withdrawn, have a minimum cost, and a
restored `staff.json` does not clear an offline lock (the count lives in the keyring)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from branch_app.store import LocalStore
from branch_app.store.crypto import KeySet, MemoryKeyring
from sync.auth import (
    MIN_VERIFIER_PARAMS,
    Authenticator,
    FailureGuard,
    FirstLoginNeedsCentral,
    LockedOut,
    StaffDirectory,
    WrongCredentials,
)
from sync.client import CentralClient
from sync.protocol import VerifierParams, WithdrawnStaff, make_offline_verifier

CHEAP = VerifierParams(time_cost=1, memory_cost=1024, parallelism=1, hash_len=32)
START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


class Central:
    """Answers POST /v1/sessions like the central: a verifier with an expiry, withdrawals."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.reachable = True
        self.params = CHEAP
        self.days: int | None = 7
        self.withdrawn: list[dict[str, str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("down", request=request)
        body = orjson.loads(request.content)
        if body["password"] != PASSWORD:
            return httpx.Response(401, json={"error": {"code": "invalid_credentials"}})
        now = self.clock()
        update: dict[str, Any] = {"issued_at": now.isoformat()}
        if self.days is not None:
            update["expires_at"] = (now + dt.timedelta(days=self.days)).isoformat()
        verifier = make_offline_verifier(body["password"], self.params).model_copy(update=update)
        return httpx.Response(
            200,
            json={
                "session_token": "sess",
                "expires_at": (now + dt.timedelta(hours=8)).isoformat(),
                "staff": {
                    "staff_id": body["staff_id"],
                    "name": "Li Na",
                    "role": "teller",
                    "branch": "GZ-1",
                },
                "offline_verifier": verifier.model_dump(mode="json"),
                "withdrawn": self.withdrawn,
            },
        )


def make_auth(
    directory: StaffDirectory, central: Central, clock: Clock, floor: VerifierParams = CHEAP
) -> Authenticator:
    def connect() -> CentralClient:
        return CentralClient(
            "http://127.0.0.1:9", device_token="d", transport=httpx.MockTransport(central.handler)
        )

    return Authenticator(
        directory,
        connect,
        clock=clock,
        max_failures=3,
        lockout=dt.timedelta(minutes=10),
        min_verifier=floor,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def central(clock: Clock) -> Central:
    return Central(clock)


@pytest.fixture
def directory(tmp_path: Path) -> StaffDirectory:
    return StaffDirectory(
        tmp_path / "staff.json",
        KeySet.generate(),
        id_key=b"k" * 32,
        guard=FailureGuard(MemoryKeyring(), "store:test:staff-locks"),
    )


def test_an_offline_verifier_expires_when_the_central_said(
    directory: StaffDirectory, central: Central, clock: Clock
) -> None:
    auth = make_auth(directory, central, clock)
    auth.login("T001", PASSWORD)
    central.reachable = False
    clock.now = START + dt.timedelta(days=6, hours=23)
    assert auth.login("T001", PASSWORD).offline
    clock.now = START + dt.timedelta(days=7, seconds=1)
    with pytest.raises(FirstLoginNeedsCentral):
        auth.login("T001", PASSWORD)


def test_a_verifier_without_an_expiry_is_not_used(
    directory: StaffDirectory, central: Central, clock: Clock
) -> None:
    central.days = None  # an older central's verifier
    auth = make_auth(directory, central, clock)
    auth.login("T001", PASSWORD)
    central.reachable = False
    with pytest.raises(FirstLoginNeedsCentral):
        auth.login("T001", PASSWORD)


def test_the_device_refuses_a_verifier_cheaper_than_its_floor(
    directory: StaffDirectory, central: Central, clock: Clock
) -> None:
    """Whatever the central sends: CHEAP is far below the real floor (19 MiB, t=2)."""
    auth = make_auth(directory, central, clock, floor=MIN_VERIFIER_PARAMS)
    assert not auth.login("T001", PASSWORD).offline  # the online login itself works
    assert directory.get("T001").verifier is None  # but nothing is kept for offline use
    central.reachable = False
    with pytest.raises(FirstLoginNeedsCentral):
        auth.login("T001", PASSWORD)


def test_a_stored_cheap_verifier_is_not_used_either(
    directory: StaffDirectory, central: Central, clock: Clock
) -> None:
    make_auth(directory, central, clock, floor=CHEAP).login("T001", PASSWORD)
    assert directory.get("T001").verifier is not None
    central.reachable = False
    strict = make_auth(directory, central, clock, floor=MIN_VERIFIER_PARAMS)
    with pytest.raises(FirstLoginNeedsCentral):
        strict.login("T001", PASSWORD)


def test_withdrawn_verifiers_go_at_the_next_online_login_or_sync(
    directory: StaffDirectory, central: Central, clock: Clock
) -> None:
    auth = make_auth(directory, central, clock)
    for staff_id in ("T001", "T002", "T003"):
        auth.login(staff_id, PASSWORD)
    clock.now += dt.timedelta(hours=1)
    withdrawal_at = clock.now.isoformat()
    # T002 left; T001 changed password, then logged in again here with the new one.
    clock.now += dt.timedelta(minutes=5)
    central.withdrawn = [{"staff_id": "T002", "at": withdrawal_at}]
    auth.login("T001", PASSWORD)  # any online login carries the list
    assert directory.get("T002").verifier is None
    assert directory.get("T001").verifier is not None
    # The sync passes the central's list on the same way.
    later = [WithdrawnStaff(staff_id="T001", at=withdrawal_at)]
    assert auth.apply_withdrawals(later) == 0  # T001's verifier is newer than the withdrawal
    newer = [WithdrawnStaff(staff_id="T003", at=clock.now.isoformat())]
    assert auth.apply_withdrawals(newer) == 1
    central.reachable = False
    assert auth.login("T001", PASSWORD).offline
    for gone in ("T002", "T003"):
        with pytest.raises(FirstLoginNeedsCentral):
            auth.login(gone, PASSWORD)


def lock_offline(auth: Authenticator) -> None:
    for _ in range(2):
        with pytest.raises(WrongCredentials):
            auth.login("T001", "wrong")
    with pytest.raises(LockedOut):
        auth.login("T001", "wrong")


def test_restoring_an_older_staff_file_does_not_clear_the_offline_lock(
    tmp_path: Path, central: Central, clock: Clock
) -> None:
    keys, keyring = KeySet.generate(), MemoryKeyring()
    path = tmp_path / "staff.json"

    def directory() -> StaffDirectory:
        guard = FailureGuard(keyring, "store:test:staff-locks")
        return StaffDirectory(path, keys, id_key=b"k" * 32, guard=guard)

    make_auth(directory(), central, clock).login("T001", PASSWORD)
    before = path.read_bytes()
    central.reachable = False
    lock_offline(make_auth(directory(), central, clock))

    path.write_bytes(before)  # the copy from before the guesses
    with pytest.raises(LockedOut):
        make_auth(directory(), central, clock).login("T001", PASSWORD)
    clock.now += dt.timedelta(minutes=11)
    assert make_auth(directory(), central, clock).login("T001", PASSWORD).offline


def test_without_the_keyring_guard_a_restore_would_clear_it(
    tmp_path: Path, central: Central, clock: Clock
) -> None:
    """The reproduction: the count kept only in staff.json is rolled back with the file."""
    keys = KeySet.generate()
    path = tmp_path / "staff.json"
    make_auth(StaffDirectory(path, keys, id_key=b"k" * 32), central, clock).login("T001", PASSWORD)
    before = path.read_bytes()
    central.reachable = False
    lock_offline(make_auth(StaffDirectory(path, keys, id_key=b"k" * 32), central, clock))
    path.write_bytes(before)
    restored = make_auth(StaffDirectory(path, keys, id_key=b"k" * 32), central, clock)
    assert restored.login("T001", PASSWORD).offline


def test_a_stores_directory_keeps_its_counts_in_the_stores_keyring(tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    store = LocalStore.open(tmp_path / "data", keyring=keyring)
    try:
        directory = StaffDirectory.for_store(store)
        entry = directory.get("T001")
        directory.put("T001", entry.__class__(failures=2, locked_until=None))
        raw = keyring.get_password("branch-app", f"store:{store.store_id}:staff-locks")
    finally:
        store.close()
    assert raw is not None and "T001" not in raw  # slots are keyed hashes
    assert list(orjson.loads(raw).values()) == [{"failures": 2, "locked_until": None}]
