"""Fixtures of the supervisor screens' tests: a real store with a fixed clock, the app around it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from branch_app.config import AppConfig, BranchProfile, CentralConfig, UiConfig
from branch_app.demo.staff import demo_staff
from branch_app.domain.identity import resident_check_character
from branch_app.domain.roles import Role
from branch_app.i18n import current_language, set_language
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.ui.app import BranchApp
from branch_app.ui.services import AppServices

#: The counter's local time in every test: Friday 14 March 2025, Beijing time.
NOW = dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SIZE = (120, 36)


def holder(serial: int) -> str:
    """A valid Guangzhou resident ID number, one per serial."""
    first17 = f"44010619900101{serial:03d}"
    return first17 + resident_check_character(first17)


def photo() -> dict[str, Any]:
    """What an application names for the card's photo: the holder's police ID photo."""
    return {"police_photo": True}


class StepClock:
    """UTC for the store: one second further at each reading (deterministic snapshots)."""

    def __init__(self) -> None:
        self.now = NOW.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    before = current_language()
    yield
    set_language(before)


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "data", keyring=memory_keyring, clock=StepClock())
    try:
        yield opened
    finally:
        opened.close()


def supervisor_app(
    store: LocalStore | None,
    *,
    role: Role | None = Role.SUPERVISOR,
    language: str = "en",
    sync: Any = None,
    config: AppConfig | None = None,
) -> BranchApp:
    """The app with a store (and perhaps a sync), somebody on duty and a fixed clock."""
    config = config or AppConfig(
        branch=BranchProfile(code="GZ-001", bank="icbc"),
        ui=UiConfig(language=language),
        central=CentralConfig(url="http://127.0.0.1:8765"),
    )
    services = AppServices(
        store=store,
        sync=sync,
        clock=lambda: NOW,
        staff=demo_staff(role) if role is not None else None,
    )
    return BranchApp(config, services)


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until `condition` holds; fail after `timeout` seconds (no sleeping)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting on the screen"
        await pilot.pause()
