"""`central serve --workers N`: several uvicorn worker processes on one address over PostgreSQL.

The server is started as an administrator would (`python -m central.cli serve --workers 2`) on the
session's throwaway PostgreSQL; raw sockets find which worker process answered each connection
(Linux: the server side of the connection in /proc), so the test sees both workers answer an
authenticated pull, each with its own connection pool. SQLite and a missing audit key are refused
with a sentence before anything starts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from central.cli import main
from central.dev.server import RunningCentral, free_port
from tests.processes import children
from tests.sync.helpers import wait_for

_REPO_ROOT = Path(__file__).resolve().parents[2]


class WorkersCentral(RunningCentral):
    """A `RunningCentral` whose process is `central serve --workers N` (a supervisor process and
    N workers). The bench `fleet` starts its centrals this way too."""

    def __init__(self, database_url: str, workdir: Path, workers: int) -> None:
        super().__init__(
            database_url,
            free_port(),
            enable_channels=False,
            workdir=workdir,
            owns_workdir=False,
            cheap_passwords=True,
            startup_timeout=60.0,
        )
        self.workers = workers

    def start(self) -> RunningCentral:
        from central.dev import server
        from central.settings import write_new_key

        command = [sys.executable, "-m", "central.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--exit-with-parent", "--no-access-log"]
        command += ["--workers", str(self.workers)]
        env = dict(os.environ)
        env["CENTRAL_DATABASE_URL"] = self.database_url
        env["PYTHONUNBUFFERED"] = "1"
        env.update(server._CHEAP_PASSWORD_ENV)
        key_file = self.workdir / "audit.key"
        if not key_file.exists():
            write_new_key(key_file)
        env["CENTRAL_AUDIT_KEY_FILE"] = str(key_file)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=_REPO_ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=os.name == "posix",
            )
        server._RUNNING.add(self)
        self._wait_until_ready()
        return self


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _owner_of_connection(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """Which of `pids` holds the server side of the loopback connection from `client_port`."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if (
            int(local.split(":")[1], 16) == server_port
            and int(remote.split(":")[1], 16) == client_port
        ):
            inode = fields[9]
            break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def _pull_on_new_connection(port: int, token: str) -> tuple[socket.socket, int, bytes]:
    """An authenticated pull on a fresh connection left open: (socket, its local port, status
    line). The token is looked up in the database, so the answer needs the worker's pool."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"GET /v1/changes?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return sock, sock.getsockname()[1], answer.split(b"\r\n", 1)[0]


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_two_workers_both_answer_on_one_address(postgres_url: str, tmp_path: Path) -> None:
    with WorkersCentral(postgres_url, tmp_path, workers=2) as central:
        central.start()
        assert central.pid is not None
        device = central.enrol_device()
        # Both workers are up once the supervisor has two worker children (each answers /ping
        # only when its app is built; the supervisor starts them together).
        workers: set[int] = set()

        def two_workers() -> bool:
            workers.clear()
            workers.update(
                pid
                for pid in children(pid_of_supervisor)
                if b"resource_tracker" not in _cmdline(pid)
            )
            return len(workers) == 2

        pid_of_supervisor = central.pid
        wait_for(two_workers, timeout=60, what="two worker processes")
        assert len(workers) == 2, "the supervisor did not start two workers"

        answered: dict[int, int] = {}
        held: list[socket.socket] = []
        try:
            # The kernel hands each new connection to whichever worker accepts first: open
            # connections (kept open, so each is a new one) until both have answered, bounded.
            for _ in range(400):
                sock, client_port, status = _pull_on_new_connection(
                    central.port, device.device_token
                )
                held.append(sock)
                assert status == b"HTTP/1.1 200 OK", status
                owner = _owner_of_connection(central.port, client_port, workers)
                assert owner is not None, "a connection answered by no worker of this server"
                answered[owner] = answered.get(owner, 0) + 1
                if len(answered) == 2:
                    break
                if len(held) >= 50:  # stay well inside the file-descriptor limits
                    for old in held:
                        old.close()
                    held.clear()
        finally:
            for sock in held:
                sock.close()
        assert set(answered) == workers, answered


def test_several_workers_are_refused_on_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    assert main(["serve", "--workers", "2", "--database-url", url]) == 2
    error = capsys.readouterr().err
    assert "several workers need PostgreSQL" in error
    assert "run it with one worker" in error
    assert not (tmp_path / "central.db").exists()  # refused before anything was made


def test_several_workers_need_one_audit_key(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CENTRAL_AUDIT_KEY", raising=False)
    monkeypatch.delenv("CENTRAL_AUDIT_KEY_FILE", raising=False)
    assert main(["serve", "--workers", "2", "--database-url", postgres_url]) == 2
    assert "one lookup audit key for all of them" in capsys.readouterr().err


def test_workers_below_one_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0", "--database-url", "sqlite:///unused.db"]) == 2
    assert "--workers needs at least 1" in capsys.readouterr().err
