"""Pilot tests of the counter screens: type or read the holder, choose, confirm, see the answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

from textual.widgets import Button, Checkbox, Input, Select

from branch_app.domain import (
    ApplicationKind,
    ApplicationStatus,
    CardRecord,
    CardState,
    FunctionStatus,
    IssuanceSpeed,
    PendingApplication,
    Role,
)
from branch_app.domain.identity import resident_check_character
from branch_app.store import LocalStore
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.screens.application import ApplicationScreen
from branch_app.ui.screens.cancellation import CancellationScreen
from branch_app.ui.screens.card_query import CardQueryScreen
from branch_app.ui.screens.counter_base import CounterScreen
from branch_app.ui.screens.loss_report import LossReportScreen
from branch_app.ui.screens.unlock import UnlockScreen
from branch_app.ui.widgets.card_status import CardStatus
from tests.ui.conftest import wait_until

from .conftest import ADULT, CHILD, PHOTO
from .screens import SIZE, counter_app, shown


def active_record(bank: str = "icbc") -> CardRecord:
    return CardRecord(
        holder_id=ADULT,
        version=2,
        card_number="X00000019",
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank=bank,
        generation=3,
        collected_on=dt.date(2024, 9, 1),
    )


async def open_screen(pilot, screen: CounterScreen) -> CounterScreen:
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: pilot.app.screen is screen)
    return screen


async def type_into(pilot, selector: str, text: str) -> None:
    """Type `text` into the screen's input as the teller would, and wait until it is there."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.press(*text)
    await wait_until(pilot, lambda: field.value == text)


async def type_holder(pilot, number: str = ADULT) -> None:
    await type_into(pilot, "#counter-holder", number)


async def test_loss_report_is_confirmed_then_accepted(store: LocalStore) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, LossReportScreen())
        await type_holder(pilot)
        assert "440106********" in shown(app, "#counter-holder-reason")
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        lines = str(app.screen.query_one("#confirm-lines").content)
        assert "440106********" + ADULT[-4:] in lines and ADULT not in lines
        assert "Loss report at a branch of the card's bank" in lines
        assert len(store.outbox) == 0  # nothing before the confirmation
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.outcome is not None)
        result = shown(app, "#counter-result")
        assert "Accepted (queued, will be sent when online)" in result
        items = store.outbox.items()
        assert len(items) == 1 and items[0].kind == "report_loss"
        assert screen.outcome.reference in result


async def test_going_back_from_the_confirmation_writes_nothing(store: LocalStore) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, LossReportScreen())
        await type_holder(pilot)
        await pilot.press("enter")  # Enter in the number submits too
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen and not screen.busy)
        assert "nothing was recorded" in shown(app, "#counter-result")
        assert len(store.outbox) == 0 and store.audit.head == 0


async def test_unlock_after_replacement_is_refused_with_what_to_do(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, UnlockScreen())
        await type_holder(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None)
        result = shown(app, "#counter-result")
        assert result.startswith("Not accepted:")
        assert "What to do next:" in result
        assert len(store.outbox) == 0


async def test_home_visit_staff_see_why_they_cannot_unlock(store: LocalStore) -> None:
    app = counter_app(store, role=Role.HOME_VISIT)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, UnlockScreen())
        gate = str(screen.query_one("#counter-gate").content)
        assert "home-visit staff cannot do this here" in gate
        assert screen.query_one("#counter-submit", Button).disabled
        await type_holder(pilot)
        await pilot.press("f10")
        assert len(store.outbox) == 0 and screen.outcome is None


async def confirm_and_wait(pilot, screen: CounterScreen) -> str:
    await pilot.press("f10")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
    lines = str(pilot.app.screen.query_one("#confirm-lines").content)
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
    return lines


async def give_photo(pilot, receipt: str = PHOTO) -> None:
    await type_into(pilot, "#apply-photo", receipt)


#: A parent's own resident ID card (born 1980-01-01), shown when they act for the holder.
PARENT = "44010619800101123" + resident_check_character("44010619800101123")


async def give_representative(
    pilot, prefix: str, number: str = PARENT, name: str = "Li Wei"
) -> None:
    """The guardian's or agent's own document (a resident ID card, the default kind)."""
    await wait_until(pilot, lambda: pilot.app.screen.query_one(f"#{prefix}-rep-number").display)
    await type_into(pilot, f"#{prefix}-rep-number", number)
    await type_into(pilot, f"#{prefix}-rep-name", name)


