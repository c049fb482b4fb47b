"""Issue 11's rules through the counter: the Counter service on a real store (as
test_counter_service.py does), then through the screens (Pilot).

Each test names, in a comment, what the rules of commit 890cbaf did instead: every one of them
failed there and passes now.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from textual.widgets import Select, Static

from branch_app.domain import (
    ApplicationKind,
    CancellationReason,
    CardRecord,
    CardState,
    ExchangeReason,
    FunctionStatus,
    RefusalReason,
    Role,
    command_from_dict,
    decide,
)
from branch_app.domain.lifecycle import Applied, Cancel, ReportLoss
from branch_app.domain.vocabulary import CounterRefusal, LossChannel
from branch_app.i18n import t
from branch_app.services.counter import Accepted, Counter, Refusal
from branch_app.store import LocalStore
from branch_app.ui.screens.cancellation import CancellationScreen
from branch_app.ui.screens.unlock import UnlockScreen
from branch_app.ui.widgets.card_status import CardStatus
from tests.ui.conftest import wait_until

from .conftest import ADULT, PHOTO, desk, make_counter
from .screens import SIZE, counter_app, shown
from .test_counter_screens import confirm_and_wait, open_screen, type_holder, type_into

#: The holder's card (its check character is right), and another well-formed card number.
CARD = "X00000019"
OTHER_CARD = "Y00000016"
#: A made-up police record number for a death.
DEATH_RECORD = "GA-2025-0314"


def card_in_use(*, bank: str = "icbc") -> CardRecord:
    return CardRecord(
        holder_id=ADULT,
        version=4,
        card_number=CARD,
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank=bank,
        generation=3,
        collected_on=dt.date(2024, 9, 1),
    )


def lost(channel: LossChannel, *, bank: str = "icbc") -> CardRecord:
    """The card in use after a loss report through `channel`, as the central sends it."""
    decision = decide(card_in_use(bank=bank), ReportLoss(channel=channel))
    assert isinstance(decision, Applied)
    return decision.record


def both(record: CardRecord) -> tuple[FunctionStatus, FunctionStatus]:
    return record.social_security, record.financial


def english(refusal: Refusal) -> str:
    """The refusal's reason in English (the catalog's language is the last app's)."""
    return t(refusal.message_key, "en", **refusal.params)


def supervisor(store: LocalStore) -> Counter:
    return make_counter(store, desk(role=Role.SUPERVISOR, staff_id="S009"))


# -- finding 2: unlock needs the found card, the record's current one -------------------------


def test_unlock_needs_the_found_card_and_only_the_current_one(
    store: LocalStore, counter: Counter, adult
) -> None:
    # 890cbaf: Counter.unlock took no card at all and unlocked on the holder's word.
    store.card_cache.put(lost(LossChannel.CARD_BANK_BRANCH))
    no_card = counter.unlock(adult)
    assert isinstance(no_card, Refusal) and no_card.code == RefusalReason.CARD_REQUIRED.value
    other = counter.unlock(adult, card_number=OTHER_CARD, card_read=True)
    assert isinstance(other, Refusal) and other.code == RefusalReason.CARD_NOT_CURRENT.value
    assert "not the person's current card" in english(other)
    assert len(store.outbox) == 0 and store.audit.head == 0
    typed = counter.unlock(adult, card_number=CARD.lower(), card_read=False, dry_run=True)
    assert not isinstance(typed, Refusal) and typed.command.card_read is False
    read = counter.unlock(adult, card_number=CARD, card_read=True)
    assert isinstance(read, Accepted), read
    [item] = store.outbox.items()
    assert item.payload["card_number"] == CARD and item.payload["card_read"] is True
    assert both(read.record_after) == (FunctionStatus.NORMAL, FunctionStatus.NORMAL)


# -- finding 3: any loss report freezes both; unlock restores both anywhere ---------------------


def test_a_loss_report_at_another_bank_freezes_both(store: LocalStore, counter: Counter, adult):
    # 890cbaf: a report at another cooperating bank froze the social security function only.
    store.card_cache.put(card_in_use(bank="boc"))  # this desk is an icbc branch
    outcome = counter.report_loss(adult)
    assert isinstance(outcome, Accepted)
    assert outcome.command.channel is LossChannel.OTHER_BANK_BRANCH
    assert both(outcome.record_after) == (FunctionStatus.FROZEN, FunctionStatus.FROZEN)


