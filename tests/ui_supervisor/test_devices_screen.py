"""The supervisor's Devices screen (issue 13): the branch's devices from the real central on
127.0.0.1, the stuck ones first with why, the home-visit laptop's visit progress; F4 reads again;
with the central stopped, one sentence and no crash. Snapshots in English and Chinese use a fixed
`DevicesResponse` (the only way to fixed times on screen) behind the real service layer."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from textual.pilot import Pilot

from branch_app.config import AppConfig, BranchProfile, CentralConfig, StoreConfig, UiConfig
from branch_app.domain.roles import Place, Role
from branch_app.services.supervisor import read_devices
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.ui.app import BranchApp
from branch_app.ui.screens.supervisor_devices import DevicesScreen
from branch_app.ui.service_menu import service_access
from branch_app.ui.services import AppServices
from branch_app.ui.widgets.paged_table import PagedTable
from sync.client import CentralConnectionRefused, CentralRejected, CentralTimeout
from sync.engine import RetryPolicy
from sync.protocol import DevicesResponse, DeviceStateView
from sync.service import SyncService

from .conftest import NOW, SIZE, supervisor_app, until
from .test_supervisor_central import PASSWORD, sign_in, text

QUICK_RETRY = RetryPolicy(attempts=2, timeout=5, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)
_branches = itertools.count(1)


def cells(screen: DevicesScreen, device_id: str) -> list[str]:
    grid = screen.query_one("#devices-table", PagedTable)
    return [str(cell) for cell in grid.get_row(device_id)]


# Against the real central --------------------------------------------------------------------


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central() as running:
        yield running


@dataclass
class Branch:
    code: str
    supervisor: str
    store: LocalStore
    sync: SyncService
    config: AppConfig


@pytest.fixture
def branch(central: Any, tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[Branch]:
    n = next(_branches)
    code, supervisor = f"GZ-DEV-{n:03d}", f"S6{n:02d}"
    central.add_staff(supervisor, PASSWORD, role="supervisor", branch=code)
    central.add_staff(f"T6{n:02d}", PASSWORD, role="teller", branch=code)
    config = replace(
        AppConfig(),
        branch=BranchProfile(code=code, bank="icbc"),
        central=CentralConfig(url=central.url, timeout_seconds=5.0, auto_sync=False),
        store=StoreConfig(data_dir=str(tmp_path / "store")),
        ui=UiConfig(language="en"),
    )
    store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
    sync = SyncService(config, store, retry=QUICK_RETRY)
    sync.enrol(central.issue_enrolment_code(branch=code), "counter 1")
    try:
        yield Branch(code, supervisor, store, sync, config)
    finally:
        sync.close()
        store.close()


def laptop_out_since(central: Any, branch: Branch, hours: int) -> str:
    """A home-visit laptop of the branch that last synced `hours` ago, 2 of its 3 visits done."""
    laptop = central.enrol_device(branch=branch.code, place="home_visit", name="laptop 1")
    last = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    report = {
        "queue_depth": 4,
        "oldest_unsent_age_seconds": hours * 3600,
        "refused_open": 0,
        "last_sync": last.isoformat(),
        "app_version": "1.4.2",
        "audit_head": {"n": 12, "mac": "d" * 64},
        "visits_planned": 3,
        "visits_done": 2,
        "batch_open": 4,
    }
    with central.client(laptop) as http:
        assert http.post("/v1/devices/state", json=report).status_code == 200
    return str(laptop.device_id)


@pytest.mark.slow
async def test_the_branch_devices_stuck_first_then_unreachable_in_one_sentence(
    central: Any, branch: Branch
) -> None:
    laptop = laptop_out_since(central, branch, hours=3)
    assert branch.sync.run().reached_central  # this PC reports its state: well
    mine = branch.sync.device().device_id
    app = BranchApp(branch.config, AppServices(store=branch.store, sync=branch.sync))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, app, branch.supervisor)
        await app.run_action("open_service('devices')")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        screen = app.screen
        assert isinstance(screen, DevicesScreen)
        await until(pilot, lambda: screen.found is not None and screen.found.problem is None)
        assert [v.device_id for v in screen.found.devices] == [laptop, mine]
        assert "2 device(s) of the branch, 1 need a look" in text(app, "#devices-source")
        row = cells(screen, laptop)
        assert row[0] == "! laptop 1" and row[1] == "home visit"
        assert row[2] == "3 h ago" and row[3] == "4" and row[4] == "3 h"
        assert row[8] == "2 of 3" and row[9] == "no sync"
        assert cells(screen, mine)[0] == "  counter 1" and cells(screen, mine)[9] == ""
        # The stuck one is under the cursor: its details say why, in a sentence.
        detail = text(app, "#devices-detail")
        assert "Last synced 3 h ago: check its network" in detail
        assert "4 request(s) of the day's batch" in detail

        # The central goes away: F4 says so in one sentence; the screen stays usable.
        central.stop()
        try:
            await pilot.press("f4")
            await until(
                pilot, lambda: screen.found is not None and screen.found.problem is not None
            )
            assert screen.found.problem == "devices.unreachable"
            assert text(app, "#devices-source").startswith("The central cannot be reached")
            assert screen.query_one("#devices-table", PagedTable).row_count == 0
        finally:
            central.start()
        await pilot.press("f4")
        await until(pilot, lambda: screen.found is not None and screen.found.problem is None)
        assert len(screen.found.devices) == 2


def test_only_supervisors_see_the_devices_service() -> None:
    assert service_access("devices", Role.SUPERVISOR, Place.BRANCH) is True
    assert service_access("devices", Role.TELLER, Place.BRANCH) is False
    assert service_access("devices", Role.HOME_VISIT, Place.HOME_VISIT) is False
    assert service_access("devices", None, Place.BRANCH) is False


async def test_without_a_central_one_sentence_says_why(store: LocalStore) -> None:
    app = supervisor_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await app.run_action("open_service('devices')")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        screen = app.screen
        await until(pilot, lambda: screen.found is not None)
        assert screen.found.problem == "devices.no_central"
        assert "only the central knows the branch's devices" in text(app, "#devices-source")


# read_devices: which sentence when there is no list (a unit test of the decision) ------------


class Refusing:
    """A central that answers `branch_devices` with `error` (the client's typed errors)."""

    def __init__(self, error: Exception, session: str | None = "session") -> None:
        self.error, self.staff_session = error, session

    def client(self) -> Refusing:
        return self

    def branch_devices(self) -> DevicesResponse:
        raise self.error

    def __enter__(self) -> Refusing:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None


@pytest.mark.parametrize(
    ("sync", "problem"),
    [
        (None, "devices.no_central"),
        (Refusing(RuntimeError("never asked"), session=None), "devices.no_session"),
        (Refusing(CentralConnectionRefused("ConnectError")), "devices.unreachable"),
        (Refusing(CentralTimeout("ReadTimeout")), "devices.unreachable"),
        (Refusing(CentralRejected(401, "session_required")), "devices.no_session"),
        (Refusing(CentralRejected(403, "forbidden")), "supervisor.gate.not_supervisor"),
        (Refusing(CentralRejected(401, "unauthorized")), "sync.error.rejected"),
    ],
)
def test_no_list_says_why_in_one_sentence(sync: Any, problem: str) -> None:
    found = read_devices(sync)
    assert found.devices == () and found.problem == problem


# Snapshots: a fixed answer, so the times on screen are fixed ---------------------------------


def at(minutes_ago: int) -> str:
    return (NOW - dt.timedelta(minutes=minutes_ago)).astimezone(dt.UTC).isoformat()


FIXED = DevicesResponse(
    devices=[
        DeviceStateView(
            device_id="dev-3f0c9a1b2c3d4e5f",
            name="PC-03",
            place=Place.BRANCH,
            reported_at=at(2),
            queue_depth=0,
            refused_open=2,
            last_sync=at(2),
            app_version="1.4.2",
            audit_n=5120,
            audit_regressed_at=at(30),
            stuck=["audit_regressed", "refused_waiting"],
        ),
        DeviceStateView(
            device_id="dev-9a8b7c6d5e4f3a2b",
            name="laptop 1",
            place=Place.HOME_VISIT,
            reported_at=at(190),
            queue_depth=6,
            oldest_unsent_age_seconds=190 * 60,
            refused_open=0,
            last_sync=at(190),
            app_version="1.4.2",
            audit_n=88,
            visits_planned=3,
            visits_done=2,
            batch_open=6,
            stuck=["no_sync"],
        ),
        DeviceStateView(
            device_id="dev-1122334455667788",
            name="instant PC",
            place=Place.INSTANT_BRANCH,
            stuck=["never_reported"],
        ),
        DeviceStateView(
            device_id="dev-aabbccddeeff0011",
            name="PC-01",
            place=Place.BRANCH,
            reported_at=at(12),
            queue_depth=1,
            oldest_unsent_age_seconds=60,
            refused_open=0,
            last_sync=at(12),
            app_version="1.4.2",
            audit_n=20311,
        ),
        DeviceStateView(
            device_id="dev-0000111122223333",
            name="old PC",
            place=Place.BRANCH,
            reported_at=at(60 * 24 * 20),
            queue_depth=0,
            refused_open=0,
            last_sync=at(60 * 24 * 20),
            app_version="1.3.0",
            audit_n=3001,
            revoked=True,
        ),
    ]
)


class FixedCentral:
    """The central's answer to `branch_devices`, fixed (the `CentralApi` port's one method the
    screen calls); a supervisor's online session."""

    staff_session = "session"

    def client(self) -> FixedCentral:
        return self

    def branch_devices(self) -> DevicesResponse:
        return FIXED

    def __enter__(self) -> FixedCentral:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType
    ) -> None:
        return None


async def _devices_loaded(pilot: Pilot) -> None:
    # Handed over after start-up: the app's own sync parts (sessions, monitor) are not started
    # for it; the screen reads through the service layer as it would from a real central.
    pilot.app.services.sync = FixedCentral()
    await pilot.app.run_action("open_service('devices')")
    await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, DevicesScreen)
            and pilot.app.screen.found is not None
            and pilot.app.screen.query_one("#devices-table", PagedTable).row_count == 5
        ),
    )
    # The columns take their rows' widths on the table's next idle pass: wait for it (the
    # longest name is wider than the column's title in both languages).
    grid = pilot.app.screen.query_one("#devices-table", PagedTable)
    await until(pilot, lambda: grid.ordered_columns[0].content_width >= len("! instant PC"))
    await pilot.pause()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_devices_snapshot(snap_compare: Any, store: LocalStore, language: str) -> None:
    app = supervisor_app(store, language=language)
    assert snap_compare(app, terminal_size=SIZE, run_before=_devices_loaded)
