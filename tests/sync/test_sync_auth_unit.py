"""Login decisions: online first, offline against the verifier, lockout, session timeout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import orjson
import pytest

from branch_app.store.crypto import KeySet
from sync.auth import (
    Authenticator,
    FirstLoginNeedsCentral,
    LockedOut,
    StaffDirectory,
    WrongCredentials,
    enrol_device,
    enrolled_device,
)
from sync.client import CentralClient
from sync.protocol import VerifierParams, make_offline_verifier

#: Cheap argon2 parameters so the tests stay fast; the real ones come from the central.
CHEAP = VerifierParams(time_cost=1, memory_cost=1024, parallelism=1, hash_len=32)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class FakeCentral:
    """Answers POST /v1/sessions for one staff member, or is unreachable."""

    def __init__(self) -> None:
        self.reachable = True
        self.password = "correct horse"
        self.calls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.reachable:
            raise httpx.ConnectError("down", request=request)
        body = orjson.loads(request.content)
        if body["password"] != self.password:
            return httpx.Response(
                401, json={"error": {"code": "invalid_credentials", "message": ""}}
            )
        verifier = make_offline_verifier(body["password"], CHEAP).model_copy(
            update={
                "issued_at": "2026-11-28T08:00:00+00:00",
                "expires_at": "2026-12-05T08:00:00+00:00",
            }
        )
        return httpx.Response(
            200,
            json={
                "session_token": "sess-1",
                "expires_at": "2026-11-28T17:00:00Z",
                "staff": {"staff_id": "T001", "name": "Li Na", "role": "teller", "branch": "GZ-1"},
                "offline_verifier": verifier.model_dump(mode="json"),
            },
        )


@pytest.fixture
def setup(tmp_path: Path):
    central = FakeCentral()
    clock = Clock()
    directory = StaffDirectory(tmp_path / "staff.json", KeySet.generate(), id_key=b"k" * 32)

    def connect() -> CentralClient:
        return CentralClient(
            "http://127.0.0.1:9", device_token="d", transport=httpx.MockTransport(central.handler)
        )

    auth = Authenticator(
        directory,
        connect,
        clock=clock,
        max_failures=3,
        lockout=dt.timedelta(minutes=10),
        min_verifier=CHEAP,  # the device's real floor is refused by design (see the trust tests)
    )
    return central, clock, directory, auth


def test_first_login_needs_the_central(setup) -> None:
    central, _, _, auth = setup
    central.reachable = False
    with pytest.raises(FirstLoginNeedsCentral):
        auth.login("T001", "correct horse")


def test_later_logins_work_offline(setup, tmp_path: Path) -> None:
    central, _, _, auth = setup
    online = auth.login("T001", "correct horse")
    assert not online.offline and online.session_token == "sess-1" and online.role == "teller"
    central.reachable = False
    offline = auth.login("T001", "correct horse")
    assert offline.offline and offline.session_token is None and offline.name == "Li Na"
    with pytest.raises(WrongCredentials):
        auth.login("T001", "wrong")
    raw = (tmp_path / "staff.json").read_bytes()
    assert b"T001" not in raw and b"Li Na" not in raw  # encrypted, id hashed


def test_lockout_after_repeated_failures_offline_and_its_end(setup) -> None:
    central, clock, _, auth = setup
    auth.login("T001", "correct horse")
    central.reachable = False
    for _ in range(2):
        with pytest.raises(WrongCredentials):
            auth.login("T001", "nope")
    with pytest.raises(LockedOut):
        auth.login("T001", "nope")
    with pytest.raises(LockedOut):  # even the right password waits out the lock
        auth.login("T001", "correct horse")
    clock.now += dt.timedelta(minutes=11)
    assert auth.login("T001", "correct horse").offline


def test_wrong_password_online_counts_too(setup) -> None:
    _, _, directory, auth = setup
    with pytest.raises(WrongCredentials):
        auth.login("T001", "bad")
    assert directory.get("T001").failures == 1


def test_lockout_survives_a_restart(setup, tmp_path: Path) -> None:
    _, clock, directory, auth = setup
    for _ in range(2):
        with pytest.raises(WrongCredentials):
            auth.login("T001", "bad")
    with pytest.raises(LockedOut):
        auth.login("T001", "bad")
    reopened = StaffDirectory(tmp_path / "staff.json", directory._sealer, id_key=b"k" * 32)
    again = Authenticator(reopened, None, clock=clock)
    with pytest.raises(LockedOut):
        again.login("T001", "correct horse")


def test_session_times_out_after_idle(setup) -> None:
    _, clock, _, auth = setup
    session = auth.login("T001", "correct horse")
    timeout = dt.timedelta(minutes=15)
    assert not session.expired(clock.now + dt.timedelta(minutes=14), timeout)
    assert session.expired(clock.now + dt.timedelta(minutes=15), timeout)
    touched = session.touched(clock.now + dt.timedelta(minutes=14))
    assert not touched.expired(clock.now + dt.timedelta(minutes=20), timeout)


def test_enrolment_puts_token_and_identity_in_the_keyring(memory_keyring) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "Authorization" not in request.headers
        body = orjson.loads(request.content)
        if body["code"] != "ABC-123-XYZ":
            return httpx.Response(400, json={"error": {"code": "invalid_code", "message": ""}})
        return httpx.Response(
            200,
            json={
                "device_id": "dev-7",
                "device_token": "tok-7",
                "branch": "GZ-1",
                "place": "branch",
            },
        )

    client = CentralClient("http://127.0.0.1:9", transport=httpx.MockTransport(handler))
    assert enrolled_device("http://127.0.0.1:9") is None
    identity = enrol_device(client, " ABC-123-XYZ ", "counter 3")
    assert identity.device_id == "dev-7"
    assert memory_keyring.get_password("branch-app", "device-token:http://127.0.0.1:9") == "tok-7"
    assert enrolled_device("http://127.0.0.1:9/") == identity
