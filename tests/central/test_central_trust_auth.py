"""Issue 10 at the central's door: a lockout that holds under parallel guesses, one branch cannot
lock out another's staff, revocation, offline verifiers that expire and are withdrawn, control
characters, media types, enrolment limits and the lookup audit's key (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from branch_app.domain.vocabulary import Place, Role
from central import cli, models
from central.app import AuditKeyMissing, create_app
from central.auth import (
    STAFF_WIDE,
    Authenticator,
    DeviceIdentity,
    LoginRefused,
    add_staff,
    issue_enrolment_code,
    password_hasher,
)
from central.db import Database
from central.settings import CentralSettings, write_new_key
from sync.protocol import ErrorCode, ProtocolError, SessionResponse, decode
from tests.central.conftest import (
    OTHER_BRANCH,
    PASSWORD,
    TEST_SETTINGS,
    TestClient,
    World,
    holder_id,
)

LIMIT = TEST_SETTINGS.login_max_failures


class GatedHasher(PasswordHasher):
    """Counts the password checks and holds each one until the test opens the gate."""

    def __init__(self, inner: PasswordHasher) -> None:
        super().__init__(time_cost=inner.time_cost, memory_cost=inner.memory_cost, parallelism=1)
        self.cond = threading.Condition()
        self.entered = 0
        self.is_open = False

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self.cond:
            self.entered += 1
            self.cond.notify_all()
            assert self.cond.wait_for(lambda: self.is_open, timeout=60)
        return super().verify(hash, password)

    def open(self) -> None:
        with self.cond:
            self.is_open = True
            self.cond.notify_all()


def device_identity(world: World, which: str = "counter") -> DeviceIdentity:
    device = getattr(world, which)
    return DeviceIdentity(device.device_id, which, device.branch, Place(device.place))


def wave(auth: Authenticator, device: DeviceIdentity, size: int) -> tuple[int, list[str]]:
    """`size` parallel wrong guesses for T001; (checks that reached argon2, answer codes)."""
    gate = GatedHasher(auth.hasher)
    auth.hasher = gate

    def guess() -> str:
        try:
            auth.login(device, "T001", "wrong guess")
        except LoginRefused as exc:
            return exc.code.value
        return "session"

    with ThreadPoolExecutor(size) as pool:
        futures = [pool.submit(guess) for _ in range(size)]

        def notify(_f: Future[str]) -> None:
            with gate.cond:
                gate.cond.notify_all()

        for future in futures:
            future.add_done_callback(notify)
        with gate.cond:  # every guess is either at the argon2 check or answered
            assert gate.cond.wait_for(
                lambda: gate.entered + sum(f.done() for f in futures) >= size, timeout=60
            )
        gate.open()
        codes = [f.result(timeout=60) for f in futures]
    return gate.entered, codes


def login_answer(world: World, staff_id: str, password: str, which: str = "counter") -> Any:
    return world.client.post(
        "/v1/sessions",
        json={"staff_id": staff_id, "password": password},
        headers=world.headers(getattr(world, which)),
    )


# 1. A lockout that holds under parallel guesses ----------------------------------------------


def test_twelve_parallel_wrong_guesses_reach_the_password_check_at_most_the_limit(
    world: World,
) -> None:
    auth = Authenticator(world.database, TEST_SETTINGS)
    checked, codes = wave(auth, device_identity(world), 12)

    assert checked <= LIMIT
    assert codes.count("invalid_credentials") == checked
    assert codes.count("locked_out") == 12 - checked
    right = login_answer(world, "T001", PASSWORD)
    assert right.status_code == 429 and right.json()["error"]["code"] == "locked_out"


def test_forty_eight_guesses_in_waves_of_twelve_are_checked_at_most_the_limit(
    world: World,
) -> None:
    auth = Authenticator(world.database, TEST_SETTINGS)
    total = 0
    for _ in range(4):
        checked, _codes = wave(auth, device_identity(world), 12)
        total += checked
    assert total <= LIMIT
    assert login_answer(world, "T001", PASSWORD).status_code == 429


def test_a_failure_never_clears_a_lock(world: World) -> None:
    for _ in range(LIMIT):
        assert login_answer(world, "T001", "wrong").status_code == 401
    table = models.login_throttle

    def locks() -> dict[str, Any]:
        with world.database.read() as conn:
            rows = conn.execute(select(table).where(table.c.staff_id == "T001")).all()
        return {row.device_id: row.locked_until for row in rows}

    locked = locks()
    assert locked[STAFF_WIDE] is not None and locked[world.counter.device_id] is not None
    for which in ("counter", "instant", "other", "counter"):  # more failures, any device
        login_answer(world, "T001", "wrong again", which)
        after = locks()
        assert after[STAFF_WIDE] == locked[STAFF_WIDE]
        assert after[world.counter.device_id] == locked[world.counter.device_id]
    assert login_answer(world, "T001", PASSWORD, "instant").status_code == 429


# 2. One branch's device cannot lock out another's staff ------------------------------------


def test_another_branchs_device_cannot_lock_out_a_person(world: World) -> None:
    answers = [login_answer(world, "T001", f"guess {n}", "other") for n in range(3 * LIMIT)]
    assert {a.status_code for a in answers} == {401, 429}  # its own guesses are limited
    assert world.login(world.counter, "T001")  # the person still works at their branch


def test_wrong_password_and_another_branchs_right_one_answer_alike_after_the_same_work(
    world: World,
) -> None:
    auth: Authenticator = world.client.app.state.auth  # type: ignore[attr-defined]
    calls: list[str] = []
    real_verify = auth._verify

    def counted(stored: str, password: str) -> bool:
        calls.append(password)
        return real_verify(stored, password)

    auth._verify = counted  # type: ignore[method-assign]
    wrong = login_answer(world, "T001", "not the password", "other")
    foreign = login_answer(world, "T001", PASSWORD, "other")  # T001 is of the other branch
    unknown = login_answer(world, "NOBODY", PASSWORD, "other")

    assert wrong.status_code == foreign.status_code == unknown.status_code == 401
    assert wrong.content == foreign.content == unknown.content
    assert len(calls) == 3  # one argon2 check each


def test_old_login_counters_are_pruned(world: World) -> None:
    for n in range(20):  # a device probing many ids leaves one row per id
        login_answer(world, f"PROBE{n:03d}", "x", "other")
    table = models.login_throttle
    with world.database.write() as conn:
        conn.execute(
            update(table).values(last_failure_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        )
    login_answer(world, "T002", "wrong")
    with world.database.read() as conn:
        left = conn.execute(select(table.c.staff_id, table.c.device_id)).all()
    assert sorted(left) == sorted([("T002", world.counter.device_id), ("T002", STAFF_WIDE)])


# 3. Revocation -----------------------------------------------------------------------------


def database_url(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def test_revoke_device_refuses_its_token_and_sessions_at_once(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    session = world.login(world.counter, "T001")
    lookup = {"holder_id": holder_id(1), "purpose": "counter_service"}
    assert world.client.post(
        "/v1/lookups", json=lookup, headers=world.headers(world.counter, session)
    ).status_code in (200, 404)

    url = database_url(world.database)
    assert cli.main(["revoke-device", world.counter.device_id, "--database-url", url]) == 0
    assert cli.main(["revoke-device", "dev-nothing", "--database-url", url]) == 1

    answer = world.client.post(
        "/v1/lookups", json=lookup, headers=world.headers(world.counter, session)
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    assert world.client.get("/v1/changes", headers=world.headers(world.counter)).status_code == 401
    with world.database.read() as conn:
        sessions = conn.execute(
            select(func.count()).select_from(models.staff_sessions)
        ).scalar_one()
    assert sessions == 0
    assert "revoked" in capsys.readouterr().out


def test_deactivate_staff_ends_sessions_refuses_logins_and_withdraws_verifiers(
    world: World,
) -> None:
    session = world.login(world.counter, "T002")
    url = database_url(world.database)
    assert cli.main(["deactivate-staff", "T002", "--database-url", url]) == 0
    assert cli.main(["deactivate-staff", "NOBODY", "--database-url", url]) == 1

    answer = world.client.post(
        "/v1/lookups",
        json={"holder_id": holder_id(1), "purpose": "counter_service"},
        headers=world.headers(world.counter, session),
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "session_required"
    assert login_answer(world, "T002", PASSWORD).status_code == 401
    other = decode(SessionResponse, login_answer(world, "T001", PASSWORD).content)
    assert [w.staff_id for w in other.withdrawn] == ["T002"]


def test_a_new_branch_and_password_end_the_old_session(world: World) -> None:
    """The reproduction: after add-staff moved a supervisor to another branch with a new
    password, the old session still listed the new branch's conflicts."""
    session = world.login(world.counter, "S001")
    headers = world.headers(world.counter, session)
    assert world.client.get("/v1/conflicts", headers=headers).status_code == 200
    with world.database.write() as conn:
        add_staff(
            conn,
            password_hasher(TEST_SETTINGS),
            staff_id="S001",
            name="Staff S001",
            role=Role.SUPERVISOR,
            branch=OTHER_BRANCH,
            password="a new password 2",
        )
    answer = world.client.get("/v1/conflicts", headers=headers)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "session_required"
    # Devices of both branches learn at their next online login that S001's verifiers go.
    here = decode(SessionResponse, login_answer(world, "T001", PASSWORD).content)
    there = decode(SessionResponse, login_answer(world, "T201", PASSWORD, "other").content)
    assert [w.staff_id for w in here.withdrawn] == ["S001"]
    assert [w.staff_id for w in there.withdrawn] == ["S001"]
    verifier = decode(
        SessionResponse, login_answer(world, "S001", "a new password 2", "other").content
    ).offline_verifier
    assert verifier.issued_at is not None and verifier.issued_at > there.withdrawn[0].at


