"""Who may call what: device tokens, enrolment, staff log-in with lockout, sessions and roles."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from branch_app.domain.vocabulary import Place
from central import models
from central.auth import issue_enrolment_code
from sync.protocol import OfflineVerifier, offline_verifier_matches
from tests.central.conftest import PASSWORD, TEST_SETTINGS, World, holder_id

ENDPOINTS = [
    ("POST", "/v1/sessions", {"staff_id": "T001", "password": PASSWORD}),
    ("POST", "/v1/commands/push", {"commands": []}),
    ("POST", "/v1/noop", {"commands": []}),
    ("GET", "/v1/changes", None),
    ("POST", "/v1/lookups", {"holder_id": holder_id(1), "purpose": "counter_service"}),
    ("GET", "/v1/conflicts", None),
    ("POST", "/v1/conflicts/1/resolve", {"decision": "upheld", "note": "n"}),
    ("POST", "/v1/channels/loss-report", {"holder_id": holder_id(1), "channel": "online"}),
    ("POST", "/v1/channels/death-record", {"holder_id": holder_id(1)}),
]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwdw==", "bearer"]
)
def test_every_endpoint_but_ping_refuses_a_missing_or_wrong_token(
    world: World, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, body in ENDPOINTS:
        answer = world.client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json()["error"]["code"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert world.client.get("/v1/ping").json()["protocol_version"] == 1


def test_a_revoked_device_is_refused(world: World) -> None:
    with world.database.write() as conn:
        conn.execute(
            update(models.devices)
            .where(models.devices.c.device_id == world.counter.device_id)
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    answer = world.client.get("/v1/changes", headers=world.headers(world.counter))
    assert answer.status_code == 401


def test_an_enrolment_code_works_once_and_secrets_are_stored_only_as_hashes(world: World) -> None:
    with world.database.write() as conn:
        code = issue_enrolment_code(
            conn, branch="GZ-TEST-001", place=Place.HOME_VISIT, valid_hours=1
        )
    typed = " " + code.lower().replace("-", " ") + " "  # as someone might type it

    first = world.client.post("/v1/devices/enrol", json={"code": typed, "device_name": "laptop"})
    second = world.client.post("/v1/devices/enrol", json={"code": code, "device_name": "again"})

    assert first.status_code == 200, first.text
    assert first.json()["place"] == "home_visit"
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "invalid_code"
    token = first.json()["device_token"]
    assert world.client.get("/v1/changes", headers={"Authorization": f"Bearer {token}"}).is_success
    session = world.login(world.counter, "T001")
    with world.database.read() as conn:
        stored = [
            *conn.execute(select(models.devices.c.token_hash)).scalars(),
            *conn.execute(select(models.staff_sessions.c.token_hash)).scalars(),
            *conn.execute(select(models.enrolment_codes.c.code_hash)).scalars(),
        ]
        passwords = conn.execute(select(models.staff.c.password_hash)).scalars().all()
    assert token not in stored and session not in stored and code not in stored
    assert all(len(h) == 64 for h in stored)
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in passwords)


def test_an_expired_enrolment_code_is_refused(world: World) -> None:
    with world.database.write() as conn:
        code = issue_enrolment_code(conn, branch="GZ-TEST-001", place=Place.BRANCH, valid_hours=1)
        conn.execute(
            update(models.enrolment_codes).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    answer = world.client.post("/v1/devices/enrol", json={"code": code, "device_name": "pc"})
    assert answer.json()["error"]["code"] == "invalid_code"


def test_login_answers_with_a_separate_offline_verifier(world: World) -> None:
    answers = [
        world.client.post(
            "/v1/sessions",
            json={"staff_id": "H001", "password": PASSWORD},
            headers=world.headers(world.home),
        ).json()
        for _ in range(2)
    ]
    with world.database.read() as conn:
        stored = conn.execute(
            select(models.staff.c.password_hash).where(models.staff.c.staff_id == "H001")
        ).scalar_one()

    first = OfflineVerifier.model_validate(answers[0]["offline_verifier"])
    second = OfflineVerifier.model_validate(answers[1]["offline_verifier"])
    assert answers[0]["staff"] == {
        "staff_id": "H001",
        "name": "Staff H001",
        "role": "home_visit",
        "branch": "GZ-TEST-001",
    }
    assert first.algorithm == "argon2id"
    assert first.params.memory_cost >= 19_456
    assert offline_verifier_matches(first, PASSWORD)
    assert not offline_verifier_matches(first, PASSWORD + "x")
    assert first.salt != second.salt and first.hash != second.hash
    assert first.hash not in stored and first.salt not in stored
    assert dt.datetime.fromisoformat(answers[0]["expires_at"]) > dt.datetime.now(dt.UTC)


def test_repeated_failed_logins_lock_the_staff_id(world: World) -> None:
    def attempt(password: str, staff_id: str = "T001") -> tuple[int, str, str | None]:
        answer = world.client.post(
            "/v1/sessions",
            json={"staff_id": staff_id, "password": password},
            headers=world.headers(world.counter),
        )
        return answer.status_code, answer.json()["error"]["code"], answer.headers.get("Retry-After")

    limit = TEST_SETTINGS.login_max_failures
    for _ in range(limit):
        assert attempt("wrong password")[:2] == (401, "invalid_credentials")
    status, code, retry_after = attempt(PASSWORD)
    assert (status, code) == (429, "locked_out")
    assert retry_after is not None and 0 < int(retry_after) <= TEST_SETTINGS.lockout_minutes * 60
    # Unknown ids are limited the same way, and answer exactly like a wrong password.
    for _ in range(limit):
        assert attempt("whatever", staff_id="NOBODY")[:2] == (401, "invalid_credentials")
    assert attempt("whatever", staff_id="NOBODY")[:2] == (429, "locked_out")
    # Another staff member is not affected.
    assert world.login(world.counter, "T002")


def test_the_lock_ends_after_the_lockout_time(world: World) -> None:
    for _ in range(TEST_SETTINGS.login_max_failures):
        world.client.post(
            "/v1/sessions",
            json={"staff_id": "T001", "password": "wrong"},
            headers=world.headers(world.counter),
        )
    with world.database.write() as conn:
        conn.execute(
            update(models.login_throttle).values(
                locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    assert world.login(world.counter, "T001")


def test_staff_log_in_only_on_devices_of_their_branch(world: World) -> None:
    answer = world.client.post(
        "/v1/sessions",
        json={"staff_id": "T201", "password": PASSWORD},
        headers=world.headers(world.counter),
    )
    # The same answer as a wrong password (issue 10): another branch's device learns nothing.
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_credentials"


def test_a_session_belongs_to_its_device_and_expires(world: World) -> None:
    session = world.login(world.counter, "S001")
    ok = world.client.get("/v1/conflicts", headers=world.headers(world.counter, session))
    elsewhere = world.client.get("/v1/conflicts", headers=world.headers(world.instant, session))
    assert ok.status_code == 200
    assert elsewhere.status_code == 401
    assert elsewhere.json()["error"]["code"] == "session_required"
    with world.database.write() as conn:
        conn.execute(
            update(models.staff_sessions).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    expired = world.client.get("/v1/conflicts", headers=world.headers(world.counter, session))
    assert expired.json()["error"]["code"] == "session_required"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/conflicts", None),
        ("POST", "/v1/conflicts/1/resolve", {"decision": "upheld", "note": "checked"}),
    ],
)
def test_a_teller_cannot_call_supervisor_endpoints(
    world: World, method: str, path: str, body: dict[str, str] | None
) -> None:
    session = world.login(world.counter, "T001")
    answer = world.client.request(
        method, path, json=body, headers=world.headers(world.counter, session)
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    no_session = world.client.request(method, path, json=body, headers=world.headers(world.counter))
    assert no_session.status_code == 401
