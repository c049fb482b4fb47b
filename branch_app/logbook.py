"""The application's rotating log, for the help desk: what happened, never who it happened to.

The TUI, the demo and `branch-app sync|enrol` call `start_logging` once at their entry point;
records of the project's loggers (`branch_app.*`, `sync.*`, `readers.*`) at INFO and above then
go to `branch-app.log` in the log folder (`[store] log_dir`, else `logs` in the data folder),
1 MB per file, five old files kept. What is logged: errors, sync outcomes (batch sizes, counts
per outcome, durations, error codes), reader events (attached, removed, card in and out, a
failed read's code). What is never logged: names, addresses, ID and card numbers, payloads.

`Redactor`, a filter on the handler, is the last line of defence for a log call that forgot
that: anything that looks like an ID number (mainland, HK/Macau/Taiwan permits, passports), a
card or bank card number, a mobile or landline number, and any Chinese text (log lines are
English; Chinese in one is a name or an address) is replaced before the line is written.
`branch-app support-bundle` runs `redact` once more over everything it packs.

Cheap to import and to start (the TUI's start-up budget): stdlib only, `logging.handlers` is
imported when the log starts, and the file is opened at the first record.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branch_app.config import AppConfig

LOG_FILE = "branch-app.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
#: The project's loggers whose records go to the file (never the libraries': httpx logs URLs).
LOGGERS = ("branch_app", "sync", "readers")
#: Where the reader events go (`log_reader_event`).
READER_LOG = "branch_app.reader"
REDACTED = "[redacted]"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def log_folder(config: AppConfig) -> Path:
    """The configured log folder, else `logs` in the store's data folder."""
    if config.store.log_dir:
        return Path(config.store.log_dir).expanduser()
    return config.data_dir() / "logs"


def log_files(folder: Path) -> list[Path]:
    """The log and its rotated copies in `folder`, newest first."""
    names = [LOG_FILE, *(f"{LOG_FILE}.{n}" for n in range(1, 100))]
    return [folder / name for name in names if (folder / name).is_file()]


# -- redaction ------------------------------------------------------------------------------------

#: Chinese text (CJK ideographs, extension A and the compatibility block), with the numbers
#: and signs between them (中山五路219号 is one address, not two words and a number).
_HAN_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = rf"[{_HAN_CHAR}](?:[{_HAN_CHAR}0-9０-９A-Za-z#·()（）\- ]*[{_HAN_CHAR}])?"
#: A Hong Kong identity card number with its check digit in brackets: A123456(7).
_HK_ID = r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d{6}\s?[(（]\s?[0-9Aa]\s?[)）]"
#: Digits in groups separated by one space or hyphen (a number read out or printed in groups:
#: 138 0013 8000, 6222-0200-1234-5678, 440106 19800101 123X). Every group but the last at least
#: three digits, so that a date (2025-03-14) is not one; counted only if eight digits or more.
_GROUPED = (
    r"(?<![A-Za-z0-9])(?:\+?86[ \-]?)?\d{3,}(?:[ \-]\d{3,})+(?:[ \-]\d{1,3})?(?:[ \-]?[Xx])?"
    r"(?![A-Za-z0-9])"
)
#: A word of letters and digits: redacted if it holds 7 digits or more and at most 3 letters
#: (ID numbers, permits, passports, card and phone numbers; not hashes, not microseconds).
_WORD = r"[A-Za-z0-9]+"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """Compiled at the first use, not at import (the card widget imports this module on the
    way to the first screen)."""
    return tuple(re.compile(pattern) for pattern in (_HAN, _HK_ID, _GROUPED, _WORD))


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


#: A device id (`dev-` and 16 hex digits, made by the central) names a machine, never a person;
#: one in ten has three letters or fewer and would read as a number.
_DEVICE_PREFIX = "dev-"


def _word(match: re.Match[str]) -> str:
    word = match.group()
    digits = _digits(word)
    if digits >= 7 and len(word) - digits <= 3:
        start = match.start()
        if match.string[max(0, start - len(_DEVICE_PREFIX)) : start] == _DEVICE_PREFIX:
            return word
        return REDACTED
    return word


def redact(text: str) -> str:
    """`text` with everything that may identify a person replaced by `[redacted]`."""
    if not text:
        return text
    han, hk_id, grouped, word = _patterns()
    text = han.sub(REDACTED, text)
    text = hk_id.sub(REDACTED, text)
    text = grouped.sub(lambda m: REDACTED if _digits(m.group()) >= 8 else m.group(), text)
    return word.sub(_word, text)


class Redactor(logging.Filter):
    """Redacts each record's message, exception and stack text before a handler writes it."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# -- the handler ----------------------------------------------------------------------------------


class _Active:
    """The log in use: its handler, its file, the loggers' levels before it started."""

    def __init__(self, handler: logging.Handler, path: Path, levels: dict[str, int]) -> None:
        self.handler = handler
        self.path = path
        self.levels = levels


_active: _Active | None = None


def start_logging(
    folder: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS
) -> logging.Handler | None:
    """Send the project's records to the rotating log in `folder`; once per process (a second
    call for the same folder does nothing, for another folder moves the log there).

    Never raises: a log that cannot be written must not stop a counter (None then)."""
    global _active
    path = folder / LOG_FILE
    if _active is not None:
        if _active.path == path:
            return _active.handler
        stop_logging()
    from logging.handlers import RotatingFileHandler

    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600, exist_ok=True)
        _private(path)
        handler = RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FORMAT, _DATE_FORMAT))
    handler.addFilter(Redactor())
    levels: dict[str, int] = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    _active = _Active(handler, path, levels)
    return handler


def stop_logging() -> None:
    """Detach and close the log (tests; the process's end closes it anyway)."""
    global _active
    active, _active = _active, None
    if active is None:
        return
    for name, level in active.levels.items():
        logger = logging.getLogger(name)
        logger.removeHandler(active.handler)
        logger.setLevel(level)
    active.handler.close()


def flush_log() -> None:
    """Write out what the log holds (before the support bundle reads the files)."""
    if _active is not None:
        _active.handler.flush()


def _private(path: Path) -> None:
    """Only the user may read the log (it says what the counter did and when)."""
    with contextlib.suppress(OSError):  # a file system without modes
        os.chmod(path, 0o600)


# -- reader events --------------------------------------------------------------------------------

_READER_EVENTS = {
    "ReaderAttached": "reader attached",
    "ReaderDetached": "reader removed",
    "CardInserted": "card inserted",
    "CardRead": "card read",
    "CardReadFailed": "card read failed",
    "CardWithdrawn": "card removed",
    "ServiceLost": "card reader service lost",
    "ServiceRestored": "card reader service back",
}


def log_reader_event(event: object) -> None:
    """One line for a `readers.service` event: what happened, in which reader, the error's
    code; never the card's data (a reading, its ATR, an error's detail)."""
    what = _READER_EVENTS.get(type(event).__name__)
    if what is None:
        return
    reader = getattr(event, "reader", "")
    code = getattr(getattr(event, "error", None), "code", None)
    readers = getattr(event, "readers", None)
    line = what
    if reader:
        line += f" ({reader})"
    if readers is not None:
        line += f" ({len(readers)} readers)"
    if code:
        line += f": {code}"
    logging.getLogger(READER_LOG).log(logging.WARNING if code else logging.INFO, "%s", line)
