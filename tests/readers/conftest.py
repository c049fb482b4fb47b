"""Fixtures for the card reader tests: the real pcscd with the vpcd driver, and vpcd slots.

The session starts pcscd itself when none is running and stops only what it started. A file
lock keeps two test runs on one machine from using the two vpcd ports at once. Without pcscd
the integration tests skip with the reason, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from readers.backend import ReaderState
from readers.pcsc import PcscBackend
from readers.vpcd import VPCD_PORTS, PcscdDaemon, PcscdUnavailable, reader_name_for_port

CARD_READER = reader_name_for_port(VPCD_PORTS[0])
PSAM_READER = reader_name_for_port(VPCD_PORTS[1])
LOCK_PATH = Path(tempfile.gettempdir()) / "branch-app-vpcd.lock"


def card_state(backend: PcscBackend, reader: str) -> ReaderState | None:
    return next((s for s in backend.reader_states() if s.name == reader), None)


def wait_card(backend: PcscBackend, reader: str, present: bool, timeout: float = 10.0) -> None:
    """Until pcscd sees a card in (or no card in) `reader`, using PC/SC's own blocking wait."""
    deadline = time.monotonic() + timeout
    while True:
        states = backend.reader_states()
        state = next((s for s in states if s.name == reader), None)
        if state is not None and state.card_present == present:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"pcscd did not see the card {'in' if present else 'out of'} {reader}"
            )
        backend.wait_for_change(states, min(remaining, 1.0))


@pytest.fixture(scope="session")
def pcscd() -> Iterator[PcscdDaemon]:
    """pcscd with the vpcd readers, started here if needed (and then stopped here)."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(LOCK_PATH))
    try:
        lock.acquire(timeout=150)
    except Timeout:
        message = f"another test run holds the vpcd slots ({LOCK_PATH})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    daemon = PcscdDaemon(log_path=Path(tempfile.gettempdir()) / "branch-app-pcscd-tests.log")
    try:
        try:
            daemon.ensure_running()
        except PcscdUnavailable as exc:
            if os.environ.get("CI"):
                pytest.fail(f"pcscd is needed under CI: {exc}")
            pytest.skip(f"pcscd with the vpcd driver is not available: {exc}")
        yield daemon
    finally:
        daemon.stop()
        lock.release()


@pytest.fixture
def pcsc(pcscd: PcscdDaemon) -> Iterator[PcscBackend]:
    backend = PcscBackend()
    yield backend
    backend.close()
