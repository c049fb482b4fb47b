"""Fixtures of the central's tests: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL: a throwaway cluster for the whole session (`initdb` into a temporary folder, run as
the `postgres` user when we are root, listening on 127.0.0.1 on a free port, Unix socket in the
folder), one database, tables created once; each test starts from emptied tables. When the
cluster cannot be started the PostgreSQL half is skipped with the reason, or fails if `CI` is set.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from branch_app.domain.card_number import card_number_check_character
from branch_app.domain.identity import resident_check_character
from branch_app.domain.lifecycle import CardRecord, CardState, FunctionStatus
from branch_app.domain.vocabulary import Place, Role
from central.app import create_app
from central.auth import Authenticator, add_staff, issue_enrolment_code, password_hasher
from central.db import Database
from central.dev.server import EnrolledDevice, free_port
from central.service import CentralService
from central.settings import CentralSettings
from sync.protocol import STAFF_SESSION_HEADER
from tests.signing_keys import Keys

with warnings.catch_warnings():  # Starlette suggests httpx2; the TestClient is httpx-based today
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BRANCH = "GZ-TEST-001"
OTHER_BRANCH = "GZ-TEST-002"
PASSWORD = "correct horse 1"

#: Cheap argon2 so the suite stays fast (still argon2id).
TEST_SETTINGS = CentralSettings(
    enable_channels=True, password_time_cost=1, password_memory_kib=8192
)


# PostgreSQL ---------------------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and createdb (Debian keeps them out of PATH)."""
    needed = ("initdb", "pg_ctl", "createdb")
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        if all((folder / name).exists() for name in needed):
            return folder
    return None


