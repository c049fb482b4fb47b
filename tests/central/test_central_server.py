"""The central as it really runs: uvicorn on 127.0.0.1 in a child process, on both databases.

Round trip, SIGKILL in the middle of a batch and restart, concurrent HTTP pushes, the published
OpenAPI document, the `central` administration commands, and logs free of id numbers.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from central import cli, models
from central.db import Database
from central.dev.demo_data import DEMO_BRANCH, DEMO_STAFF
from central.dev.server import EnrolledDevice, RunningCentral, start_central
from tests.central.conftest import active_record, holder_id, unlock
from tests.signing_keys import Keys
from tests.sync.helpers import wait_for

pytestmark = pytest.mark.slow

LOSS = {"kind": "report_loss", "channel": "card_bank_branch"}
PASSWORD = "server test 1"


@pytest.fixture(scope="module")
def server(database_url: str, session_database: Database) -> Iterator[RunningCentral]:
    running = start_central(database_url, enable_channels=True)
    yield running
    running.close()


@pytest.fixture
def central(server: RunningCentral, database: Database) -> RunningCentral:
    """The running server over an emptied database, with a teller and a supervisor."""
    if not server.is_running():
        server.start()
    server.add_staff("T001", PASSWORD, role="teller")
    server.add_staff("S001", PASSWORD, role="supervisor")
    _KEYS[:] = [Keys(database)]
    return server


#: The staff signing keys of the running test (registered in its emptied database).
_KEYS: list[Keys] = []


def command(device: EnrolledDevice, holder: str, payload: dict[str, Any], **extra: Any) -> dict:
    """A command signed by its maker's key on the device, as the device would sign it."""
    return _KEYS[0].sign_body(_command(device, holder, payload, **extra))


def _command(device: EnrolledDevice, holder: str, payload: dict[str, Any], **extra: Any) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "kind": payload["kind"],
        "holder_id": holder,
        "base_version": 1,
        "payload": payload,
        "actor": "T001",
        "device": device.device_id,
        "branch": device.branch,
        "made_at": "2026-03-02T01:02:03+00:00",
        "seq": 1,
    } | extra


def put_cards(central: RunningCentral, numbers: range) -> None:
    from central.service import CentralService

    db = central.database()
    service = CentralService(db, db.audit_key())
    for n in numbers:
        service.put_record(active_record(n))


def count_commands(central: RunningCentral) -> int:
    with central.database().read() as conn:
        return int(conn.execute(select(func.count()).select_from(models.commands)).scalar_one())


def test_round_trip_over_loopback(central: RunningCentral) -> None:
    put_cards(central, range(1, 2))
    holder = holder_id(1)
    device = central.enrol_device()
    session = central.login(device, "T001", PASSWORD)
    loss = command(device, holder, LOSS)

    with central.client(device, session_token=session.session_token) as http:
        looked_up = http.post("/v1/lookups", json={"holder_id": holder, "purpose": "loss_report"})
        pushed = http.post("/v1/commands/push", json={"commands": [loss]})
        again = http.post("/v1/commands/push", json={"commands": [loss]})
        pulled = http.get("/v1/changes", params={"since": 0})

    assert looked_up.json()["record"]["version"] == 1
    assert pushed.json()["results"][0]["outcome"] == "applied"
    assert again.json()["results"][0]["outcome"] == "duplicate"
    assert [c["record"]["version"] for c in pulled.json()["changes"]] == [1, 2]
    log = central.log_text()
    assert "/v1/commands/push" in log  # access lines are there...
    assert holder not in log and PASSWORD not in log  # ...but never a body


def test_killed_mid_sync_then_restarted_nothing_lost_nothing_twice(
    central: RunningCentral,
) -> None:
    numbers = range(100, 300)
    put_cards(central, numbers)
    device = central.enrol_device()
    commands = [command(device, holder_id(n), LOSS) for n in numbers]
    batches = [commands[i : i + 50] for i in range(0, len(commands), 50)]
    answered: list[list[dict[str, Any]]] = []
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            with central.client(device, timeout=60) as http:
                for batch in batches:
                    answer = http.post("/v1/commands/push", json={"commands": batch})
                    answered.append(answer.json()["results"])
        except httpx.TransportError as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 30
    while count_commands(central) < 50 and sender.is_alive():
        assert time.monotonic() < deadline, "the sync never started"
    central.kill()  # SIGKILL in the middle of the sync: whatever was in flight is gone
    sender.join(timeout=30)
    stored_before = count_commands(central)
    central.start()

    with central.client(device) as http:
        results = [
            r
            for batch in batches
            for r in http.post("/v1/commands/push", json={"commands": batch}).json()["results"]
        ]
        replayed = http.post("/v1/commands/push", json={"commands": batches[0]}).json()

    assert stored_before % 50 == 0  # a batch is stored whole or not at all
    assert len(answered) * 50 <= stored_before < len(commands) or "error" not in outcome
    outcomes = [r["outcome"] for r in results]
    assert outcomes.count("duplicate") == stored_before
    assert outcomes.count("applied") == len(commands) - stored_before
    assert all(r["outcome"] == "duplicate" for r in replayed["results"])
    assert all((r["first_outcome"] or r["outcome"]) == "applied" for r in results)
    assert count_commands(central) == len(commands)
    with central.database().read() as conn:
        versions = set(
            conn.execute(
                select(models.cards.c.version).where(
                    models.cards.c.holder_id.in_([holder_id(n) for n in numbers])
                )
            ).scalars()
        )
    assert versions == {2}  # every card changed exactly once


