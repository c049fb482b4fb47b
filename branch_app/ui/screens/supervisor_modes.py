"""The supervisor's tools as app modes: service id -> screen factory.

`counter_modes.py` merges `SUPERVISOR_MODES` into the modes the app knows; the factories import
their screens on first use only (the start-up path must not load the domain or the store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen


def sync_queue_screen() -> Screen[None]:
    from branch_app.ui.screens.supervisor_queue import SyncQueueScreen

    return SyncQueueScreen()


def conflicts_screen() -> Screen[None]:
    from branch_app.ui.screens.supervisor_conflicts import ConflictsScreen

    return ConflictsScreen()


def approvals_screen() -> Screen[None]:
    from branch_app.ui.screens.supervisor_approvals import ApprovalsScreen

    return ApprovalsScreen()


#: Mode name (= service id in ui/service_menu.py) -> screen factory.
SUPERVISOR_MODES: dict[str, Callable[[], Screen[None]]] = {
    "approvals": approvals_screen,
    "sync_queue": sync_queue_screen,
    "conflicts": conflicts_screen,
}
