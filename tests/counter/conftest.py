"""Fixtures for the counter tests: a real LocalStore in tmp_path with an in-memory keyring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from branch_app.domain.identity import parse_identity, resident_check_character
from branch_app.domain.roles import Place, Role
from branch_app.services.counter import Counter, Desk
from branch_app.store import LocalStore, MemoryKeyring

#: A Guangzhou resident born 1990-01-01 (adult), and a child born 2015-06-01.
ADULT = "44010619900101123" + resident_check_character("44010619900101123")
CHILD = "44010620150601123" + resident_check_character("44010620150601123")
#: A made-up photo receipt number (相片回执号) for applications.
PHOTO = "GZ2025031400A7"
#: The counter's local time: Friday 14 March 2025, Beijing time.
NOW = dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


class StepClock:
    """UTC for the store: one second further at each reading."""

    def __init__(self) -> None:
        self.now = NOW.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "data", keyring=memory_keyring, clock=StepClock())
    try:
        yield opened
    finally:
        opened.close()


def desk(role: Role = Role.TELLER, place: Place = Place.BRANCH, staff_id: str = "T001") -> Desk:
    return Desk(
        staff_id=staff_id, role=role, place=place, branch="GZ-001", device="PC-07", bank="icbc"
    )


def make_counter(
    store: LocalStore, the_desk: Desk | None = None, now: dt.datetime = NOW
) -> Counter:
    return Counter(store, the_desk or desk(), clock=lambda: now)


@pytest.fixture
def counter(store: LocalStore) -> Counter:
    return make_counter(store)


@pytest.fixture
def adult():
    return parse_identity(ADULT, today=NOW.date())


@pytest.fixture
def child():
    return parse_identity(CHILD, today=NOW.date())