def test_a_hotline_or_online_loss_is_unlocked_with_both_restored_at_any_bank(
    store: LocalStore, counter: Counter, adult
) -> None:
    # 890cbaf: a bank hotline or online report left the bank account in use, and an unlock at
    # another bank than the card's left a frozen bank account frozen.
    for channel in (LossChannel.BANK_HOTLINE, LossChannel.ONLINE):
        record = lost(channel, bank="boc")
        assert both(record) == (FunctionStatus.FROZEN, FunctionStatus.FROZEN)
        store.card_cache.put(record)
        unlocked = counter.unlock(adult, card_number=CARD, card_read=True, dry_run=True)
        assert not isinstance(unlocked, Refusal), unlocked
        assert unlocked.command.at_card_bank is False  # an icbc desk, a boc card
        assert unlocked.record_after.card_state is CardState.ACTIVE
        assert both(unlocked.record_after) == (FunctionStatus.NORMAL, FunctionStatus.NORMAL)


# -- finding 4: death is final, other cancellations allow a new first card ---------------------


def test_after_a_death_nothing_more_is_taken(store: LocalStore, adult) -> None:
    # 890cbaf: a new application after any cancellation was refused as "card cancelled",
    # saying nothing of the death.
    store.card_cache.put(card_in_use())
    boss = supervisor(store)
    assert isinstance(boss.cancel(adult, CancellationReason.DEATH, evidence=DEATH_RECORD), Accepted)
    again = boss.apply(adult, ApplicationKind.FIRST, photo_receipt=PHOTO)
    assert isinstance(again, Refusal) and again.code == RefusalReason.HOLDER_DECEASED.value
    assert "holder's death" in english(again)
    assert len(store.outbox) == 1


def test_after_emigration_a_new_first_application_is_taken(store: LocalStore, adult) -> None:
    # 890cbaf: refused for good ("card cancelled") whatever the ground of the cancellation.
    store.card_cache.put(card_in_use())
    boss = supervisor(store)
    assert isinstance(boss.cancel(adult, CancellationReason.EMIGRATION), Accepted)
    again = boss.apply(adult, ApplicationKind.FIRST, photo_receipt=PHOTO)
    assert isinstance(again, Accepted), again
    assert again.record_before.card_state is CardState.CANCELLED
    assert again.record_after.application is not None
    assert again.record_after.card_number is None  # a new card, a new card number
    assert [item.kind for item in store.outbox.items()] == ["cancel", "apply"]


def test_cancelling_a_person_without_a_card_is_refused(store: LocalStore, adult) -> None:
    # 890cbaf: accepted, which blocked a person who never had a card for good.
    outcome = supervisor(store).cancel(adult, CancellationReason.EMIGRATION)
    assert isinstance(outcome, Refusal) and outcome.code == RefusalReason.NOTHING_TO_CANCEL.value
    assert len(store.outbox) == 0 and store.audit.head == 0


# -- finding 5: a differing second exchange is refused, never merged ---------------------------


def test_a_second_exchange_for_another_reason_or_bank_is_refused(
    store: LocalStore, counter: Counter, adult
) -> None:
    # 890cbaf: both came back Merged ("accepted") and the new bank was dropped.
    store.card_cache.put(card_in_use())
    first = counter.apply(
        adult, ApplicationKind.EXCHANGE, exchange_reason=ExchangeReason.DAMAGE, police_photo=True
    )
    assert isinstance(first, Accepted), first
    for reason, bank in ((ExchangeReason.CHANGE_OF_BANK, "boc"), (ExchangeReason.DAMAGE, "boc")):
        second = counter.apply(
            adult, ApplicationKind.EXCHANGE, exchange_reason=reason, bank=bank, police_photo=True
        )
        assert isinstance(second, Refusal), second
        assert second.code == RefusalReason.APPLICATION_PENDING.value
        assert "in progress" in english(second)
    same = counter.apply(
        adult, ApplicationKind.EXCHANGE, exchange_reason=ExchangeReason.DAMAGE, police_photo=True
    )
    assert isinstance(same, Accepted) and same.merged  # the very same request merges
    assert same.record_after == same.record_before
    assert same.record_after.application is not None
    assert same.record_after.application.bank == "icbc"


# -- finding 7: a death cancellation rests on its evidence -------------------------------------


def test_a_death_cancellation_needs_the_evidence(store: LocalStore, counter: Counter, adult):
    # 890cbaf: Cancel had no evidence; a death was cancelled on a relative's word.
    store.card_cache.put(card_in_use())
    word = counter.cancel(adult, CancellationReason.DEATH, approved_by="S009")
    assert isinstance(word, Refusal) and word.code == RefusalReason.DEATH_EVIDENCE_REQUIRED.value
    odd = counter.cancel(adult, CancellationReason.DEATH, evidence="x", approved_by="S009")
    assert isinstance(odd, Refusal) and odd.code == RefusalReason.EVIDENCE_MALFORMED.value
    assert len(store.outbox) == 0 and store.audit.head == 0
    done = counter.cancel(
        adult, CancellationReason.DEATH, evidence=DEATH_RECORD, approved_by="S009"
    )
    assert isinstance(done, Accepted), done
    [item] = store.outbox.items()
    assert command_from_dict(item.payload) == Cancel(
        CancellationReason.DEATH, evidence=DEATH_RECORD, approved_by="S009"
    )
    assert store.audit.entries()[-1].detail["command"]["evidence"] == DEATH_RECORD