def test_a_role_change_ends_the_session(world: World) -> None:
    session = world.login(world.counter, "S001")
    with world.database.write() as conn:
        add_staff(
            conn,
            password_hasher(TEST_SETTINGS),
            staff_id="S001",
            name="Staff S001",
            role=Role.TELLER,
            branch="GZ-TEST-001",
            password=PASSWORD,
        )
    answer = world.client.get("/v1/conflicts", headers=world.headers(world.counter, session))
    assert answer.status_code == 401


# 4. Offline verifiers expire ----------------------------------------------------------------


def test_the_offline_verifier_carries_its_expiry(world: World) -> None:
    before = dt.datetime.now(dt.UTC)
    answer = decode(SessionResponse, login_answer(world, "T001", PASSWORD).content)
    expires = dt.datetime.fromisoformat(answer.offline_verifier.expires_at or "")
    days = dt.timedelta(days=TEST_SETTINGS.offline_login_days)
    assert before + days <= expires <= dt.datetime.now(dt.UTC) + days


# 5. Control characters ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\x00", "\x1b[2J", "\x7f", "\x85"])
def test_control_characters_are_refused_and_the_code_is_not_spent(world: World, bad: str) -> None:
    with world.database.write() as conn:
        code = issue_enrolment_code(conn, branch="GZ-TEST-001", place=Place.BRANCH, valid_hours=1)
    refused = world.client.post(
        "/v1/devices/enrol", json={"code": code, "device_name": f"laptop{bad}"}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_body"
    assert (
        world.client.post("/v1/devices/enrol", json={"code": code, "device_name": "laptop"})
    ).status_code == 200

    teller = world.headers(world.counter, world.login(world.counter, "T001"))
    lookup = world.client.post(
        "/v1/lookups",
        json={"holder_id": holder_id(1), "purpose": "counter_service", "note": f"n{bad}"},
        headers=teller,
    )
    assert lookup.status_code == 422
    supervisor = world.headers(world.counter, world.login(world.counter, "S001"))
    resolve = world.client.post(
        "/v1/conflicts/1/resolve",
        json={"decision": "upheld", "note": f"n{bad}"},
        headers=supervisor,
    )
    assert resolve.status_code == 422
    with world.database.read() as conn:
        audited = conn.execute(select(func.count()).select_from(models.lookup_audit)).scalar_one()
    assert audited == 0


def test_line_breaks_stay_allowed_in_notes(world: World) -> None:
    teller = world.headers(world.counter, world.login(world.counter, "T001"))
    answer = world.client.post(
        "/v1/lookups",
        json={"holder_id": holder_id(1), "purpose": "counter_service", "note": "a\nb\tc"},
        headers=teller,
    )
    assert answer.status_code == 404  # read, audited, nobody found


# 6. Media types, 405, enrolment limits, the audit key ----------------------------------------


def test_a_json_endpoint_refuses_another_media_type(world: World) -> None:
    body = b'{"staff_id": "T001", "password": "correct horse 1"}'
    headers = world.headers(world.counter)
    for media in ("text/plain", "application/x-www-form-urlencoded", ""):
        answer = world.client.post(
            "/v1/sessions", content=body, headers=headers | {"Content-Type": media}
        )
        assert answer.status_code == 415, media
        assert answer.json()["error"]["code"] == "unsupported_media_type"
    fine = world.client.post(
        "/v1/sessions",
        content=body,
        headers=headers | {"Content-Type": "application/json; charset=utf-8"},
    )
    assert fine.status_code == 200


def test_a_405_says_which_methods_are_allowed(world: World) -> None:
    answer = world.client.get("/v1/commands/push", headers=world.headers(world.counter))
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert world.client.delete("/v1/changes").headers["Allow"] in ("GET", "GET, HEAD")


def test_refused_enrolments_are_limited_per_address(world: World) -> None:
    limit = TEST_SETTINGS.enrol_attempts_per_minute
    with world.database.write() as conn:
        good = [
            issue_enrolment_code(conn, branch="GZ-TEST-001", place=Place.BRANCH, valid_hours=1)
            for _ in range(2)
        ]
    # A working enrolment does not use up the address's attempts.
    ok = world.client.post("/v1/devices/enrol", json={"code": good[0], "device_name": "a"})
    assert ok.status_code == 200
    for n in range(limit):
        answer = world.client.post(
            "/v1/devices/enrol", json={"code": f"WRONG-{n:04d}-CODE", "device_name": "x"}
        )
        assert answer.status_code == 400
    limited = world.client.post("/v1/devices/enrol", json={"code": good[1], "device_name": "b"})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 60


def test_an_unknown_code_is_refused_without_taking_the_write_lock(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = Authenticator(database, TEST_SETTINGS)
    with database.write() as conn:
        code = issue_enrolment_code(conn, branch="GZ-TEST-001", place=Place.BRANCH, valid_hours=1)
    writes: list[int] = []
    real_write: Callable[[], Any] = database.write

    @contextmanager
    def counted() -> Iterator[Any]:
        writes.append(1)
        with real_write() as conn:
            yield conn

    monkeypatch.setattr(database, "write", counted)
    with pytest.raises(ProtocolError) as refused:
        auth.enrol("AAAA-BBBB-CCCC", "laptop")
    assert refused.value.code is ErrorCode.INVALID_CODE and writes == []
    auth.enrol(code, "laptop")
    assert writes == [1]
    with pytest.raises(ProtocolError):  # a used code: refused by the read as well
        auth.enrol(code, "again")
    assert writes == [1]


def test_the_audit_key_is_not_in_the_database_and_a_real_central_needs_one(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CENTRAL_AUDIT_KEY", "CENTRAL_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    url = database_url(database)
    with pytest.raises(AuditKeyMissing, match="new-audit-key"):
        create_app(CentralSettings(database_url=url))
    assert cli.main(["serve", "--database-url", url, "--port", "9"]) == 2

    key_file = tmp_path / "audit.key"
    assert cli.main(["new-audit-key", str(key_file)]) == 0
    assert key_file.stat().st_mode & 0o077 == 0
    app = create_app(CentralSettings(database_url=url, audit_key_file=str(key_file)))
    assert app.state.service.audit_key == bytes.fromhex(key_file.read_text())
    with database.read() as conn:
        stored = conn.execute(select(models.central_meta.c.key)).scalars().all()
    assert "audit_key" not in stored
    app.state.database.dispose()
    missing = CentralSettings(database_url=url, audit_key_file=str(tmp_path / "none"))
    with pytest.raises(AuditKeyMissing, match="cannot be read"):
        create_app(missing)


def test_an_older_centrals_key_moves_out_of_the_database(
    database: Database, tmp_path: Path
) -> None:
    with database.write() as conn:
        conn.execute(models.central_meta.insert().values(key="audit_key", value="ab" * 32))
    url = database_url(database)
    target = tmp_path / "moved.key"
    assert cli.main(["new-audit-key", str(target), "--from-database", "--database-url", url]) == 0
    assert target.read_text().strip() == "ab" * 32
    assert database.legacy_audit_key() is None


def test_a_key_file_is_made_only_new(tmp_path: Path) -> None:
    path = tmp_path / "k"
    write_new_key(path)
    with pytest.raises(FileExistsError):
        write_new_key(path)
    assert cli.main(["new-audit-key", str(path)]) == 1


def test_an_enrolled_device_of_a_test_client_is_fine_with_the_settings(
    database: Database,
) -> None:
    """create_app with an open database (tests) and no key: a key of this process only."""
    app = create_app(CentralSettings(), database=database)
    with TestClient(app) as client:
        assert client.get("/v1/ping").status_code == 200
    assert app.state.service.audit_key == database.audit_key()


def test_a_sync_can_ask_for_the_branchs_withdrawals(world: World) -> None:
    from sync.protocol import WithdrawalsResponse

    url = database_url(world.database)
    assert cli.main(["deactivate-staff", "T002", "--database-url", url]) == 0
    here = world.client.get("/v1/staff/withdrawn", headers=world.headers(world.counter))
    there = world.client.get("/v1/staff/withdrawn", headers=world.headers(world.other))
    assert [w.staff_id for w in decode(WithdrawalsResponse, here.content).withdrawn] == ["T002"]
    assert decode(WithdrawalsResponse, there.content).withdrawn == []
    assert world.client.get("/v1/staff/withdrawn").status_code == 401