def test_concurrent_http_pushes_about_one_card(central: RunningCentral) -> None:
    put_cards(central, range(2, 3))
    holder = holder_id(2)
    devices = [central.enrol_device(name=f"counter {i}") for i in range(4)]
    barrier = threading.Barrier(len(devices))
    answers: list[list[dict[str, Any]]] = [[] for _ in devices]

    def push(i: int) -> None:
        batch = [
            command(devices[i], holder, LOSS if (i + j) % 2 == 0 else unlock(2)) for j in range(6)
        ]
        with central.client(devices[i]) as http:
            barrier.wait(timeout=30)
            answers[i] = http.post("/v1/commands/push", json={"commands": batch}).json()["results"]

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(devices))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    results = [r for batch in answers for r in batch]
    assert len(results) == 24
    applied = sorted(r["version"] for r in results if r["outcome"] == "applied")
    assert applied == list(range(2, 2 + len(applied)))
    assert all(r["outcome"] in {"applied", "merged", "conflict"} for r in results)


def test_the_openapi_document_is_published(central: RunningCentral) -> None:
    document = httpx.get(central.url + "/v1/openapi.json", timeout=10).json()
    paths = document["paths"]
    for path in (
        "/v1/ping",
        "/v1/devices/enrol",
        "/v1/sessions",
        "/v1/commands/push",
        "/v1/changes",
        "/v1/lookups",
        "/v1/conflicts",
        "/v1/conflicts/{conflict_id}/resolve",
        "/v1/noop",
    ):
        assert path in paths, path
    push = paths["/v1/commands/push"]["post"]
    assert push["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PushRequest"
    )
    schemas = document["components"]["schemas"]
    assert {"PushRequest", "PushCommand", "PushResult", "ErrorResponse"} <= schemas.keys()
    assert schemas["PushRequest"]["properties"]["commands"]["maxItems"] == 500
    assert "deviceToken" in document["components"]["securitySchemes"]


def run_cli(central: RunningCentral, *args: str, stdin: str = "") -> str:
    env = dict(os.environ, CENTRAL_DATABASE_URL=central.database_url)
    env.update(CENTRAL_PASSWORD_TIME_COST="1", CENTRAL_PASSWORD_MEMORY_KIB="8192")
    done = subprocess.run(
        [sys.executable, "-m", "central.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_administration_commands(
    central: RunningCentral, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(central, "enroll-device", "--branch", DEMO_BRANCH, "--place", "home_visit")
    run_in_process(
        central,
        monkeypatch,
        capsys,
        "add-staff",
        "H777",
        "--name",
        "Home Visitor",
        "--role",
        "home_visit",
        "--branch",
        DEMO_BRANCH,
        "--password-stdin",
        stdin="a long password\n",
    )
    enrolled = httpx.post(
        central.url + "/v1/devices/enrol",
        json={"code": code.strip(), "device_name": "visit laptop"},
        timeout=10,
    ).json()
    device = EnrolledDevice(
        enrolled["device_id"], enrolled["device_token"], enrolled["branch"], enrolled["place"]
    )
    assert device.place == "home_visit"
    assert central.login(device, "H777", "a long password").staff.role == "home_visit"

    printed = run_in_process(central, monkeypatch, capsys, "seed-demo")
    teller = next(m for m in DEMO_STAFF if m.role == "teller" and m.branch == DEMO_BRANCH)
    assert teller.password in printed  # demo log-ins are printed for the demo
    demo_code = printed.rsplit(":", 1)[1].strip()
    demo_device = httpx.post(
        central.url + "/v1/devices/enrol",
        json={"code": demo_code, "device_name": "demo counter"},
        timeout=10,
    ).json()
    session = central.login(
        EnrolledDevice(
            demo_device["device_id"], demo_device["device_token"], DEMO_BRANCH, "branch"
        ),
        teller.staff_id,
        teller.password,
    )
    assert session.staff.branch == DEMO_BRANCH


def run_in_process(
    central: RunningCentral,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str = "",
) -> str:
    """The same commands without a new interpreter (faster); stdout is returned."""
    monkeypatch.setenv("CENTRAL_DATABASE_URL", central.database_url)
    monkeypatch.setenv("CENTRAL_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("CENTRAL_PASSWORD_MEMORY_KIB", "8192")
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


_ORPHANING_PARENT = """
import sys
from central.dev.server import start_central
central = start_central()
print(central.pid, central.workdir, flush=True)
sys.stdin.read()  # until the test kills this process
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL of the parent is a POSIX test")
def test_a_central_never_outlives_the_process_that_started_it() -> None:
    """Killed with SIGKILL, the parent cannot clean up: the server notices its stdin closing."""
    import shutil
    import signal

    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHANING_PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pid_text, workdir = parent.stdout.readline().split()
    server_pid = int(pid_text)
    try:
        assert _alive(server_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_for(lambda: not _alive(server_pid), timeout=20, what="the central to stop")
    finally:
        if _alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)
