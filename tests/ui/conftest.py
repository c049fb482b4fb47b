"""Fixtures for the shell's Pilot and snapshot tests: a fixed clock, a chosen language and role."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot

from branch_app.config import AppConfig, BranchProfile, CentralConfig, DeviceKind, UiConfig
from branch_app.demo.staff import demo_staff
from branch_app.domain.roles import Role
from branch_app.i18n import current_language, set_language
from branch_app.ui.app import BranchApp
from branch_app.ui.services import AppServices

#: The day every shell test lives on: snapshots must not change with the date.
FIXED_NOW = dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SIZE = (100, 32)
#: The central a test device is configured for (nothing listens there: no test reaches it).
LOOPBACK_CENTRAL = "http://127.0.0.1:8765"


def fixed_clock() -> dt.datetime:
    return FIXED_NOW


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    """The catalog's current language is process-wide; give it back after each test."""
    before = current_language()
    yield
    set_language(before)


def make_app(
    language: str = "en",
    role: Role | None = Role.TELLER,
    *,
    demo: bool = False,
    instant: bool = False,
    device: DeviceKind = DeviceKind.COUNTER,
    theme: str = "textual-dark",
    keymap: tuple[tuple[str, str], ...] = (),
    services: AppServices | None = None,
) -> BranchApp:
    config = AppConfig(
        branch=BranchProfile(
            code="GZ-TEST-042", bank="test-bank", instant_issuance=instant, device_kind=device
        ),
        ui=UiConfig(language=language, theme=theme),
        # A configured device: without a central the app says so (the safe default).
        central=CentralConfig(url=LOOPBACK_CENTRAL),
        keymap=keymap,
    )
    services = services or AppServices(
        clock=fixed_clock,
        staff=demo_staff(role) if role is not None else None,
        act_as=demo_staff if demo else None,
    )
    return BranchApp(config, services)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], deadline: float = 15.0) -> None:
    """Let the app run until `condition` holds, or fail after `deadline` seconds (no sleeping:
    each round lets the app process what is pending)."""
    give_up = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < give_up, f"condition not reached within {deadline}s"
        await pilot.pause()
