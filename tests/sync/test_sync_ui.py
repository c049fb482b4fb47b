"""The sync's screens in a Pilot harness, against the real central and a real store.

Enrolment through the service, login online and then offline, and "Sync now" with its progress
bar. Waiting is on conditions with deadlines (the workers are threads), never on sleeps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar

from branch_app.config import AppConfig, CentralConfig, StoreConfig
from branch_app.services.session import StaffSessions
from branch_app.store import LocalStore
from branch_app.ui.dialogs.login import LoginScreen
from branch_app.ui.dialogs.sync_progress import SyncScreen
from branch_app.ui.status import ConnectionStatusChanged, QueueDepthChanged
from branch_app.ui.widgets.sync_status import SyncStatus
from sync.service import SyncService
from tests.sync.helpers import Device, fill_with_lives, registered_signer

pytestmark = pytest.mark.slow

ACTOR, PASSWORD = "T300", "teller-password-3"


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(ACTOR, PASSWORD, role="teller", name="Chen Jing")
        _CENTRAL[:] = [running]
        yield running


#: The module's running central (its database registers the teller's signing keys).
_CENTRAL: list[Any] = []


def teller_device(service: SyncService) -> Device:
    """The enrolled device queueing as the teller, with the teller's signing key on it (as
    their online log-in here registers it)."""
    enrolled = service.device()
    assert enrolled is not None
    signer = registered_signer(_CENTRAL[0], ACTOR, enrolled.device_id)
    return Device(service.store, enrolled.device_id, "", enrolled.branch, ACTOR, signer=signer)


@pytest.fixture
def service(central, tmp_path: Path, memory_keyring) -> Iterator[SyncService]:
    config = replace(
        AppConfig(),
        central=CentralConfig(url=central.url, timeout_seconds=5.0),
        store=StoreConfig(data_dir=str(tmp_path / "store")),
    )
    store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
    sync = SyncService(config, store)
    # An instant-issuance branch: the card lives these tests queue include the issue of the card.
    sync.enrol(central.issue_enrolment_code(place="instant_branch"), "counter 1")
    try:
        yield sync
    finally:
        sync.close()
        store.close()


class Harness(App[None]):
    """An empty app that shows one modal and keeps what it was dismissed with."""

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.first = screen
        self.result: Any = None
        self.status_messages: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.first, self._done)

    def _done(self, result: Any) -> None:
        self.result = result

    def on_connection_status_changed(self, message: ConnectionStatusChanged) -> None:
        self.status_messages.append(message)

    def on_queue_depth_changed(self, message: QueueDepthChanged) -> None:
        self.status_messages.append(message)


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting on the screen"
        await pilot.pause()


async def log_in(pilot: Pilot, staff_id: str, password: str) -> None:
    await pilot.click("#login-staff")
    await pilot.press(*staff_id)
    await pilot.click("#login-password")
    await pilot.press(*password, "enter")


async def test_login_online_then_offline(service: SyncService, central) -> None:
    app = Harness(LoginScreen(StaffSessions(service)))
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, ACTOR, "wrong-password")
        await until(
            pilot,
            lambda: (
                "wrong" in str(app.screen.query_one("#login-message").render()).lower()
                or "错误" in str(app.screen.query_one("#login-message").render())
            ),
        )
        assert app.result is None
        await pilot.click("#login-password")
        await pilot.press(*PASSWORD, "enter")
        await until(pilot, lambda: app.result is not None)
    online = app.result
    assert not online.offline and online.role == "teller" and online.name == "Chen Jing"

    central.stop()  # the central goes away: the next login is checked offline
    try:
        app = Harness(LoginScreen(StaffSessions(service)))
        async with app.run_test(size=(100, 30)) as pilot:
            await log_in(pilot, ACTOR, PASSWORD)
            await until(pilot, lambda: app.result is not None)
        assert app.result.offline and app.result.session_token is None
    finally:
        central.start()


async def test_sync_now_shows_progress_and_finishes(service: SyncService) -> None:
    device = teller_device(service)
    ids = fill_with_lives(device, cards=30)
    service.batch_size = 40
    app = Harness(SyncScreen(service))
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.screen.query_one(SyncStatus)
        await until(pilot, lambda: status.summary is not None, timeout=60)
        bar = app.screen.query_one("#sync-progress", ProgressBar)
        assert bar.progress == bar.total == len(ids)
        await pilot.click("#sync-cancel")  # now labelled OK: closes the modal
        await until(pilot, lambda: app.result is not None)
    summary = app.result
    assert summary.ok and summary.outcomes["applied"] == len(ids)
    assert service.queue_status().depth == 0
    depths = [m.depth for m in app.status_messages if isinstance(m, QueueDepthChanged)]
    assert depths[0] == len(ids) and depths[-1] == 0
    assert service.last_sync() is not None


async def test_shell_asks_for_login_then_syncs_from_the_palette_action(
    service: SyncService,
) -> None:
    from branch_app.ui.app import BranchApp
    from branch_app.ui.services import AppServices
    from branch_app.ui.status import SlotState

    device = teller_device(service)
    ids = fill_with_lives(device, cards=3)
    manual(service)  # this test sends with the palette's action, so nothing goes by itself
    app = BranchApp(service.config, AppServices(store=service.store, sync=service))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await log_in(pilot, ACTOR, PASSWORD)
        await until(pilot, lambda: app.status.staff is not None)
        assert app.status.staff.staff_id == ACTOR
        await until(pilot, lambda: app.status.queue.params.get("depth") == len(ids))
        app.action_sync_now()
        await until(pilot, lambda: bool(app.screen.query(SyncStatus)))
        status = app.screen.query_one(SyncStatus)
        await until(pilot, lambda: status.summary is not None, timeout=60)
        assert status.summary.ok
        await until(pilot, lambda: app.status.queue.state is SlotState.OK)
        await until(pilot, lambda: app.status.connection.state is SlotState.OK)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, SyncScreen))
        titles = [title for title, _, _ in app.palette_commands()]
        assert any("Sync now" in title or "立即同步" in title for title in titles)


def manual(service: SyncService) -> None:
    """Only "Sync now" sends (`[central] auto_sync = false`)."""
    service.config = replace(
        service.config, central=replace(service.config.central, auto_sync=False)
    )


def statuses(service: SyncService, ids: list[str]) -> set[str]:
    return {service.store.outbox.get(item_id).status for item_id in ids}


async def test_waiting_requests_go_by_themselves_when_the_central_answers(
    service: SyncService,
) -> None:
    """Queued while nobody looked (offline all morning, say): sent once the app sees the central,
    with no one pressing "Sync now", and each request sent at once after it is accepted."""
    from branch_app.domain.lifecycle import ApplicationKind, Apply, IssuanceSpeed
    from branch_app.ui.app import BranchApp
    from branch_app.ui.services import AppServices
    from branch_app.ui.status import OutboxChanged
    from tests.sync.helpers import TODAY, holder_id, next_serial

    device = teller_device(service)
    ids = fill_with_lives(device, cards=4)
    app = BranchApp(service.config, AppServices(store=service.store, sync=service))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: statuses(service, ids) == {"accepted"}, timeout=60)
        await until(pilot, lambda: app.status.queue.params.get("depth", 0) == 0)
        assert service.last_sync() is not None

        # A request accepted at the counter is sent at once, not at the next 30-second check.
        apply = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, TODAY, police_photo=True)
        item = device.enqueue(holder_id(next_serial()), apply)
        app.screen.post_message(OutboxChanged())
        await until(pilot, lambda: statuses(service, [item]) == {"accepted"}, timeout=15)


async def test_with_nothing_to_send_the_app_still_brings_other_channels_changes(
    service: SyncService, central, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A death record arrives at the central for a card this branch follows: the next background
    sync pulls it into the card cache, with nothing queued and nobody pressing a key."""
    from branch_app.domain.lifecycle import CardState, record_from_dict
    from branch_app.ui.app import BranchApp
    from branch_app.ui.controllers import sync_monitor
    from branch_app.ui.services import AppServices

    device = teller_device(service)
    ids = fill_with_lives(device, cards=1)
    assert service.run().ok  # sent: the branch follows the card from now on
    holder = service.store.outbox.get(ids[0]).holder_id
    with central.client(central.enrol_device()) as http:  # the police's record, via the central
        answer = http.post("/v1/channels/death-record", json={"holder_id": holder})
        assert answer.status_code == 200, answer.text
    # The last sync was just now; make "a while" no time at all instead of waiting five minutes.
    monkeypatch.setattr(sync_monitor, "PULL_EVERY", dt.timedelta(0))

    def cached_state() -> CardState | None:
        entry = service.store.card_cache.get(holder)
        return None if entry is None else record_from_dict(entry.record).card_state

    assert cached_state() is not CardState.CANCELLED
    app = BranchApp(service.config, AppServices(store=service.store, sync=service))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: cached_state() is CardState.CANCELLED, timeout=30)