async def test_an_application_without_a_photo_says_what_to_do(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, ApplicationScreen())
        await type_holder(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        result = shown(app, "#counter-result")
        assert "photo receipt number" in result and "What to do next:" in result
        assert len(store.outbox) == 0
        police = screen.query_one("#apply-police-photo", Checkbox)
        police.value = True  # no receipt: the police ID photo, and the receipt field goes away
        await wait_until(pilot, lambda: not screen.query_one("#apply-photo", Input).display)
        lines = await confirm_and_wait(pilot, screen)
        assert "the ID card photo from the police" in lines
        assert store.outbox.items()[0].payload["police_photo"] is True


async def test_first_application_shows_fee_and_due_date(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, ApplicationScreen())
        await type_holder(pilot)
        await give_photo(pilot, PHOTO.lower())
        lines = await confirm_and_wait(pilot, screen)
        assert f"receipt {PHOTO}" in lines
        assert "First application, Normal (12 working days)" in lines
        assert "0 yuan. First application: free." in lines
        assert "by 2025-04-01" in lines
        result = shown(app, "#counter-result")
        assert "Accepted (queued" in result and "by 2025-04-01" in result
        item = store.outbox.items()[0]
        assert item.payload["application"] == "first" and item.payload["speed"] == "normal"


async def test_replacement_after_a_loss_report_on_two_screens(store: LocalStore) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        loss = await open_screen(pilot, LossReportScreen())
        await type_holder(pilot)
        await confirm_and_wait(pilot, loss)
        app.pop_screen()
        screen = await open_screen(pilot, ApplicationScreen(ApplicationKind.REPLACEMENT))
        await type_holder(pilot)
        await give_photo(pilot)
        lines = await confirm_and_wait(pilot, screen)
        assert "20 yuan. Replacement: card fee." in lines
        assert [i.kind for i in store.outbox.items()] == ["report_loss", "apply"]


async def test_a_child_alone_is_refused_and_the_guardian_is_asked_for(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, ApplicationScreen())
        await type_holder(pilot, CHILD)
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        result = shown(app, "#counter-result")
        assert "legal guardian" in result and "What to do next:" in result
        screen.query_one("#apply-presenter", Select).value = "guardian"
        await wait_until(pilot, lambda: screen.query_one("#apply-proof", Checkbox).display)
        screen.query_one("#apply-proof", Checkbox).value = True
        await give_photo(pilot)
        screen.outcome = None
        await pilot.press("f10")  # the guardian's own document is asked for
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert "their own identity document" in shown(app, "#counter-result")
        assert len(store.outbox) == 0
        await give_representative(pilot, "apply")
        lines = await confirm_and_wait(pilot, screen)
        assert "The legal guardian" in lines and "440106********" + PARENT[-4:] in lines
        assert PARENT not in lines
        [item] = store.outbox.items()
        assert item.payload["applicant"]["representative"]["number"] == PARENT


async def test_instant_issuance_outside_an_instant_branch_says_why(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, ApplicationScreen(speed=IssuanceSpeed.INSTANT))
        # Issue 12, bug 11: offered disabled with the reason, not refused at the form's top.
        note = screen.query_one("#apply-speed-note")
        await wait_until(pilot, lambda: "instant-issuance branch" in str(note.content))
        assert screen.query_one("#apply-speed-instant").disabled
        assert not screen.query_one("#counter-submit", Button).disabled


async def test_instant_issuance_at_an_instant_branch_is_ready_in_minutes(
    store: LocalStore,
) -> None:
    app = counter_app(store, instant=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, ApplicationScreen(speed=IssuanceSpeed.INSTANT))
        await type_holder(pilot)
        await give_photo(pilot)
        lines = await confirm_and_wait(pilot, screen)
        assert "in 5-10 minutes (instant issuance)" in lines
        assert store.outbox.items()[0].payload["speed"] == "instant"


async def test_cancellation_needs_a_supervisor_id(store: LocalStore) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, CancellationScreen())
        await type_holder(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        # A death rests on its evidence, never on a word (issue 11, finding 7).
        assert "needs the police record or death certificate number" in shown(
            app, "#counter-result"
        )
        await type_into(pilot, "#cancel-evidence", "GA-2025-0314")
        screen.outcome = None
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert "needs a supervisor's approval" in shown(app, "#counter-result")
        assert len(store.outbox) == 0
        await type_into(pilot, "#cancel-approver", "S009")
        screen.outcome = None
        lines = await confirm_and_wait(pilot, screen)
        assert "Approved by  S009" in lines and "Cancellation: Death of the holder" in lines
        assert "Police record or death certificate  GA-2025-0314" in lines
        assert "cancels the card by 2025-03-17" in lines
        assert "closed in person at the card's bank" in lines
        assert store.outbox.items()[0].kind == "cancel"
        assert store.outbox.items()[0].payload["evidence"] == "GA-2025-0314"
        assert store.audit.entries()[-1].detail["approved_by"] == "S009"


async def test_query_needs_a_purpose_then_shows_the_record(store: LocalStore) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, CardQueryScreen())
        await type_holder(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert "a query needs a purpose" in shown(app, "#counter-result")
        assert store.audit.head == 0
        screen.query_one("#query-purpose", Select).value = "holder_enquiry"
        screen.outcome = None
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        record = shown(app, "#query-record")
        assert "in use" in record and "X00000019" in record and ADULT not in record
        result = shown(app, "#counter-result")
        assert "From this device's copy of" in result
        assert "Central not used: no central is configured on this device" in result
        assert store.audit.entries()[-1].action == "counter.query"


async def test_the_card_in_the_reader_fills_the_holder_masked(store: LocalStore) -> None:
    store.card_cache.put(active_record())
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, LossReportScreen())
        reading = SimpleNamespace(social_security_number=ADULT, holder_needs_psam=False)
        screen.post_message(CardStatus.CardRead("Reader 0", reading))  # type: ignore[arg-type]
        holder = screen.query_one("#counter-holder", Input)
        await wait_until(pilot, lambda: holder.value == ADULT)
        await pilot.pause()  # every change the card's number posted is handled
        assert holder.password  # shown as dots
        assert "From the card in the reader: 440106********" in shown(app, "#counter-holder-reason")
        picture = app.export_screenshot()
        assert "440106********" in picture  # the masked number is on screen ...
        assert ADULT not in picture  # ... and never the whole one
        lines = await confirm_and_wait(pilot, screen)
        assert ADULT not in lines
        assert len(store.outbox) == 1


