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
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
    def __init__(self, tmux: str, session: str, fifo: Path) -> None:
        self.tmux = tmux
        self.session = session
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

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            if self._selector.get_map():
                self._wait_for_output(min(1.0, deadline - time.monotonic()))
            # else: the program has gone; only tmux's own state (pane_dead) can still change.
        raise AssertionError(f"{what} did not happen within {DEADLINE_SECONDS}s:\n{self.text()}")


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    tmux = _tmux()
    session = f"branch-smoke-{uuid.uuid4().hex[:8]}"
    env_args = ["-e", "BRANCH_APP_UI_LANGUAGE=en", "-e", "TERM=xterm-256color"]
    command = " ".join(_command()) + " demo"
    fifo = tmp_path / "pane.fifo"
    os.mkfifo(fifo)
    # Start a shell that waits for a line on stdin, so the output pipe is in place before
    # the program draws its first frame. COLUMNS/LINES may be inherited from whatever started the
    # tmux server; they would override the pane's real size (shutil.get_terminal_size reads them
    # first), so the program runs without them.
    subprocess.run(
        [
            tmux,
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "100",
            "-y",
            "32",
            *env_args,
            f"read _go; exec env -u COLUMNS -u LINES {command}",
        ],
        check=True,
        cwd=ROOT,
        timeout=10,
    )
    handle = Pane(tmux, session, fifo)
    handle.send("go", "Enter")
    handle.run("set-option", "-t", session, "remain-on-exit", "on")
    try:
        yield handle
    finally:
        handle.run("kill-session", "-t", session)
        handle.close()


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
