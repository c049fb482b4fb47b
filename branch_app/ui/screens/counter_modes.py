"""The counter services as app modes: service id -> mode name -> screen factory.

`app.py` adds `COUNTER_MODES` to its `MODES` and `COUNTER_SERVICES` to `BUILT_SERVICES`. The
factories import their screens on first use only: the screens pull in the domain, which the
start-up path must not load (tests/ui/test_startup_imports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from branch_app.ui.screens.supervisor_modes import SUPERVISOR_MODES

if TYPE_CHECKING:
    from textual.screen import Screen


def _application(kind: str, speed: str = "normal") -> Callable[[], Screen[None]]:
    def make() -> Screen[None]:
        from branch_app.domain.vocabulary import ApplicationKind, IssuanceSpeed
        from branch_app.ui.screens.application import ApplicationScreen

        return ApplicationScreen(ApplicationKind(kind), IssuanceSpeed(speed))

    return make


def loss_report_screen() -> Screen[None]:
    from branch_app.ui.screens.loss_report import LossReportScreen

    return LossReportScreen()


def unlock_screen() -> Screen[None]:
    from branch_app.ui.screens.unlock import UnlockScreen

    return UnlockScreen()


def cancellation_screen() -> Screen[None]:
    from branch_app.ui.screens.cancellation import CancellationScreen

    return CancellationScreen()


def card_query_screen() -> Screen[None]:
    from branch_app.ui.screens.card_query import CardQueryScreen

    return CardQueryScreen()


#: Mode name -> screen factory (each mode keeps its own screen, so tasks keep their state).
COUNTER_MODES: dict[str, Callable[[], Screen[None]]] = {
    "apply_first": _application("first"),
    "apply_replacement": _application("replacement"),
    "apply_exchange": _application("exchange"),
    "apply_instant": _application("first", "instant"),
    "report_loss": loss_report_screen,
    "unlock": unlock_screen,
    "cancellation": cancellation_screen,
    "query": card_query_screen,
    **SUPERVISOR_MODES,  # the supervisor's tools (approvals, sync_queue, conflicts)
}

#: Service id (ui/service_menu.py) -> mode name.
COUNTER_SERVICES: dict[str, str] = {mode: mode for mode in COUNTER_MODES}
