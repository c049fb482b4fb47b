"""Fixtures of the support tests: the rotating log started in a folder, stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from branch_app.logbook import start_logging, stop_logging


@pytest.fixture
def start_log() -> Iterator[Callable[..., object]]:
    """`start_log(folder, **sizes)` starts the log as an entry point does; stopped at the end
    (the loggers' levels and handlers put back)."""

    def start(folder: Path, **sizes: int) -> object:
        handler = start_logging(folder, **sizes)
        assert handler is not None
        return handler

    try:
        yield start
    finally:
        stop_logging()
