"""The counter services in the shell: the menu opens them, the reader's card reaches them."""

from __future__ import annotations

from types import SimpleNamespace

from textual.widgets import Input, OptionList

from branch_app.config import DeviceKind
from branch_app.domain import Role
from branch_app.domain.vocabulary import Place
from branch_app.store import LocalStore
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.screens.application import ApplicationScreen
from branch_app.ui.screens.card_query import CardQueryScreen
from branch_app.ui.screens.home import HomeScreen
from branch_app.ui.screens.loss_report import LossReportScreen
from branch_app.ui.service_menu import menu_for
from branch_app.ui.widgets.card_status import CardStatus
from tests.ui.conftest import wait_until

from .conftest import ADULT
from .screens import SIZE, counter_app


def ready(app, screen_type: type) -> bool:
    """The service's screen is in front and mounted (its `on_mount` focused the number)."""
    screen = app.screen
    if not isinstance(screen, screen_type):
        return False
    holders = screen.query("#counter-holder")
    return bool(holders) and holders.first().has_focus


COUNTER_SERVICE_IDS = (
    "apply_first",
    "apply_replacement",
    "apply_exchange",
    "report_loss",
    "unlock",
    "query",
    "cancellation",
)


def test_the_menu_offers_the_counter_services_to_a_teller() -> None:
    entries = {e.service.id: e for e in menu_for("teller", Place.BRANCH)}
    for service_id in COUNTER_SERVICE_IDS:
        assert entries[service_id].blocked_by is None, service_id
    instant = {e.service.id: e for e in menu_for("teller", Place.INSTANT_BRANCH)}
    assert instant["apply_instant"].blocked_by is None


def test_home_visit_staff_do_not_see_counter_only_services() -> None:
    entries = {e.service.id: e for e in menu_for("home_visit", Place.HOME_VISIT)}
    assert "unlock" not in entries and "cancellation" not in entries
    assert entries["report_loss"].blocked_by is None


async def test_choosing_a_service_in_the_menu_opens_its_screen(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        menu = app.screen.query_one("#services", OptionList)
        menu.highlighted = menu.get_option_index("report_loss")
        menu.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: ready(app, LossReportScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await app.run_action("open_service('apply_replacement')")
        await wait_until(pilot, lambda: ready(app, ApplicationScreen))
        assert app.screen.kind().value == "replacement"


async def test_a_card_read_while_a_service_is_open_fills_its_holder(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await app.run_action("open_service('query')")
        await wait_until(pilot, lambda: ready(app, CardQueryScreen))
        reading = SimpleNamespace(social_security_number=ADULT, holder_needs_psam=False)
        # As the card widget on the home screen posts it: it bubbles to the app.
        app.post_message(CardStatus.CardRead("Reader 0", reading))  # type: ignore[arg-type]
        holder = app.screen.query_one("#counter-holder", Input)
        await wait_until(pilot, lambda: holder.value == ADULT and holder.password)


async def test_home_visit_laptop_takes_a_loss_report_offline(store: LocalStore) -> None:
    app = counter_app(store, role=Role.HOME_VISIT, device=DeviceKind.HOME_VISIT)
    async with app.run_test(size=SIZE) as pilot:
        await app.run_action("open_service('report_loss')")
        await wait_until(pilot, lambda: ready(app, LossReportScreen))
        screen = app.screen
        holder = screen.query_one("#counter-holder", Input)
        holder.focus()
        await pilot.press(*ADULT)
        await pilot.press("f10")
        await wait_until(
            pilot, lambda: screen.outcome is not None or isinstance(app.screen, ConfirmDialog)
        )
        # A person unknown to this laptop has no card on record: refused, nothing queued.
        assert screen.outcome is not None and not screen.outcome.accepted
        assert len(store.outbox) == 0
