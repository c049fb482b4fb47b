"""Printing a PDF on the branch's printer through the operating system.

On Linux (and macOS) through CUPS: `lp -d <printer> <file>` (the configured printer, else the
system's default destination); on Windows the file goes to the default printer through the shell's
"print" verb. `Printer` is the port the screens use; `SystemPrinter` the real one, a test's fake
or a file printer take its place. A failure is a `PrintFailed` with a catalog code, never a stack.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Protocol


class PrintFailed(RuntimeError):
    """The file could not be handed to the printer. `code`: a key under `receipt.print.error.`"""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"printing failed: {code}" + (f" ({detail})" if detail else ""))
        self.code = code
        self.detail = detail


class Printer(Protocol):
    """Hands a finished PDF to a printer; returns what the system calls the job."""

    def print_file(self, path: Path, *, title: str = "") -> str: ...


class SystemPrinter:
    """The OS's printing: CUPS `lp` on POSIX, the default printer on Windows."""

    def __init__(self, name: str = "", *, lp: str | None = None, timeout: float = 30.0) -> None:
        self.name = name.strip()
        self.lp = lp
        self.timeout = timeout

    def print_file(self, path: Path, *, title: str = "") -> str:
        if not path.is_file():
            raise PrintFailed("no_file")
        if sys.platform == "win32":  # pragma: no cover - Windows only
            try:
                os.startfile(str(path), "print")  # type: ignore[attr-defined,unused-ignore]
            except OSError as error:
                raise PrintFailed("system", type(error).__name__) from None
            return "windows"
        lp = self.lp or shutil.which("lp")
        if lp is None:
            raise PrintFailed("no_lp")
        command = [lp]
        if self.name:
            command += ["-d", self.name]
        if title:
            command += ["-t", title]
        command.append(str(path))
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PrintFailed("system", type(error).__name__) from None
        if done.returncode != 0:
            raise PrintFailed("refused", done.stderr.strip()[:200])
        # "request id is receipts-12 (1 file(s))"
        words = done.stdout.split()
        return words[3] if len(words) > 3 and words[:3] == ["request", "id", "is"] else ""