class _Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="central-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0 if hasattr(os, "geteuid") else False

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
        steps = [
            ("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-sync", "--no-instructions"),
            ("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.base / "server.log"),
             "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off "
             "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60", "start"),
            ("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "central_test"),
        ]  # fmt: skip
        for step in steps:
            done = self.run(*step)
            if done.returncode != 0:
                log = self.base / "server.log"
                tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                raise RuntimeError(f"{step[0]} failed: {done.stderr.strip()[-500:]} {tail}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/central_test"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A live PostgreSQL for this session, stopped and deleted afterwards."""
    bindir = _postgres_bin()
    problem = None
    cluster = None
    url = ""
    if bindir is None:
        problem = "PostgreSQL is not installed (Debian: apt-get install postgresql)"
    else:
        cluster = _Cluster(bindir)
        try:
            url = cluster.start()
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            problem = f"PostgreSQL could not be started: {exc}"
    if problem is not None:
        if cluster is not None:
            cluster.stop()
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    try:
        yield url
    finally:
        assert cluster is not None
        cluster.stop()


# Databases ----------------------------------------------------------------------------------


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the session's database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('central-sqlite') / 'central.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def session_database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    db.create_schema()
    yield db
    db.dispose()


@pytest.fixture
def database(session_database: Database) -> Database:
    """The session's database, emptied for this test."""
    session_database.truncate_all()
    return session_database


@pytest.fixture
def service(database: Database) -> CentralService:
    return CentralService(database, database.audit_key())


# People and cards ----------------------------------------------------------------------------


def holder_id(n: int) -> str:
    """A valid, fictional resident ID number, distinct for each n < 1000."""
    first17 = f"440106{1960 + n % 40}{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + resident_check_character(first17)


def card_number(n: int) -> str:
    first8 = f"GZ{n:06d}"
    return first8 + card_number_check_character(first8)


def active_record(n: int, **changes: Any) -> CardRecord:
    values: dict[str, Any] = {
        "holder_id": holder_id(n),
        "version": 1,
        "card_number": card_number(n),
        "card_state": CardState.ACTIVE,
        "social_security": FunctionStatus.NORMAL,
        "financial": FunctionStatus.NORMAL,
        "bank": "demo-bank",
        "generation": 3,
        "collected_on": dt.date(2024, 5, 6),
    }
    values.update(changes)
    return CardRecord(**values)


# Command payloads ----------------------------------------------------------------------------

#: A photo receipt number as the studios print it: the card agency prints that photo.
PHOTO_RECEIPT = "GZ2026030200A7"
#: A police record number, the evidence a death cancellation rests on.
DEATH_EVIDENCE = "GZPOL-2026-000123"

LOSS_AT_BRANCH: dict[str, Any] = {"kind": "report_loss", "channel": "card_bank_branch"}


def application(
    kind: str = "first", *, speed: str = "normal", bank: str | None = None, **changes: Any
) -> dict[str, Any]:
    """An application taken at the counter with the holder in person and a photo receipt."""
    payload: dict[str, Any] = {
        "kind": "apply",
        "application": kind,
        "speed": speed,
        "accepted_on": "2026-03-02",
        "exchange_reason": None,
        "bank": bank,
        "photo_receipt": PHOTO_RECEIPT,
        "police_photo": False,
    }
    payload.update(changes)
    return payload


def unlock(n: int, *, at_card_bank: bool = True) -> dict[str, Any]:
    """The holder brings the found card of `active_record(n)`: its number read from the chip."""
    return {
        "kind": "unlock",
        "at_card_bank": at_card_bank,
        "card_number": card_number(n),
        "card_read": True,
    }


def cancel(
    reason: str = "death",
    *,
    approved_by: str | None = "S001",
    evidence: str | None = DEATH_EVIDENCE,
) -> dict[str, Any]:
    """A teller's cancellation with its evidence and the branch supervisor's approval."""
    return {"kind": "cancel", "reason": reason, "evidence": evidence, "approved_by": approved_by}


# The API ------------------------------------------------------------------------------------


@dataclass
class World:
    """An app over the test database with staff and enrolled devices of two branches."""

    client: TestClient
    database: Database
    service: CentralService
    counter: EnrolledDevice  # BRANCH, place branch
    instant: EnrolledDevice  # BRANCH, place instant_branch
    home: EnrolledDevice  # BRANCH, place home_visit
    other: EnrolledDevice  # OTHER_BRANCH, place branch
    _seq: int = 0
    #: Staff signing keys per (person, device), registered as their online log-in would.
    keys: Keys = field(init=False)

    def __post_init__(self) -> None:
        self.keys = Keys(self.database)

    def signed(self, command: dict[str, Any], **how: Any) -> dict[str, Any]:
        """The command signed by its actor's key on its device (and its named approver's), as
        the device that made it would sign it; `how`: `Keys.sign_body`'s options."""
        return self.keys.sign_body(command, **how)

    def headers(self, device: EnrolledDevice, session: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {device.device_token}"}
        if session is not None:
            headers[STAFF_SESSION_HEADER] = session
        return headers

    def login(self, device: EnrolledDevice, staff_id: str, password: str = PASSWORD) -> str:
        answer = self.client.post(
            "/v1/sessions",
            json={"staff_id": staff_id, "password": password},
            headers=self.headers(device),
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["session_token"])

    def command(
        self,
        device: EnrolledDevice,
        holder: str,
        payload: dict[str, Any],
        *,
        actor: str = "T001",
        base_version: int = 0,
        command_id: str | None = None,
    ) -> dict[str, Any]:
        self._seq += 1
        return {
            "id": command_id or uuid.uuid4().hex,
            "kind": payload["kind"],
            "holder_id": holder,
            "base_version": base_version,
            "payload": payload,
            "actor": actor,
            "device": device.device_id,
            "branch": device.branch,
            "made_at": "2026-03-02T01:02:03+00:00",
            "seq": self._seq,
        }

    def push(
        self, device: EnrolledDevice, *commands: dict[str, Any], sign: bool = True
    ) -> list[dict[str, Any]]:
        """Push the commands; each one without a signature is signed first (`signed`) unless
        `sign` is false: the device's makers prove themselves, as a real device's do."""
        if sign:
            commands = tuple(c if "signature" in c else self.signed(c) for c in commands)
        answer = self.client.post(
            "/v1/commands/push", json={"commands": list(commands)}, headers=self.headers(device)
        )
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [r["id"] for r in results] == [c["id"] for c in commands]
        return list(results)

    def record(self, holder: str) -> dict[str, Any] | None:
        import orjson
        from sqlalchemy import select

        from central import models

        with self.database.read() as conn:
            raw = conn.execute(
                select(models.cards.c.record).where(models.cards.c.holder_id == holder)
            ).scalar_one_or_none()
        return None if raw is None else orjson.loads(raw)


def enrol_directly(
    auth: Authenticator, database: Database, branch: str, place: Place, name: str
) -> EnrolledDevice:
    with database.write() as conn:
        code = issue_enrolment_code(conn, branch=branch, place=place, valid_hours=1)
    answer = auth.enrol(code, name)
    return EnrolledDevice(answer.device_id, answer.device_token, answer.branch, answer.place.value)


def make_staff(database: Database) -> None:
    hasher = password_hasher(TEST_SETTINGS)
    people = [
        ("T001", Role.TELLER, BRANCH),
        ("T002", Role.TELLER, BRANCH),
        ("H001", Role.HOME_VISIT, BRANCH),
        ("S001", Role.SUPERVISOR, BRANCH),
        ("T201", Role.TELLER, OTHER_BRANCH),
        ("S201", Role.SUPERVISOR, OTHER_BRANCH),
    ]
    with database.write() as conn:
        for staff_id, role, branch in people:
            add_staff(
                conn,
                hasher,
                staff_id=staff_id,
                name=f"Staff {staff_id}",
                role=role,
                branch=branch,
                password=PASSWORD,
            )


@pytest.fixture
def world(database: Database) -> Iterator[World]:
    app = create_app(TEST_SETTINGS, database=database)
    make_staff(database)
    auth = Authenticator(database, TEST_SETTINGS)
    devices = {
        name: enrol_directly(auth, database, branch, place, name)
        for name, branch, place in [
            ("counter", BRANCH, Place.BRANCH),
            ("instant", BRANCH, Place.INSTANT_BRANCH),
            ("home", BRANCH, Place.HOME_VISIT),
            ("other", OTHER_BRANCH, Place.BRANCH),
        ]
    }
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(
            client=client,
            database=database,
            service=app.state.service,
            **devices,
        )
