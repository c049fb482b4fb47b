"""Run the real central under uvicorn on 127.0.0.1 for tests, benchmarks and the demo.

`start_central()` starts `python -m central.cli serve` as a child process on a free loopback port,
waits (with a deadline) until `/v1/ping` answers, and returns a `RunningCentral` that can stop,
kill (SIGKILL on POSIX) and restart it on the same port and database, plus helpers that create
staff, enrol devices and log in, the way an administrator and a branch would.

    with start_central() as central:
        central.add_staff("T001", "password-1", role="teller")
        device = central.enrol_device()
        session = central.login(device, "T001", "password-1")
        with central.client(device) as http:
            http.post("/v1/commands/push", json={...})
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from central.dev.demo_data import DEMO_BRANCH

if TYPE_CHECKING:
    import httpx

    from central.db import Database
    from central.settings import CentralSettings
    from sync.protocol import SessionResponse

#: The branch of test staff and devices unless a test names another.
DEFAULT_BRANCH = DEMO_BRANCH
_REPO_ROOT = Path(__file__).resolve().parents[2]  # central/dev/server.py -> the checkout
#: Cheaper argon2 for tests (still argon2id): a test suite logs in many times. Never for a pilot.
_CHEAP_PASSWORD_ENV = {"CENTRAL_PASSWORD_TIME_COST": "1", "CENTRAL_PASSWORD_MEMORY_KIB": "8192"}


@dataclass(frozen=True)
class EnrolledDevice:
    """What a branch device holds after enrolment (the token belongs in the OS keyring)."""

    device_id: str
    device_token: str
    branch: str
    place: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Servers started by this process, killed at exit so no test run leaves one behind.
_RUNNING: set[RunningCentral] = set()


@atexit.register
def _kill_leftovers() -> None:
    for running in list(_RUNNING):
        running.kill()
        if running._owns_workdir:
            shutil.rmtree(running.workdir, ignore_errors=True)


class CentralFailedToStart(RuntimeError):
    """The child process exited or never answered /v1/ping; the message ends with its log."""


class RunningCentral:
    """A central service child process and the database it serves."""

    def __init__(
        self,
        database_url: str,
        port: int,
        *,
        enable_channels: bool,
        workdir: Path,
        owns_workdir: bool,
        cheap_passwords: bool,
        startup_timeout: float,
    ) -> None:
        self.database_url = database_url
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.enable_channels = enable_channels
        self.workdir = workdir
        self.log_path = workdir / f"central-{port}.log"
        self.startup_timeout = startup_timeout
        self._owns_workdir = owns_workdir
        self._cheap_passwords = cheap_passwords
        self._process: subprocess.Popen[bytes] | None = None
        self._database: Database | None = None

    # Process control ---------------------------------------------------------------------------

    def start(self) -> RunningCentral:
        if self.is_running():
            return self
        command = [sys.executable, "-m", "central.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--exit-with-parent"]
        if self.enable_channels:
            command.append("--enable-channels")
        env = dict(os.environ)
        env["CENTRAL_DATABASE_URL"] = self.database_url  # not argv: `ps` would show a password
        env["PYTHONUNBUFFERED"] = "1"
        if self._cheap_passwords:
            env.update(_CHEAP_PASSWORD_ENV)
        # The lookup audit's key, outside the database: one per server workdir, kept across
        # restarts (as `central new-audit-key` makes it for a real central).
        key_file = self.workdir / "audit.key"
        if not key_file.exists():
            from central.settings import write_new_key

            write_new_key(key_file)
        env.setdefault("CENTRAL_AUDIT_KEY_FILE", str(key_file))
        with self.log_path.open("ab") as log:
            # The server's stdin is a pipe this process holds open and never writes to: when
            # this process ends, however it ends, the pipe closes and the server stops itself.
            self._process = subprocess.Popen(
                command,
                cwd=_REPO_ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=os.name == "posix",
            )
        _RUNNING.add(self)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        import httpx

        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise CentralFailedToStart(
                    f"central exited with {self._process.returncode}:\n{self.log_text()[-3000:]}"
                )
            try:
                answer = httpx.get(self.url + "/v1/ping", timeout=1.0)
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=0.05)  # a pause that also notices the process exit
        self.kill()
        raise CentralFailedToStart(
            f"central did not answer /v1/ping within {self.startup_timeout} s:\n"
            f"{self.log_text()[-3000:]}"
        )

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (SIGTERM: uvicorn finishes requests in flight), then kill."""
        process = self._process
        if process is None or process.poll() is not None:
            self._close_pipe()
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipe()

    def kill(self) -> None:
        """Abrupt death: SIGKILL on POSIX (TerminateProcess elsewhere); nothing is flushed."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        self._close_pipe()

    def _close_pipe(self) -> None:
        """Close our end of the server's stdin (it tells a living server to stop)."""
        process = self._process
        if process is not None and process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.close()

    def restart(self, *, graceful: bool = True) -> RunningCentral:
        """Stop (or kill) and start again on the same port with the same database."""
        if graceful:
            self.stop()
        else:
            self.kill()
        return self.start()

    def close(self) -> None:
        """Stop the server, release the database and remove the temporary folder if ours."""
        self.stop()
        _RUNNING.discard(self)
        if self._database is not None:
            self._database.dispose()
            self._database = None
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> RunningCentral:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # Administration helpers ---------------------------------------------------------------------

    def database(self) -> Database:
        """The same database, opened in this process (as the `central` admin commands do)."""
        if self._database is None:
            from central.db import Database

            self._database = Database(self.database_url, pool_size=2)
            self._database.create_schema()
        return self._database

    def _settings(self) -> CentralSettings:
        from central.settings import CentralSettings

        env = _CHEAP_PASSWORD_ENV if self._cheap_passwords else {}
        return CentralSettings.from_env(env=env, database_url=self.database_url)

    def add_staff(
        self,
        staff_id: str,
        password: str,
        *,
        role: str = "teller",
        branch: str = DEFAULT_BRANCH,
        name: str | None = None,
    ) -> None:
        from branch_app.domain.vocabulary import Role
        from central.auth import add_staff, password_hasher

        with self.database().write() as conn:
            add_staff(
                conn,
                password_hasher(self._settings()),
                staff_id=staff_id,
                name=name or f"Staff {staff_id}",
                role=Role(role),
                branch=branch,
                password=password,
            )

    def issue_enrolment_code(self, branch: str = DEFAULT_BRANCH, place: str = "branch") -> str:
        from branch_app.domain.vocabulary import Place
        from central.auth import issue_enrolment_code

        with self.database().write() as conn:
            return issue_enrolment_code(conn, branch=branch, place=Place(place), valid_hours=1)

    def enrol_device(
        self, branch: str = DEFAULT_BRANCH, place: str = "branch", name: str = "test device"
    ) -> EnrolledDevice:
        """Issue a code (as `central enroll-device`) and exchange it over HTTP (as the app)."""
        import httpx

        from sync.protocol import EnrolResponse, decode

        code = self.issue_enrolment_code(branch, place)
        answer = httpx.post(
            self.url + "/v1/devices/enrol",
            json={"code": code, "device_name": name},
            timeout=10.0,
        )
        answer.raise_for_status()
        enrolled = decode(EnrolResponse, answer.content)
        return EnrolledDevice(
            enrolled.device_id, enrolled.device_token, enrolled.branch, enrolled.place.value
        )

    def login(self, device: EnrolledDevice, staff_id: str, password: str) -> SessionResponse:
        import httpx

        from sync.protocol import SessionResponse, decode

        answer = httpx.post(
            self.url + "/v1/sessions",
            json={"staff_id": staff_id, "password": password},
            headers={"Authorization": f"Bearer {device.device_token}"},
            timeout=10.0,
        )
        answer.raise_for_status()
        return decode(SessionResponse, answer.content)

    def client(
        self,
        device: EnrolledDevice | None = None,
        *,
        session_token: str | None = None,
        timeout: float = 10.0,
    ) -> httpx.Client:
        """An httpx client for this server, carrying the device token (and a staff session)."""
        import httpx

        from sync.protocol import STAFF_SESSION_HEADER

        headers: dict[str, str] = {}
        if device is not None:
            headers["Authorization"] = f"Bearer {device.device_token}"
        if session_token is not None:
            headers[STAFF_SESSION_HEADER] = session_token
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def start_central(
    database_url: str | None = None,
    *,
    port: int = 0,
    enable_channels: bool = True,
    seed_demo: bool = False,
    cheap_passwords: bool = True,
    startup_timeout: float = 30.0,
    workdir: Path | None = None,
) -> RunningCentral:
    """Start the central under uvicorn on 127.0.0.1 and wait until it answers.

    Without `database_url`, a SQLite file in a new temporary folder (removed by `close()`).
    `port=0` picks a free port. `cheap_passwords` uses light argon2 parameters (tests only).
    """
    owns = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="central-")) if workdir is None else Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{folder / 'central.db'}"
    running = RunningCentral(
        url,
        port or free_port(),
        enable_channels=enable_channels,
        workdir=folder,
        owns_workdir=owns,
        cheap_passwords=cheap_passwords,
        startup_timeout=startup_timeout,
    )
    try:
        if seed_demo:
            from central.dev.demo_data import seed_demo as write_demo_data

            write_demo_data(running.database())
        running.start()
    except BaseException:
        running.close()
        raise
    return running
