"""SVG snapshots of the counter screens at a fixed size and clock (before anything random, such
as an outbox id, is on screen). Regenerate after an intended change with
`.venv/bin/python -m pytest tests/counter/test_counter_snapshots.py --snapshot-update` and
review the SVGs."""

from __future__ import annotations

from textual.pilot import Pilot

from branch_app.store import LocalStore
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.screens.loss_report import LossReportScreen
from branch_app.ui.screens.unlock import UnlockScreen
from tests.ui.conftest import wait_until

from .conftest import ADULT
from .screens import counter_app
from .test_counter_screens import active_record

SIZE = (100, 32)


def test_loss_report_confirmation_chinese(snap_compare, store: LocalStore) -> None:
    store.card_cache.put(active_record())

    async def confirm(pilot: Pilot) -> None:
        screen = LossReportScreen()
        await pilot.app.push_screen(screen)
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await pilot.press(*ADULT, "f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
        await pilot.pause()

    app = counter_app(store, language="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=confirm)


def test_unlock_refused_english(snap_compare, store: LocalStore) -> None:
    async def refuse(pilot: Pilot) -> None:
        screen = UnlockScreen()
        await pilot.app.push_screen(screen)
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await pilot.press(*ADULT, "f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        await pilot.pause()

    assert snap_compare(counter_app(store), terminal_size=SIZE, run_before=refuse)
