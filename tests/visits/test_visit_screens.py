"""The home-visit screens through Pilot, in both languages: today's list (start a visit, take the
person's request on the counter's screen worded for a home, record who was present, end it with
the receipt saved, nobody at home) and the planning screen (offline: one sentence; online: a
visit added). The planning's central is a stand-in here (the loopback test asks the real one)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from branch_app.domain.vocabulary import LookupPurpose
from branch_app.i18n import t
from branch_app.services.counter import Accepted
from branch_app.services.visits import Visits
from branch_app.store import LocalStore
from branch_app.store.visits import CentralKnew, VisitNeed, VisitStatus
from branch_app.ui.screens.data_change import DataChangeScreen
from branch_app.ui.screens.visit_plan import VisitPlanScreen
from branch_app.ui.screens.visits import VisitsScreen
from branch_app.ui.service_menu import menu_for
from branch_app.ui.status import ConnectionStatusChanged, SlotState
from tests.ui.conftest import wait_until

from .conftest import ADDRESSES, CARED, ELDER, NAMES, NEWCOMER, card_in_use
from .screens import SIZE, home_visit_app, planned

MOBILE = "13800138000"


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_text(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static"))


def test_home_visit_staff_and_supervisors_see_the_visits_and_tellers_do_not() -> None:
    from branch_app.domain.vocabulary import Place, Role

    def ids(role: Role, place: Place) -> dict[str, str | None]:
        return {e.service.id: e.blocked_by for e in menu_for(role, place)}

    home = ids(Role.HOME_VISIT, Place.HOME_VISIT)
    assert home["visits"] is None and home["visit_plan"] is None
    assert ids(Role.SUPERVISOR, Place.BRANCH)["visit_plan"] is None
    assert "visits" not in ids(Role.TELLER, Place.BRANCH)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_visit_from_start_to_end_with_its_receipt_saved(
    store: LocalStore, language: str
) -> None:
    visit = planned(store, CARED, VisitNeed.DATA_CHANGE)
    other = planned(store, ELDER, VisitNeed.APPLICATION)
    app = home_visit_app(store, language=language)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_service("visits")
        await wait_until(
            pilot, lambda: isinstance(app.screen, VisitsScreen) and len(app.screen.visits) == 2
        )
        screen = app.screen
        table_text = " ".join(
            str(cell)
            for row in range(2)
            for cell in screen.query_one("#visits-table").get_row_at(row)
        )
        assert CARED not in table_text and NAMES[CARED] not in table_text
        assert CARED[:6] in table_text and ADDRESSES[CARED] in table_text
        assert NAMES[CARED][0] + "**" in table_text
        assert t("visits.status.to_do", language) in table_text

        await pilot.press("enter")  # start the first visit: its need's service opens
        await wait_until(pilot, lambda: isinstance(app.screen, DataChangeScreen))
        counter_screen = app.screen
        await wait_until(pilot, lambda: bool(counter_screen.query("#change-mobile")))
        intro = text_of(app, "#counter-intro")
        assert intro == t("counter.intro.data_change@home_visit", language)
        assert ("holder's home" if language == "en" else "家中") in intro
        current = app.customer_keeper.current
        assert current is not None and current.holder.number == CARED
        mobile = counter_screen.query_one("#change-mobile", Input)
        mobile.focus()
        await pilot.press(*MOBILE)
        await wait_until(pilot, lambda: mobile.value == MOBILE)
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen is not counter_screen)  # confirm dialog
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(counter_screen.outcome, Accepted))
        taken = counter_screen.outcome

        app.action_open_service("visits")  # back to the list: the visit is in progress
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(
            pilot,
            lambda: bool(screen.visits) and len(screen.visits[0].requests) == 1,
        )
        assert screen.visits[0].status is VisitStatus.IN_PROGRESS
        kind = screen.query_one("#visits-present-kind", Input)
        kind.focus()
        await pilot.press(*"daughter")
        await pilot.press("enter")
        name = screen.query_one("#visits-present-name", Input)
        await wait_until(pilot, lambda: name.has_focus)
        name.value = "李小红"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.visits[0].present) == 1)
        assert "李小红" not in text_of(app, "#visits-present")  # masked on screen

        screen.query_one("#visits-table").focus()
        await pilot.press("f9")  # end: the receipt saved
        await wait_until(pilot, lambda: screen.visits[0].status is VisitStatus.DONE, 30)
        assert app.customer_keeper.current is None  # the next visit starts with nobody's forms
        await pilot.press("down", "f6")  # the second: nobody at home
        await wait_until(pilot, lambda: screen.visits[1].status is VisitStatus.NOT_AT_HOME)
        count = text_of(app, "#visits-count")
        assert count == t("visits.count", language, finished=2, planned=2)

    done = store.visits.get(visit.ref)
    assert done is not None and done.status is VisitStatus.DONE
    assert [r.outbox_id for r in done.requests] == [taken.outbox_id]
    assert len(done.receipts) == 1 and not done.receipts[0].printed
    assert done.receipts[0].where.endswith(".pdf")
    assert (store.data_dir / "receipts").is_dir()
    assert [p.kind for p in done.present] == ["daughter"]
    assert store.visits.get(other.ref).status is VisitStatus.NOT_AT_HOME
    assert store.visits.progress(done.day) == (2, 2)
    assert any(e.action == "receipt.saved" for e in store.audit.entries())


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_planning_says_offline_in_one_sentence_and_adds_nothing(
    store: LocalStore, language: str
) -> None:
    app = home_visit_app(store, language=language)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_service("visit_plan")
        await wait_until(pilot, lambda: isinstance(app.screen, VisitPlanScreen))
        await pilot.pause()
        gate = str(app.screen.query_one("#plan-gate").render())
        assert gate == t("visits.plan.needs_central", language)
        assert app.screen.query_one("#plan-add").disabled
        await pilot.press("f10")
    assert len(store.visits) == 0


class StandIn:
    """The central's answer to the planning's lookups (the loopback test asks the real one)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, LookupPurpose]] = []

    def __call__(self, holder_id, purpose, note, holder_kind=None):
        self.asked.append((holder_id, purpose))
        return card_in_use(holder_id) if holder_id != NEWCOMER else None


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_planning_online_adds_a_visit_with_the_record_fetched(
    store: LocalStore, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from branch_app.ui.screens import visit_plan
    from branch_app.ui.wiring import desk_for

    central = StandIn()

    def with_central(app):
        return Visits(store, desk_for(app), clock=app.now, central_lookup=central)

    monkeypatch.setattr(visit_plan, "visits_for", with_central)
    app = home_visit_app(store, language=language)
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(ConnectionStatusChanged(SlotState.OK, "sync.status.online"))
        app.action_open_service("visit_plan")
        await wait_until(pilot, lambda: isinstance(app.screen, VisitPlanScreen))
        screen = app.screen
        await wait_until(
            pilot,
            lambda: bool(screen.query("#plan-add")) and not screen.query_one("#plan-add").disabled,
        )
        for selector, value in (
            ("#plan-holder", NEWCOMER),
            ("#plan-name", NAMES[NEWCOMER]),
            ("#plan-address", ADDRESSES[NEWCOMER]),
            ("#plan-why", "卧床"),
        ):
            screen.query_one(selector, Input).value = value
        await pilot.press("f10")
        await wait_until(pilot, lambda: len(screen.visits) == 1)
        message = text_of(app, "#plan-message")
        assert t("visits.central.no_record", language) in message
        assert NEWCOMER not in message
        assert screen.query_one("#plan-holder", Input).value == ""
    assert central.asked == [(NEWCOMER, LookupPurpose.HOME_VISIT)]
    (visit,) = store.visits.all()
    assert visit.holder_id == NEWCOMER and visit.central is CentralKnew.NO_RECORD
