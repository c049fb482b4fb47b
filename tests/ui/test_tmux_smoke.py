"""The real program in a real terminal: start `branch-app demo` in tmux, log in, press keys, quit.

Skipped only when tmux is missing on a developer's machine; in CI (`CI` set) a missing tmux fails.
Nothing sleeps: tmux copies the pane's output into a FIFO (`pipe-pane`), the test blocks on that
FIFO until the program writes something (or the deadline passes), then looks at the screen again.
Hammering `capture-pane` in a busy loop instead starves the program on a 2-core machine.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import children

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 30.0


def _tmux() -> str:
    tmux = shutil.which("tmux")
    if tmux is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is missing, and CI must run the terminal smoke test")
        pytest.skip("tmux is not installed")
    return tmux


def _command() -> list[str]:
    script = ROOT / ".venv" / "bin" / "branch-app"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "branch_app"]


class Pane:
    def __init__(
        self, tmux: str, session: str, fifo: Path, deadline: float = DEADLINE_SECONDS
    ) -> None:
        self.tmux = tmux
        self.session = session
        #: How long `wait_for` waits by default (longer for stories that wait on sync rounds).
        self.deadline = deadline
        # Non-blocking open: no writer yet. tmux's `cat` becomes the writer below.
        self._output = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.run("pipe-pane", "-t", session, f"cat > {fifo}")
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._output, selectors.EVENT_READ)

    def close(self) -> None:
        self._selector.close()
        os.close(self._output)

    def _wait_for_output(self, timeout: float) -> None:
        """Block until the program draws something (or its pipe closes), at most `timeout`."""
        if self._selector.select(timeout=max(timeout, 0.0)):
            try:
                if not os.read(self._output, 65536):
                    # The writer went away (pane died): stop watching, the condition decides.
                    self._selector.unregister(self._output)
            except BlockingIOError:
                pass

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, *args], capture_output=True, text=True, check=False, timeout=10
        )

    def text(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session).stdout

    def send(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def alive(self) -> bool:
        # The window's command is replaced by "exited" once the app process has ended.
        result = self.run("display-message", "-p", "-t", self.session, "#{pane_dead}")
        return result.returncode == 0 and result.stdout.strip() == "0"

    def pid(self) -> int:
        """The pane's process: the program, exec'd by the pane's shell."""
        return int(self.run("display-message", "-p", "-t", self.session, "#{pane_pid}").stdout)

    def within(self, condition: Callable[[], bool], seconds: float) -> bool:
        """Whether `condition` holds within `seconds`, looking again each time the program
        draws."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            if self._selector.get_map():
                self._wait_for_output(min(1.0, deadline - time.monotonic()))
            # else: the program has gone; only tmux's own state (pane_dead) can still change.
        return condition()

    def wait_for(
        self, condition: Callable[[], bool], what: str, seconds: float | None = None
    ) -> None:
        seconds = self.deadline if seconds is None else seconds
        if not self.within(condition, seconds):
            raise AssertionError(f"{what} did not happen within {seconds}s:\n{self.text()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


def _wait_for_end(pid: int, deadline: float) -> bool:
    """Block until process `pid` ends (a pidfd becomes readable then) or the deadline passes."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(handle, selectors.EVENT_READ)
            while _alive(pid):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                selector.select(timeout=left)
                if selector.select(timeout=0):
                    # Ended, perhaps a zombie its parent has not reaped yet: it holds nothing.
                    return True
        return True
    finally:
        os.close(handle)


@contextmanager
def program_in_tmux(
    tmp_path: Path,
    command: str,
    *,
    name: str,
    size: tuple[int, int],
    env: Mapping[str, str],
    deadline: float = DEADLINE_SECONDS,
) -> Iterator[Pane]:
    """`command` in a new tmux session of `size`, started once the output pipe is in place
    (its shell waits for a line first), without an inherited COLUMNS/LINES overriding the
    pane's real size. At the end the session is killed and the program and the processes it
    started (the demo's central) are waited for, with a deadline, then killed if still there."""
    tmux = _tmux()
    session = f"{name}-{uuid.uuid4().hex[:8]}"
    fifo = tmp_path / f"{session}.fifo"
    os.mkfifo(fifo)
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    width, height = size
    subprocess.run(
        [tmux, "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
         *env_args, f"read _go; exec env -u COLUMNS -u LINES {command}"],
        check=True,
        cwd=ROOT,
        timeout=10,
    )  # fmt: skip
    pane = Pane(tmux, session, fifo, deadline)
    pid = pane.pid()
    pane.send("go", "Enter")
    pane.run("set-option", "-t", session, "remain-on-exit", "on")
    try:
        yield pane
    finally:
        started = children(pid)  # before the session goes: then they are still its children
        pane.run("kill-session", "-t", session)
        pane.close()
        end = time.monotonic() + deadline
        for process in (pid, *started):
            if not _wait_for_end(process, end):
                os.kill(process, signal.SIGKILL)


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    command = " ".join(_command()) + " demo"
    env = {"BRANCH_APP_UI_LANGUAGE": "en", "TERM": "xterm-256color"}
    with program_in_tmux(tmp_path, command, name="branch-smoke", size=(100, 32), env=env) as pane:
        yield pane


@pytest.mark.slow
def test_demo_signs_in_shows_help_and_quits(pane: Pane) -> None:
    """The whole demo as a teller meets it: central online, card in the reader, log in, help."""
    pane.wait_for(lambda: "Social Security Card Counter" in pane.text(), "the home screen")
    # The demo's simulated reader holds a test card: the bar shows its holder, masked.
    pane.wait_for(lambda: "Reader: card 440104********0429" in pane.text(), "the card in the bar")
    pane.wait_for(lambda: "Central: online" in pane.text(), "the local central in the bar")
    assert "keys in memory only" in pane.text()  # the demo says its keyring is in memory
    pane.wait_for(lambda: "Staff login" in pane.text(), "the login screen")
    assert "T001 / teller-demo-1" in pane.text()  # the demo's log-ins are on the screen
    # In one burst, as a fast typist or tmux sends it: Tab must move the focus before the
    # password's first key is handed out (it is a priority binding of the app).
    pane.send("T001", "Tab", "teller-demo-1", "Enter")
    pane.wait_for(lambda: "Staff login" not in pane.text(), "the login to finish")
    pane.wait_for(lambda: "Chen Li" in pane.text(), "the teller on duty")
    assert "Services" in pane.text()
    pane.send("F1")
    pane.wait_for(lambda: "Keys and settings" in pane.text(), "the help screen")
    pane.send("Escape")
    pane.wait_for(lambda: "Keys and settings" not in pane.text(), "closing the help screen")
    assert "Services" in pane.text()
    pane.send("C-q")
    pane.wait_for(lambda: not pane.alive(), "the program exiting")
