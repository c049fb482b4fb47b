"""A real CUPS scheduler for the printing tests: a private cupsd (its own configuration, spool and
socket in a temporary folder) with a queue whose device writes to a file.

It needs root (cupsd's file device is refused otherwise) and the Debian packages the setup
installs (cups, cups-bsd or cups-client for `lp`, cups-filters for the generic PDF driver). With
`CI` set, a CUPS that cannot start FAILS the test; elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CUPSD = "/usr/sbin/cupsd"
#: The generic PDF driver of cups-filters: its pdftopdf filter hands the PDF to the device (a raw
#: queue with a file device runs no filter and writes nothing).
PDF_MODEL = "lsb/usr/cupsfilters/Generic-PDF_Printer-PDF.ppd"
QUEUE = "receipts"


@dataclass(frozen=True)
class Cups:
    """A running private scheduler: its socket (for `CUPS_SERVER`) and the queue's output."""

    socket: Path
    queue: str
    output: Path
    env: dict[str, str]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CUPS is needed in CI and could not start: {reason}")
    pytest.skip(reason)


def _cupsd_conf(root: Path) -> str:
    return f"""Listen {root / "cups.sock"}
LogLevel warn
WebInterface No
Browsing No
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
"""


def _files_conf(root: Path) -> str:
    # FileDevice Yes: a queue may write to a file: device (cups-files.conf, not cupsd.conf).
    return f"""FileDevice Yes
ServerRoot {root}
RequestRoot {root / "spool"}
CacheDir {root / "cache"}
StateDir {root / "state"}
TempDir {root / "tmp"}
AccessLog {root / "log" / "access_log"}
ErrorLog {root / "log" / "error_log"}
PageLog {root / "log" / "page_log"}
Printcap {root / "printcap"}
"""


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate` until it holds: cupsd and its file device are other processes, so the
    only condition to wait on is what they leave behind (a socket, a printed file)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


@pytest.fixture
def cups() -> Iterator[Cups]:
    if os.name != "posix" or os.geteuid() != 0:
        _unavailable("a private cupsd with a file device needs root")
    for tool in (CUPSD, shutil.which("lp"), shutil.which("lpadmin") or "/usr/sbin/lpadmin"):
        if not tool or not Path(tool).exists():
            _unavailable(f"{tool or 'lp'} is not installed (apt-get install cups cups-bsd)")
    root = Path(tempfile.mkdtemp(prefix="cups-"))  # short: a socket path has a length limit
    for name in ("spool", "cache", "state", "tmp", "log", "out"):
        (root / name).mkdir()
    (root / "out").chmod(0o777)
    (root / "tmp").chmod(0o1777)
    (root / "cupsd.conf").write_text(_cupsd_conf(root))
    (root / "cups-files.conf").write_text(_files_conf(root))
    env = {**os.environ, "CUPS_SERVER": str(root / "cups.sock")}
    process = subprocess.Popen(
        [CUPSD, "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def running() -> bool:
            if process.poll() is not None:
                return True
            done = subprocess.run(["lpstat", "-r"], env=env, capture_output=True, text=True)
            return "is running" in done.stdout and "not" not in done.stdout

        try:
            wait_until(running, 15, "cupsd did not answer")
        except TimeoutError:
            _unavailable("cupsd did not answer within 15 s")
        if process.poll() is not None:
            log = (root / "log" / "error_log").read_text(errors="replace")[-1000:]
            _unavailable(f"cupsd exited with {process.returncode}: {log}")
        output = root / "out" / "printed.pdf"
        added = subprocess.run(
            ["lpadmin", "-p", QUEUE, "-v", f"file://{output}", "-E", "-m", PDF_MODEL],
            env=env,
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            _unavailable(f"lpadmin could not add the file queue: {added.stderr.strip()}")
        yield Cups(socket=root / "cups.sock", queue=QUEUE, output=output, env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
