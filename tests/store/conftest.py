"""Fixtures for the store tests: an in-memory keyring, a controllable clock, an open store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from branch_app.store import LocalStore, MemoryKeyring


class StepClock:
    """A clock that moves forward by one second per reading (and on demand)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def jump(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock) -> Iterator[LocalStore]:
    opened = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock)
    try:
        yield opened
    finally:
        opened.close()