async def test_loss_report_in_chinese(store: LocalStore) -> None:
    store.card_cache.put(active_record(bank="boc"))
    app = counter_app(store, language="zh")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, LossReportScreen())
        assert "挂失" in str(screen.query_one("#counter-intro").content)
        await type_holder(pilot)
        lines = await confirm_and_wait(pilot, screen)
        assert "在其他合作银行网点挂失" in lines and "此项业务不收费" in lines
        result = shown(app, "#counter-result")
        assert result.startswith("已受理（已保存在本机，联网后发送）")
        await pilot.press("f5")
        await wait_until(pilot, lambda: "Accepted" in shown(app, "#counter-result"))


# Collection and the instant card's issue moved to their own service (issue 12): their tests are
# in tests/ui/test_customer_session.py.


def ready_to_collect(
    record: CardRecord,
    kind: ApplicationKind = ApplicationKind.FIRST,
    new_bank: str | None = None,
) -> CardRecord:
    """`record` with a new card issued on its application, waiting to be collected."""
    return replace(
        record,
        application=PendingApplication(
            kind=kind,
            speed=IssuanceSpeed.NORMAL,
            accepted_on=dt.date(2025, 2, 10),
            status=ApplicationStatus.READY,
            new_card_number="Y00000018",
            bank=new_bank,
        ),
    )


async def test_a_guardian_applies_for_an_adult_without_legal_capacity(store: LocalStore) -> None:
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, ApplicationScreen())
        await type_holder(pilot)
        screen.query_one("#apply-presenter", Select).value = "guardian"
        incapacity = screen.query_one("#apply-incapacity", Checkbox)
        await wait_until(pilot, lambda: incapacity.display)
        screen.query_one("#apply-proof", Checkbox).value = True
        screen.query_one("#apply-police-photo", Checkbox).value = True
        await give_representative(pilot, "apply")
        await pilot.press("f10")
        # An adult with legal capacity attends in person: the guardian is turned away ...
        await wait_until(pilot, lambda: "in person" in shown(app, "#counter-result"))
        assert len(store.outbox) == 0
        incapacity.value = True  # ... unless the holder lacks legal capacity
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        [item] = store.outbox.items()
        assert item.kind == "apply" and item.holder_id == ADULT


async def test_keyboard_only_loss_report_at_another_bank_freezes_both(store: LocalStore) -> None:
    store.card_cache.put(active_record(bank="boc"))  # another bank's card
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, LossReportScreen())
        await pilot.press(*ADULT)
        await pilot.press("tab")  # no "which bank" choice: straight to Submit
        submit = screen.query_one("#counter-submit", Button)
        await wait_until(pilot, lambda: submit.has_focus)
        lines = await confirm_and_wait(pilot, screen)
        assert "Loss report at another cooperating bank" in lines
        assert "Card functions after this  social security frozen, bank account frozen" in lines
        result = shown(app, "#counter-result")
        assert "social security frozen, bank account frozen" in result
        assert store.outbox.items()[0].payload == {
            "kind": "report_loss",
            "channel": "other_bank_branch",  # where it was made, recorded
        }
        await pilot.press("f4")
        await wait_until(pilot, lambda: screen.query_one("#counter-holder", Input).value == "")
        assert shown(app, "#counter-result") == ""