async def test_a_refused_request_sent_in_the_background_is_announced(service: SyncService) -> None:
    from branch_app.domain.lifecycle import Unlock
    from branch_app.ui.app import BranchApp
    from branch_app.ui.services import AppServices
    from tests.sync.helpers import holder_id, next_serial

    device = teller_device(service)
    item = device.enqueue(holder_id(next_serial()), Unlock(at_card_bank=True))  # nobody's card
    app = BranchApp(service.config, AppServices(store=service.store, sync=service))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: statuses(service, [item]) == {"conflict"}, timeout=30)
        await until(
            pilot,
            lambda: any(
                "refused 1 request(s)" in n.message or "1 笔被中心拒绝" in n.message
                for n in app._notifications
            ),
        )
        await until(pilot, lambda: app.status.queue.params.get("count") == 1)


async def test_with_auto_sync_off_nothing_goes_until_asked(service: SyncService) -> None:
    from branch_app.ui.app import BranchApp
    from branch_app.ui.services import AppServices
    from branch_app.ui.status import OutboxChanged, SlotState

    device = teller_device(service)
    ids = fill_with_lives(device, cards=2)
    manual(service)
    app = BranchApp(service.config, AppServices(store=service.store, sync=service))
    async with app.run_test(size=(120, 36)) as pilot:
        app.screen.post_message(OutboxChanged())
        # The checks still run (the central is seen online, the queue counted) ...
        await until(pilot, lambda: app.status.connection.state is SlotState.OK)
        await until(pilot, lambda: app.status.queue.params.get("depth") == len(ids))
        keeper = app.session_keeper
        assert keeper is not None and keeper.monitor is not None
        await asyncio.to_thread(keeper.monitor.check)  # one whole check, waited for
    assert statuses(service, ids) == {"pending"}  # ... but nothing was sent


async def test_first_start_enrols_the_device_then_asks_for_login(
    central, tmp_path: Path, memory_keyring
) -> None:
    from branch_app.ui.app import BranchApp
    from branch_app.ui.dialogs.enrol import EnrolScreen
    from branch_app.ui.services import AppServices

    config = replace(
        AppConfig(),
        central=CentralConfig(url=central.url, timeout_seconds=5.0),
        store=StoreConfig(data_dir=str(tmp_path / "fresh")),
    )
    with LocalStore.open(tmp_path / "fresh", keyring=memory_keyring) as store:
        sync = SyncService(config, store)
        app = BranchApp(config, AppServices(store=store, sync=sync))
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, EnrolScreen))
            await pilot.click("#enrol-code")
            await pilot.press(*"NOT-A-CODE", "enter")
            message = app.screen.query_one("#enrol-message")
            await until(pilot, lambda: bool(str(message.render()).strip()))
            code_input = app.screen.query_one("#enrol-code", Input)
            code_input.value = central.issue_enrolment_code()
            code_input.focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert sync.device() is not None
        sync.close()
