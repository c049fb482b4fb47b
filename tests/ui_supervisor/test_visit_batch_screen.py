"""The supervisor's home-visit batch screen (issue 13): the open batch with its requests, the
approval disabled while a request is unsent (and refused by the service if pressed anyway), one
menu entry for supervisors only. Snapshots in English and Chinese. A real store and a real sync
state (no central needed to review: the requests here are unsent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import Button

from branch_app.config import AppConfig, BranchProfile, CentralConfig, DeviceKind, UiConfig
from branch_app.demo.staff import demo_staff
from branch_app.domain.identity import parse_identity
from branch_app.domain.roles import Place, Role
from branch_app.services.counter import Accepted, Counter, Desk
from branch_app.store import LocalStore
from branch_app.ui.app import BranchApp
from branch_app.ui.screens.visit_batch import VisitBatchScreen
from branch_app.ui.service_menu import service_access
from branch_app.ui.services import AppServices
from sync.protocol import OfflineLimits
from sync.service import SyncService

from .conftest import NOW, SIZE, holder, until

LIMITS = OfflineLimits(max_unsent=30, max_offline_hours=12)


def config(language: str) -> AppConfig:
    return AppConfig(
        branch=BranchProfile(code="GZ-001", bank="icbc", device_kind=DeviceKind.HOME_VISIT),
        ui=UiConfig(language=language),
        central=CentralConfig(url="http://127.0.0.1:9", auto_sync=False),
    )


@pytest.fixture
def sync(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[SyncService]:
    """The laptop's sync state as the day left it: synced at 08:00, two requests taken (their
    outbox ids, and so the references on screen, the same at every run)."""
    import hashlib
    import itertools
    import uuid

    numbers = itertools.count()
    monkeypatch.setattr(
        uuid,
        "uuid4",
        lambda: uuid.UUID(bytes=hashlib.sha256(b"%d" % next(numbers)).digest()[:16]),
    )
    service = SyncService(config("en"), store)
    service.state.enrolled(LIMITS, approved_through=0, at=NOW.replace(hour=8, minute=0))
    desk = Desk(
        staff_id="H001",
        role=Role.HOME_VISIT,
        place=Place.HOME_VISIT,
        branch="GZ-001",
        device="PC-07",
        bank="icbc",
    )
    counter = Counter(store, desk, clock=lambda: NOW, allowance=service)
    for n in (1, 2):
        from branch_app.domain.vocabulary import ApplicationKind

        taken = counter.apply(
            parse_identity(holder(n), today=NOW.date()), ApplicationKind.FIRST, police_photo=True
        )
        assert isinstance(taken, Accepted)
    yield service
    service.close()


def batch_app(store: LocalStore, sync: SyncService, language: str = "en") -> BranchApp:
    services = AppServices(
        store=store, sync=sync, clock=lambda: NOW, staff=demo_staff(Role.SUPERVISOR)
    )
    return BranchApp(replace(config(language)), services)


async def _open(app: BranchApp, pilot: Any) -> VisitBatchScreen:
    await app.run_action("open_service('visit_batch')")
    await until(pilot, lambda: isinstance(app.screen, VisitBatchScreen))
    screen = app.screen
    assert isinstance(screen, VisitBatchScreen)
    await until(pilot, lambda: screen.review is not None)
    await pilot.pause()
    return screen


async def test_the_batch_is_listed_and_cannot_be_approved_while_unsent(
    store: LocalStore, sync: SyncService
) -> None:
    app = batch_app(store, sync)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        review = screen.review
        assert review is not None and len(review.rows) == 2 and len(review.unsent) == 2
        assert screen.query_one("#batch-approve", Button).disabled
        summary = str(screen.query_one("#batch-summary").render())
        assert "30 requests, 12 hours" in summary and "2 not sent yet" in summary
        # F9 anyway: the service reads the batch again and refuses; nothing is audited.
        screen.busy = False
        screen.action_approve()
        await until(pilot, lambda: not screen.busy)
        await until(
            pilot, lambda: "not sent yet" in str(screen.query_one("#batch-message").render())
        )
        assert not any(e.action == "home_visit.batch_approved" for e in store.audit.entries())
        assert sync.batch_open() == 2


def test_only_supervisors_see_the_batch_service() -> None:
    assert service_access("visit_batch", Role.SUPERVISOR, Place.HOME_VISIT) is True
    assert service_access("visit_batch", Role.HOME_VISIT, Place.HOME_VISIT) is False
    assert service_access("visit_batch", Role.TELLER, Place.BRANCH) is False


@pytest.mark.parametrize("language", ["en", "zh"])
def test_snapshot(snap_compare, store: LocalStore, sync: SyncService, language: str) -> None:
    async def loaded(pilot: Any) -> None:
        await _open(pilot.app, pilot)

    assert snap_compare(batch_app(store, sync, language), terminal_size=SIZE, run_before=loaded)


def test_the_rows_hold_no_full_id_number(store: LocalStore, sync: SyncService) -> None:
    from branch_app.services.visit_batch import VisitBatch

    desk = Desk("S001", Role.SUPERVISOR, Place.HOME_VISIT, "GZ-001", "PC-07")
    review = VisitBatch(store, sync, desk, clock=lambda: NOW).review()
    for row in review.rows:
        assert holder(1) not in repr(row) and holder(2) not in repr(row)
    assert review.last_sync == NOW.replace(hour=8, minute=0).astimezone(dt.UTC)
