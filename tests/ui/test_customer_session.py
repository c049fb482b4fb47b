"""Issue 12: one customer at a time, log out and switch user, bug 9 (the idle lock), the holder's
name, and the new card in the reader at collection and instant issuance."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest
from textual.widgets import Checkbox, Input, Select

from branch_app.domain import (
    ApplicationKind,
    ApplicationStatus,
    CardRecord,
    IssuanceSpeed,
    PendingApplication,
)
from branch_app.domain.identity import parse_identity
from branch_app.services.customer import (
    CustomerDesk,
    HolderSource,
    NewCard,
    NewCardProblem,
    check_new_card,
    mask_name,
)
from branch_app.services.session import StaffSessions
from branch_app.store import LocalStore
from branch_app.ui.controllers.session_keeper import SessionKeeper
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.dialogs.login import LoginScreen
from branch_app.ui.screens.application import ApplicationScreen
from branch_app.ui.screens.counter_base import CounterScreen
from branch_app.ui.screens.home import HomeScreen
from branch_app.ui.widgets.card_status import CardStatus
from sync.auth import StaffSession
from tests.counter.conftest import ADULT, CHILD, NOW, store  # noqa: F401 - the fixture
from tests.counter.screens import SIZE, counter_app, shown
from tests.counter.test_counter_screens import (
    active_record,
    confirm_and_wait,
    give_photo,
    give_representative,
    ready_to_collect,
    type_holder,
    type_into,
)
from tests.ui.conftest import wait_until
from tests.ui.test_staff_sessions import SESSION, Clock, FakeSync

SUPERVISOR = StaffSession("S200", "Wang Fang", "supervisor", "GZ-TH-01", False, NOW, NOW, "tok")


def ready(record: CardRecord, kind: ApplicationKind = ApplicationKind.FIRST) -> CardRecord:
    return replace(
        record,
        application=PendingApplication(
            kind=kind,
            speed=IssuanceSpeed.NORMAL,
            accepted_on=dt.date(2025, 2, 10),
            status=ApplicationStatus.READY,
            new_card_number="Y00000018",
        ),
    )


def card(number: str | None, ssn: str = ADULT, name: str | None = None) -> SimpleNamespace:
    """A card reading as the reader service gives it (only the fields the screens use)."""
    return SimpleNamespace(
        card_number=number, social_security_number=ssn, name=name, holder_needs_psam=False
    )


async def put_card(pilot, reading: SimpleNamespace) -> None:
    pilot.app.post_message(CardStatus.CardRead("Reader 0", reading))  # type: ignore[arg-type]
    await pilot.pause()


async def open_mode(pilot, mode: str) -> CounterScreen:
    await pilot.app.run_action(f"open_service({mode!r})")
    await wait_until(
        pilot,
        lambda: pilot.app.current_mode == mode and bool(pilot.app.screen.query("#counter-holder")),
    )
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CounterScreen)
    return screen


# -- the services, without Textual ----------------------------------------------------------------


def test_a_customer_session_keeps_one_person_and_masks_the_name() -> None:
    desk = CustomerDesk(clock=lambda: NOW)
    holder = parse_identity(ADULT)
    session = desk.start(holder, source=HolderSource.TYPED)
    assert session.masked_name == "" and ADULT not in repr(session)
    desk.learn_name(ADULT, "张三丰")
    assert desk.current is not None and desk.current.masked_name == "张**"
    desk.served("counter.title.loss_report", "1-ABCDEF12")
    assert desk.start(holder, source=HolderSource.CARD).requests[0].reference == "1-ABCDEF12"
    desk.start(parse_identity(CHILD), source=HolderSource.CARD)  # the next person
    assert desk.ended == 1 and desk.current is not None and desk.current.requests == ()
    assert desk.end() is not None and desk.current is None
    assert mask_name("李") == "李*" and mask_name(" ") == ""


def test_revealing_the_name_is_audited_first(store: LocalStore) -> None:  # noqa: F811
    desk = CustomerDesk(clock=lambda: NOW)
    assert desk.reveal_name(store.audit, actor="T001", why="counter_service") is None
    desk.start(parse_identity(ADULT), source=HolderSource.CARD, name="张三丰")
    before = store.audit.head
    assert desk.reveal_name(store.audit, actor="T001", why="counter_service") == "张三丰"
    [entry] = store.audit.entries(limit=1)[-1:]
    assert store.audit.head == before + 1 and entry.action == "counter.name_revealed"
    assert entry.actor == "T001" and entry.reason == "counter_service"


def test_a_new_card_must_carry_the_holder_and_the_reported_number() -> None:
    holder = parse_identity(ADULT)
    read = NewCard("Y00000018", ADULT)
    assert check_new_card(read, holder, "Y00000018", issuing=False) is None
    assert check_new_card(NewCard(), holder, "Y00000018", issuing=False) is NewCardProblem.NOT_READ
    other = NewCard("Y00000018", CHILD)
    assert check_new_card(other, holder, "Y00000018", issuing=False) is NewCardProblem.OTHER_HOLDER
    wrong = NewCard("X00000019", ADULT)
    assert check_new_card(wrong, holder, "Y00000018", issuing=False) is (
        NewCardProblem.NUMBER_DIFFERS
    )
    assert check_new_card(wrong, holder, None, issuing=True) is None
    typed = NewCard("Y00000018", typed_reason=" ")
    assert check_new_card(typed, holder, "Y00000018", issuing=False) is (
        NewCardProblem.REASON_REQUIRED
    )
    assert (
        check_new_card(
            NewCard("Y00000018", typed_reason="chip damaged"), holder, "Y00000018", issuing=False
        )
        is None
    )


def test_a_supervisor_steps_in_and_hands_back_without_ending_the_session() -> None:
    sync = FakeSync()
    sessions = StaffSessions(sync)
    sessions.begin(SESSION)
    sessions.step_in(SUPERVISOR)
    assert sessions.on_duty is SUPERVISOR and sessions.held is SESSION
    assert sessions.step_back() is SESSION and sessions.on_duty is SESSION
    assert sessions.held is None and sessions.step_back() is None
    assert sync.signed == ["T100", None, "S200", None, "T100"]


# -- the customer session at the counter -----------------------------------------------------------


async def test_one_customer_through_several_services_then_end_clears_every_form(
    store: LocalStore,  # noqa: F811
) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        loss = await open_mode(pilot, "report_loss")
        await type_holder(pilot)
        await confirm_and_wait(pilot, loss)
        current = app.customer_keeper.current
        assert current is not None and current.holder.number == ADULT
        assert len(current.requests) == 1
        assert "440106********" in str(loss.query_one("#counter-customer").content)
        assert ADULT not in str(loss.query_one("#counter-customer").content)

        query = await open_mode(pilot, "query")  # the same person, prefilled and masked
        holder = query.query_one("#counter-holder", Input)
        assert holder.value == ADULT and holder.password
        assert "The customer being served" in shown(app, "#counter-holder-reason")

        await pilot.press("f12")
        await wait_until(pilot, lambda: app.current_mode == "home")
        assert app.customer_keeper.current is None
        again = await open_mode(pilot, "report_loss")
        assert again is not loss and again.outcome is None
        assert again.query_one("#counter-holder", Input).value == ""
        assert not str(again.query_one("#counter-customer").content)


async def test_another_card_in_the_reader_starts_the_next_customer_with_a_clean_form(
    store: LocalStore,  # noqa: F811
) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        query = await open_mode(pilot, "query")
        await put_card(pilot, card("X00000019", ADULT, "张三丰"))
        await wait_until(pilot, lambda: query.query_one("#counter-holder", Input).value == ADULT)
        await type_into(pilot, "#query-note", "asked by phone")
        await put_card(pilot, card("Y00000018", CHILD))
        await wait_until(pilot, lambda: query.query_one("#counter-holder", Input).value == CHILD)
        assert query.query_one("#query-note", Input).value == ""
        current = app.customer_keeper.current
        assert current is not None and current.holder.number == CHILD


async def test_the_name_is_masked_and_shown_for_a_moment_on_a_key_audited(
    store: LocalStore,  # noqa: F811
) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        query = await open_mode(pilot, "query")
        await put_card(pilot, card("X00000019", ADULT, "张三丰"))
        await wait_until(pilot, lambda: "张**" in str(query.query_one("#counter-customer").content))
        head = store.audit.head
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: store.audit.head == head + 1)
        assert any("张三丰" in str(n.message) for n in app._notifications)
        assert store.audit.entries(limit=1)[-1].action == "counter.name_revealed"
        await pilot.press("f12")
        await wait_until(pilot, lambda: not app._notifications)


async def test_bug_9_the_idle_lock_ends_the_customer_and_the_next_login_lands_home(
    store: LocalStore,  # noqa: F811
) -> None:
    """Before: the previous customer's number and result stayed behind the log-in dialog and
    the next person to log in landed on that screen."""
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        clock = Clock()
        keeper = SessionKeeper.__new__(SessionKeeper)
        keeper.app, keeper.monitor = app, None
        keeper.sessions = StaffSessions(
            FakeSync(), timeout=dt.timedelta(minutes=1), monotonic=clock
        )
        keeper.sessions.begin(SESSION)
        app.session_keeper = keeper
        loss = await open_mode(pilot, "report_loss")
        await type_holder(pilot)
        await confirm_and_wait(pilot, loss)
        clock.seconds += 120
        keeper.check_idle()
        await wait_until(pilot, lambda: bool(app.screen.query("#login-staff")))
        assert app.current_mode == "home" and app.customer_keeper.current is None
        assert [type(s) for s in app.screen_stack] == [HomeScreen, LoginScreen]
        assert "report_loss" not in app._screen_stacks
        await type_into(pilot, "#login-staff", "T100")
        await type_into(pilot, "#login-password", "pw")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert app.status.staff is not None and app.current_mode == "home"


async def test_log_out_and_a_supervisor_stepping_in(store: LocalStore) -> None:  # noqa: F811
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        sync = FakeSync()
        keeper = SessionKeeper.__new__(SessionKeeper)
        keeper.app, keeper.monitor = app, None
        keeper.sessions = StaffSessions(sync)
        keeper.sessions.begin(SESSION)
        app.session_keeper = keeper
        query = await open_mode(pilot, "query")
        await type_holder(pilot)
        await pilot.press("f10")  # a query without a purpose: refused, but the customer is known
        await wait_until(pilot, lambda: app.customer_keeper.current is not None)

        sync.login = lambda _id, _pw: SUPERVISOR  # type: ignore[method-assign]
        app.action_step_in()
        await wait_until(pilot, lambda: bool(app.screen.query("#login-staff")))
        await type_into(pilot, "#login-staff", "S200")
        await type_into(pilot, "#login-password", "pw")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: app.status.staff is not None and app.status.staff.staff_id == "S200"
        )
        assert app.screen is query and app.customer_keeper.current is not None  # nothing ended
        await pilot.press("ctrl+l")  # hand back
        await wait_until(pilot, lambda: app.status.staff.staff_id == "T100")
        assert app.customer_keeper.current is not None

        await pilot.press("ctrl+l")  # log out: everything ends
        await wait_until(pilot, lambda: bool(app.screen.query("#login-staff")))
        assert app.status.staff is None and app.customer_keeper.current is None
        assert app.current_mode == "home" and keeper.sessions.on_duty is None


# -- collection and instant issuance: the new card in the reader -------------------------------------


async def test_collection_binds_the_new_card_read_and_names_who_collects(
    store: LocalStore,  # noqa: F811
) -> None:
    store.card_cache.put(ready(CardRecord(holder_id=ADULT, version=7, bank="icbc")))
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        query = await open_mode(pilot, "query")
        await type_holder(pilot)
        query.query_one("#query-purpose", Select).value = "counter_service"
        await pilot.press("f10")
        await wait_until(pilot, lambda: "Y00000018" in shown(app, "#query-record"))
        await pilot.press("f7")  # to the Collection service, for the same customer
        screen = await open_mode(pilot, "collection")
        assert screen.query_one("#counter-holder", Input).value == ADULT
        await pilot.press("f10")
        await wait_until(
            pilot, lambda: "Put the new card in the reader" in shown(app, "#counter-result")
        )

        await put_card(pilot, card("X00000019"))  # not the card made for this application
        await pilot.press("f10")
        await wait_until(pilot, lambda: "reported Y00000018" in shown(app, "#counter-result"))
        await put_card(pilot, card("Y00000018", CHILD))  # not this holder's
        assert len(store.outbox) == 0

        await put_card(pilot, card("Y00000018"))
        assert "Read from the new card: Y00000018" in shown(app, "#collect-card")
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        lines = str(app.screen.query_one("#confirm-lines").content)
        assert "Y00000018, read from the chip" in lines and "The holder" in lines
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert screen.outcome.record_after.card_number == "Y00000018"
        [item] = store.outbox.items()
        assert item.kind == "confirm_collection"


async def test_a_chip_that_cannot_be_read_needs_the_typed_number_and_why(
    store: LocalStore,  # noqa: F811
) -> None:
    store.card_cache.put(ready(CardRecord(holder_id=ADULT, version=7, bank="icbc")))
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_mode(pilot, "collection")
        await type_holder(pilot)
        await type_into(pilot, "#collect-card-typed", "Y00000018")
        await pilot.press("f10")
        await wait_until(pilot, lambda: "why the chip" in shown(app, "#counter-result"))
        await type_into(pilot, "#collect-card-reason", "chip damaged")
        lines = await confirm_and_wait(pilot, screen)
        assert "typed from the card's face (chip damaged)" in lines
        actions = [entry.action for entry in store.audit.entries()]
        assert "counter.new_card_typed" in actions


async def test_an_instant_card_is_read_issued_then_collected(store: LocalStore) -> None:  # noqa: F811
    app = counter_app(store, instant=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(apply := ApplicationScreen(speed=IssuanceSpeed.INSTANT))
        await wait_until(pilot, lambda: app.screen is apply)
        await type_holder(pilot)
        await give_photo(pilot)
        await confirm_and_wait(pilot, apply)
        app.pop_screen()
        screen = await open_mode(pilot, "collection")
        assert screen.check_action("issue_instant", ()) is True
        await put_card(pilot, card("X00000019"))  # the card just printed
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "X00000019, read from the chip" in str(
            app.screen.query_one("#confirm-lines").content
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        screen.outcome = None
        lines = await confirm_and_wait(pilot, screen)  # the holder takes it there and then
        assert "X00000019" in lines and "Collected by" in lines
        assert screen.outcome.record_after.card_number == "X00000019"
    kinds = [item.kind for item in store.outbox.items()]
    assert kinds == ["apply", "confirm_issuance", "confirm_collection"]


async def test_a_branch_without_a_card_printer_offers_no_instant_issue(
    store: LocalStore,  # noqa: F811
) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_mode(pilot, "collection")
        assert screen.check_action("issue_instant", ()) is False


async def test_a_guardian_collects_a_childs_card_with_proof(store: LocalStore) -> None:  # noqa: F811
    """A child under 16 cannot collect in person: the guardian does, and only with proof."""
    store.card_cache.put(ready(CardRecord(holder_id=CHILD, version=3)))
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_mode(pilot, "collection")
        proof = screen.query_one("#collect-proof", Checkbox)
        assert not proof.display  # only when a guardian collects
        await type_holder(pilot, CHILD)
        await put_card(pilot, card("Y00000018", CHILD))
        await pilot.press("f10")
        await wait_until(pilot, lambda: "legal guardian" in shown(app, "#counter-result"))
        screen.query_one("#collect-collector", Select).value = "guardian"
        await wait_until(pilot, lambda: proof.display)
        proof.value = True
        await give_representative(pilot, "collect")
        lines = await confirm_and_wait(pilot, screen)
        assert "The legal guardian" in lines and "Y00000018" in lines
        [item] = store.outbox.items()
        assert item.kind == "confirm_collection" and item.holder_id == CHILD


async def test_collection_after_a_change_of_bank_names_the_old_accounts_closing_day(
    store: LocalStore,  # noqa: F811
) -> None:
    store.card_cache.put(
        ready_to_collect(active_record(bank="icbc"), ApplicationKind.EXCHANGE, new_bank="boc")
    )
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_mode(pilot, "collection")
        await type_holder(pilot)
        await put_card(pilot, card("Y00000018"))
        lines = await confirm_and_wait(pilot, screen)
        assert "the old account is closed by 2025-03-19" in lines
        assert "the old account is closed by 2025-03-19" in shown(app, "#counter-result")
        await pilot.press("f5")
        await wait_until(
            pilot, lambda: "原账户于 2025-03-19 前注销" in shown(app, "#counter-result")
        )


# -- snapshots: the Collection screen with the new card read, both languages, two sizes ------------


@pytest.mark.parametrize(
    ("language", "size"), [("zh", (80, 24)), ("en", (120, 36))], ids=["80x24-zh", "120x36-en"]
)
def test_snapshot_collection_confirm_with_the_new_card(
    snap_compare,
    store: LocalStore,  # noqa: F811
    language: str,
    size: tuple[int, int],
) -> None:
    store.card_cache.put(ready(CardRecord(holder_id=ADULT, version=7, bank="icbc")))

    async def collect(pilot) -> None:
        screen = await open_mode(pilot, "collection")
        await put_card(pilot, card("Y00000018", ADULT, "张三丰"))
        await wait_until(pilot, lambda: screen.query_one("#counter-holder", Input).value == ADULT)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
        await pilot.pause()

    app = counter_app(store, language=language)
    assert snap_compare(app, terminal_size=size, run_before=collect)
