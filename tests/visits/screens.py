"""Helpers for the home-visit screens' Pilot tests: a home-visit laptop with a real store."""

from __future__ import annotations

from branch_app.config import AppConfig, BranchProfile, CentralConfig, DeviceKind, UiConfig
from branch_app.demo.staff import demo_staff
from branch_app.domain.roles import Role
from branch_app.domain.vocabulary import CentralKnew, VisitNeed
from branch_app.store import LocalStore
from branch_app.store.visits import Visit
from branch_app.ui.app import BranchApp
from branch_app.ui.services import AppServices

from .conftest import ADDRESSES, NAMES, NOW, TODAY, card_in_use

SIZE = (110, 36)
#: The demo's home-visit member of staff (the one the app signs in).
STAFF = demo_staff(Role.HOME_VISIT).staff_id


def home_visit_app(
    store: LocalStore | None, *, language: str = "en", role: Role | None = Role.HOME_VISIT
) -> BranchApp:
    config = AppConfig(
        branch=BranchProfile(code="GZ-001", bank="icbc", device_kind=DeviceKind.HOME_VISIT),
        ui=UiConfig(language=language),
        central=CentralConfig(url="http://127.0.0.1:8765"),
    )
    services = AppServices(
        store=store, clock=lambda: NOW, staff=demo_staff(role) if role is not None else None
    )
    return BranchApp(config, services)


def planned(store: LocalStore, holder: str, need: VisitNeed, *, known: bool = True) -> Visit:
    """A visit planned earlier (online, at the branch): the record fetched into the cache."""
    if known:
        store.card_cache.put(card_in_use(holder), source="lookup")
    return store.visits.add(
        TODAY,
        holder_id=holder,
        holder_kind="resident",
        name=NAMES[holder],
        address=ADDRESSES[holder],
        need=need,
        why="行动不便",
        central=CentralKnew.RECORD if known else CentralKnew.NO_RECORD,
        planned_by=STAFF,
    )
