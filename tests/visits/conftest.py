"""Fixtures for the home-visit tests: a real store with an in-memory keyring, made-up people with
valid check characters, a home-visit desk and a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from branch_app.domain.identity import resident_check_character
from branch_app.domain.lifecycle import CardRecord, CardState, FunctionStatus
from branch_app.domain.vocabulary import Place, Role
from branch_app.services.counter import Desk
from branch_app.store import LocalStore, MemoryKeyring

#: Three made-up Guangzhou residents (born 1938, 1941, 1950): the day's visits.
ELDER = "44010619380412201" + resident_check_character("44010619380412201")
CARED = "44010619410903302" + resident_check_character("44010619410903302")
NEWCOMER = "44010619500101403" + resident_check_character("44010619500101403")
NAMES = {ELDER: "陈伯伯", CARED: "李婆婆", NEWCOMER: "周先生"}
ADDRESSES = {
    ELDER: "广州市越秀区东风中路100号3楼",
    CARED: "广州市海珠区江南大道200号5楼",
    NEWCOMER: "广州市天河区天河路300号8楼",
}
#: The home-visit laptop's local time: Friday 14 March 2025, Beijing time.
NOW = dt.datetime(2025, 3, 14, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = NOW.date()


class Clock:
    """Local time that the test moves on by hand."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def later(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)


def card_in_use(holder_id: str, version: int = 2) -> CardRecord:
    return CardRecord(
        holder_id=holder_id,
        version=version,
        card_number="X00000019",
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank="icbc",
        generation=3,
    )


def home_desk(role: Role = Role.HOME_VISIT, staff_id: str = "H001") -> Desk:
    return Desk(
        staff_id=staff_id,
        role=role,
        place=Place.HOME_VISIT,
        branch="GZ-001",
        device="LAPTOP-3",
        bank="icbc",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "data", keyring=MemoryKeyring(), clock=clock)
    try:
        yield opened
    finally:
        opened.close()
