"""Helpers for the counter screens' Pilot tests: an app with a real store and a fixed clock."""

from __future__ import annotations

from textual.widgets import Static

from branch_app.config import AppConfig, BranchProfile, CentralConfig, DeviceKind, UiConfig
from branch_app.demo.staff import demo_staff
from branch_app.domain.roles import Role
from branch_app.store import LocalStore
from branch_app.ui.app import BranchApp
from branch_app.ui.services import AppServices

from .conftest import NOW

SIZE = (110, 40)


def counter_app(
    store: LocalStore | None,
    *,
    language: str = "en",
    role: Role | None = Role.TELLER,
    instant: bool = False,
    device: DeviceKind = DeviceKind.COUNTER,
) -> BranchApp:
    config = AppConfig(
        branch=BranchProfile(
            code="GZ-001", bank="icbc", instant_issuance=instant, device_kind=device
        ),
        ui=UiConfig(language=language),
        central=CentralConfig(url="http://127.0.0.1:8765"),
    )
    services = AppServices(
        store=store,
        clock=lambda: NOW,
        staff=demo_staff(role) if role is not None else None,
    )
    return BranchApp(config, services)


def shown(app: BranchApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)