# -- finding 8: an unknown query purpose is a refusal -----------------------------------------


def test_a_query_with_an_unknown_purpose_is_refused(store: LocalStore, counter: Counter, adult):
    # 890cbaf: QueryPurpose("curiosity") raised ValueError out of Counter.query.
    store.card_cache.put(card_in_use())
    outcome = counter.query(adult, "curiosity")
    assert isinstance(outcome, Refusal)
    assert outcome.code == CounterRefusal.PURPOSE_UNKNOWN.value
    assert t(outcome.message_key) != outcome.message_key
    assert store.audit.head == 0  # nothing looked at, nothing journaled


# -- through the screens --------------------------------------------------------------------


async def test_unlock_with_the_card_in_the_reader(store: LocalStore) -> None:
    # 890cbaf: the unlock screen asked only "which bank" and unlocked without the card.
    store.card_cache.put(lost(LossChannel.ONLINE, bank="boc"))
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, UnlockScreen())
        reading = SimpleNamespace(
            social_security_number=ADULT, holder_needs_psam=False, card_number=CARD
        )
        screen.post_message(CardStatus.CardRead("Reader 0", reading))  # type: ignore[arg-type]
        await wait_until(pilot, lambda: screen.read_card == CARD)
        assert "Read from the card in the reader: " + CARD in shown(app, "#unlock-card-reason")
        lines = await confirm_and_wait(pilot, screen)
        assert f"Found card  {CARD}, read from the chip" in lines
        assert "social security normal, bank account normal" in lines  # both, at another bank
        assert "Accepted" in shown(app, "#counter-result")
        [item] = store.outbox.items()
        assert item.payload["card_number"] == CARD and item.payload["card_read"] is True


async def test_unlock_typed_from_the_face_is_checked_as_typed(store: LocalStore) -> None:
    # 890cbaf: no card number was asked for, so another card (or none) unlocked the record.
    store.card_cache.put(lost(LossChannel.CARD_BANK_BRANCH))
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, UnlockScreen())
        await type_holder(pilot)
        await pilot.press("f10")  # no card shown
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        result = shown(app, "#counter-result")
        assert "Unlocking needs the found card" in result and len(store.outbox) == 0
        await type_into(pilot, "#unlock-card", "X00000010")  # a wrong check character
        assert "Check character should be 9, got 0" in shown(app, "#unlock-card-reason")
        screen.outcome = None
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert "not the person's current card" in shown(app, "#counter-result")
        screen.query_one("#unlock-card").value = ""  # type: ignore[attr-defined]
        await type_into(pilot, "#unlock-card", CARD)
        assert "check character correct" in shown(app, "#unlock-card-reason")
        screen.outcome = None
        lines = await confirm_and_wait(pilot, screen)
        assert f"{CARD}, typed from the card's face" in lines
        [item] = store.outbox.items()
        assert item.payload["card_number"] == CARD and item.payload["card_read"] is False


async def test_a_death_cancellation_on_screen_needs_the_evidence_and_f5_rewords_it(
    store: LocalStore,
) -> None:
    # 890cbaf: no evidence field, and F5 left the chosen reason in the other language.
    store.card_cache.put(card_in_use())
    app = counter_app(store, role=Role.SUPERVISOR)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, CancellationScreen())
        reason = screen.query_one("#cancel-reason", Select)
        label = reason.query_one("#label", Static)  # the chosen reason as shown
        await pilot.press("f5")
        await wait_until(pilot, lambda: str(label.content) == "持卡人死亡")
        assert "持卡人死亡" in app.export_screenshot()  # whole, the last character too
        assert "公安户籍注销记录或死亡证明编号" in str(
            screen.query_one("#cancel-evidence-label").content  # type: ignore[attr-defined]
        )
        await pilot.press("f5")
        await wait_until(pilot, lambda: str(label.content) == "Death of the holder")
        assert reason.value == CancellationReason.DEATH.value
        await type_holder(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: screen.outcome is not None and not screen.busy)
        assert "needs the police record or death certificate number" in shown(
            app, "#counter-result"
        )
        await type_into(pilot, "#cancel-evidence", DEATH_RECORD)
        screen.outcome = None
        lines = await confirm_and_wait(pilot, screen)
        assert f"Police record or death certificate  {DEATH_RECORD}" in lines
        [item] = store.outbox.items()
        assert item.payload["evidence"] == DEATH_RECORD and item.payload["reason"] == "death"
        # Another ground needs no evidence: the field is closed.
        reason.value = CancellationReason.EMIGRATION.value
        await wait_until(pilot, lambda: screen.query_one("#cancel-evidence").disabled)
