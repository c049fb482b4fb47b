"""The card lifecycle: each rule of DOMAIN.md as a unit test, then properties over sequences."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branch_app.domain.lifecycle import (
    Applied,
    Apply,
    Cancel,
    CardRecord,
    ChangeContact,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    Contact,
    Decision,
    Merged,
    Refused,
    ReportLoss,
    Unlock,
    decide,
)
from branch_app.domain.vocabulary import (
    ApplicationKind,
    ApplicationStatus,
    CancellationReason,
    CardState,
    ExchangeReason,
    FunctionStatus,
    IssuanceSpeed,
    LossChannel,
    RefusalReason,
)
from tests.domain.domain_strategies import (
    ALICE_ID,
    NEW_CARD,
    OLD_CARD,
    any_records,
    commands,
)

DAY = dt.date(2026, 3, 2)
#: The holder found the card and shows it: read from the chip.
FOUND = Unlock(at_card_bank=True, card_number=OLD_CARD, card_read=True)
FOUND_ELSEWHERE = Unlock(at_card_bank=False, card_number=OLD_CARD, card_read=True)


def applied(record: CardRecord, command: Command) -> CardRecord:
    decision = decide(record, command)
    assert isinstance(decision, Applied), decision
    assert decision.record.version == record.version + 1
    return decision.record


def refusal(record: CardRecord, command: Command) -> RefusalReason:
    decision = decide(record, command)
    assert isinstance(decision, Refused), decision
    assert decision.message_key == f"domain.refusal.{decision.reason.value}"
    return decision.reason


def first_card(bank: str | None = "ICBC") -> CardRecord:
    """A person whose first card has been collected."""
    record = CardRecord.new(ALICE_ID)
    record = applied(record, Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, bank=bank))
    record = applied(record, ConfirmIssuance(OLD_CARD, DAY + dt.timedelta(days=10)))
    return applied(record, ConfirmCollection(DAY + dt.timedelta(days=14)))


def test_first_application_issuance_and_collection() -> None:
    record = CardRecord.new(ALICE_ID)
    assert record.version == 0 and record.card_state is CardState.NO_CARD
    record = applied(record, Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, bank="ICBC"))
    assert record.application is not None
    assert record.application.status is ApplicationStatus.IN_PRODUCTION
    assert refusal(record, ConfirmCollection(DAY)) is RefusalReason.CARD_NOT_ISSUED_YET
    record = applied(record, ConfirmIssuance(OLD_CARD.lower(), DAY))
    assert record.application is not None and record.application.new_card_number == OLD_CARD
    assert record.card_number is None
    record = applied(record, ConfirmCollection(DAY + dt.timedelta(days=3)))
    assert record.card_number == OLD_CARD
    assert record.card_state is CardState.ACTIVE
    assert record.social_security is FunctionStatus.NORMAL
    assert record.financial is FunctionStatus.NORMAL
    assert record.bank == "ICBC" and record.generation == 3
    assert record.application is None
    assert record.collected_on == DAY + dt.timedelta(days=3)
    assert record.version == 3


def test_a_record_without_bank_has_no_financial_account() -> None:
    assert first_card(bank=None).financial is FunctionStatus.NONE


def test_one_live_card_per_person() -> None:
    record = first_card()
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY)
    assert refusal(record, first) is RefusalReason.LIVE_CARD_EXISTS
    pending = applied(CardRecord.new(ALICE_ID), first)
    assert isinstance(decide(pending, first), Merged)
    instant = Apply(ApplicationKind.FIRST, IssuanceSpeed.INSTANT, DAY)
    assert refusal(pending, instant) is RefusalReason.APPLICATION_PENDING


@pytest.mark.parametrize("channel", list(LossChannel))
def test_a_loss_report_through_any_channel_freezes_both_functions(channel: LossChannel) -> None:
    """Seed: the fund accounts are suspended and every department freezes at once (同步冻结);
    before issue 11 only a report at the card's own bank froze the bank account."""
    record = applied(first_card(), ReportLoss(channel))
    assert record.card_state is CardState.LOSS_REPORTED
    assert record.social_security is FunctionStatus.FROZEN
    assert record.financial is FunctionStatus.FROZEN


def test_a_loss_report_without_a_bank_account_freezes_social_security_only() -> None:
    record = applied(first_card(bank=None), ReportLoss(LossChannel.ONLINE))
    assert (record.social_security, record.financial) == (
        FunctionStatus.FROZEN,
        FunctionStatus.NONE,
    )


def test_a_second_loss_report_merges() -> None:
    online = applied(first_card(), ReportLoss(LossChannel.ONLINE))
    for channel in LossChannel:
        assert decide(online, ReportLoss(channel)) == Merged(online)


def test_a_loss_report_freezes_what_an_older_partial_report_left_open() -> None:
    """A record stored under the old rule (social security frozen, the account not) is widened."""
    old = replace(
        first_card(),
        card_state=CardState.LOSS_REPORTED,
        social_security=FunctionStatus.FROZEN,
        financial=FunctionStatus.NORMAL,
    )
    record = applied(old, ReportLoss(LossChannel.BANK_HOTLINE))
    assert record.financial is FunctionStatus.FROZEN


@pytest.mark.parametrize("unlock", [FOUND, FOUND_ELSEWHERE])
def test_unlock_restores_both_functions_at_any_cooperating_branch(unlock: Unlock) -> None:
    for channel in LossChannel:
        frozen = applied(first_card(), ReportLoss(channel))
        record = applied(frozen, unlock)
        assert record.card_state is CardState.ACTIVE
        assert (record.social_security, record.financial) == (
            FunctionStatus.NORMAL,
            FunctionStatus.NORMAL,
        )
        assert refusal(record, unlock) is RefusalReason.NOT_LOSS_REPORTED


def test_unlock_restores_an_account_an_older_partial_unlock_left_frozen() -> None:
    old = replace(first_card(), financial=FunctionStatus.FROZEN)
    assert applied(old, FOUND_ELSEWHERE).financial is FunctionStatus.NORMAL


def test_unlock_needs_the_found_card_and_it_must_be_the_current_one() -> None:
    frozen = applied(first_card(), ReportLoss(LossChannel.ONLINE))
    assert refusal(frozen, Unlock(at_card_bank=True)) is RefusalReason.CARD_REQUIRED
    other = Unlock(at_card_bank=True, card_number=NEW_CARD, card_read=True)
    assert refusal(frozen, other) is RefusalReason.CARD_NOT_CURRENT
    # typed from the card's face when the chip cannot be read: case and spaces do not matter
    typed = Unlock(at_card_bank=False, card_number=f" {OLD_CARD.lower()} ", card_read=False)
    assert applied(frozen, typed).card_state is CardState.ACTIVE


def test_unlock_needs_a_loss_report() -> None:
    assert refusal(first_card(), FOUND) is RefusalReason.NOT_LOSS_REPORTED
    assert refusal(CardRecord.new(ALICE_ID), FOUND) is RefusalReason.NO_LIVE_CARD


def test_replacement_needs_a_loss_report_and_kills_the_old_card() -> None:
    replacement = Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, DAY)
    assert refusal(first_card(), replacement) is RefusalReason.NO_LOSS_REPORT
    assert refusal(CardRecord.new(ALICE_ID), replacement) is RefusalReason.NO_LIVE_CARD
    lost = applied(first_card(), ReportLoss(LossChannel.ONLINE))
    record = applied(lost, replacement)
    assert record.card_state is CardState.NO_CARD
    assert record.card_number is None
    assert record.application is not None
    assert record.application.kind is ApplicationKind.REPLACEMENT
    assert record.application.bank == "ICBC"
    assert refusal(record, FOUND) is RefusalReason.REPLACEMENT_APPLIED
    assert isinstance(decide(record, ReportLoss(LossChannel.ONLINE)), Merged)
    assert isinstance(decide(record, replacement), Merged)
    record = applied(record, ConfirmIssuance(NEW_CARD, DAY))
    record = applied(record, ConfirmCollection(DAY))
    assert record.card_number == NEW_CARD and record.card_state is CardState.ACTIVE


def test_instant_replacement_is_confirmed_at_once() -> None:
    lost = applied(first_card(), ReportLoss(LossChannel.CARD_BANK_BRANCH))
    record = applied(lost, Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.INSTANT, DAY))
    record = applied(record, ConfirmIssuance(NEW_CARD, DAY))
    record = applied(record, ConfirmCollection(DAY))
    assert (record.social_security, record.financial) == (
        FunctionStatus.NORMAL,
        FunctionStatus.NORMAL,
    )


def test_exchange_keeps_the_old_card_until_collection() -> None:
    card = first_card()
    exchange = Apply(
        ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, exchange_reason=ExchangeReason.DAMAGE
    )
    record = applied(card, exchange)
    assert record.card_state is CardState.ACTIVE and record.card_number == OLD_CARD
    assert refusal(record, ConfirmIssuance(OLD_CARD, DAY)) is RefusalReason.CARD_NUMBER_UNCHANGED
    record = applied(record, ConfirmIssuance(NEW_CARD, DAY))
    assert record.card_number == OLD_CARD
    record = applied(record, ConfirmCollection(DAY))
    assert record.card_number == NEW_CARD and record.application is None


def test_exchange_rules() -> None:
    card = first_card()
    no_reason = Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY)
    assert refusal(card, no_reason) is RefusalReason.EXCHANGE_REASON_REQUIRED
    first_with_reason = Apply(
        ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, exchange_reason=ExchangeReason.DAMAGE
    )
    assert refusal(card, first_with_reason) is RefusalReason.EXCHANGE_REASON_NOT_ALLOWED
    bank_change = Apply(
        ApplicationKind.EXCHANGE,
        IssuanceSpeed.NORMAL,
        DAY,
        exchange_reason=ExchangeReason.CHANGE_OF_BANK,
    )
    assert refusal(card, bank_change) is RefusalReason.BANK_REQUIRED
    same_bank = Apply(
        ApplicationKind.EXCHANGE,
        IssuanceSpeed.NORMAL,
        DAY,
        exchange_reason=ExchangeReason.CHANGE_OF_BANK,
        bank="ICBC",
    )
    assert refusal(card, same_bank) is RefusalReason.SAME_BANK
    other_bank = Apply(
        ApplicationKind.EXCHANGE,
        IssuanceSpeed.NORMAL,
        DAY,
        exchange_reason=ExchangeReason.CHANGE_OF_BANK,
        bank="CCB",
    )
    record = applied(card, other_bank)
    assert record.bank == "ICBC"  # the old card still belongs to the old bank
    record = applied(applied(record, ConfirmIssuance(NEW_CARD, DAY)), ConfirmCollection(DAY))
    assert record.bank == "CCB"
    lost = applied(card, ReportLoss(LossChannel.ONLINE))
    exchange = Apply(
        ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, exchange_reason=ExchangeReason.EXPIRY
    )
    assert refusal(lost, exchange) is RefusalReason.CARD_LOSS_REPORTED
    assert refusal(CardRecord.new(ALICE_ID), exchange) is RefusalReason.NO_LIVE_CARD


def test_issuance_and_collection_checks() -> None:
    pending = applied(
        CardRecord.new(ALICE_ID), Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY)
    )
    assert refusal(pending, ConfirmIssuance("12", DAY)) is RefusalReason.CARD_NUMBER_MALFORMED
    before = DAY - dt.timedelta(days=1)
    assert (
        refusal(pending, ConfirmIssuance(NEW_CARD, before)) is RefusalReason.DATE_BEFORE_ACCEPTANCE
    )
    # a wrong check character is only a warning: the issuance is recorded
    unchecked = NEW_CARD[:8] + ("0" if NEW_CARD[8] != "0" else "1")
    ready = applied(pending, ConfirmIssuance(unchecked, DAY))
    assert decide(ready, ConfirmIssuance(unchecked, DAY)) == Merged(ready)
    assert (
        refusal(ready, ConfirmIssuance(NEW_CARD, DAY)) is RefusalReason.APPLICATION_ALREADY_ISSUED
    )
    assert refusal(ready, ConfirmCollection(before)) is RefusalReason.DATE_BEFORE_ACCEPTANCE
    collected = applied(ready, ConfirmCollection(DAY))
    assert decide(collected, ConfirmCollection(DAY)) == Merged(collected)
    later = ConfirmCollection(DAY + dt.timedelta(days=1))
    assert refusal(collected, later) is RefusalReason.NO_PENDING_APPLICATION
    assert refusal(CardRecord.new(ALICE_ID), ConfirmIssuance(NEW_CARD, DAY)) is (
        RefusalReason.NO_PENDING_APPLICATION
    )


AFTER_CANCELLATION: tuple[Command, ...] = (
    ReportLoss(LossChannel.ONLINE),
    FOUND,
    Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, DAY),
    Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, ExchangeReason.EXPIRY),
    ConfirmIssuance(NEW_CARD, DAY),
    ConfirmCollection(DAY),
    ChangeContact(mobile="13800138000"),
)


@pytest.mark.parametrize("reason", list(CancellationReason))
def test_cancellation_closes_everything(reason: CancellationReason) -> None:
    card = applied(
        first_card(),
        Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, ExchangeReason.EXPIRY),
    )
    record = applied(card, Cancel(reason, evidence="GA-2026-0001234"))
    assert record.card_state is CardState.CANCELLED
    assert (record.social_security, record.financial) == (
        FunctionStatus.CLOSED,
        FunctionStatus.CLOSED,
    )
    assert record.application is None and record.cancellation_reason is reason
    for again in CancellationReason:
        assert decide(record, Cancel(again)) == Merged(record)


def test_death_is_final() -> None:
    record = applied(first_card(), Cancel(CancellationReason.DEATH, evidence="GA-2026-0001234"))
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, photo_receipt="GZ20260302B1")
    for command in (*AFTER_CANCELLATION, first):
        assert refusal(record, command) is RefusalReason.HOLDER_DECEASED, command


@pytest.mark.parametrize(
    "reason", [r for r in CancellationReason if r is not CancellationReason.DEATH]
)
def test_after_other_cancellations_only_a_new_first_application_is_taken(
    reason: CancellationReason,
) -> None:
    record = applied(first_card(), Cancel(reason))
    for command in AFTER_CANCELLATION:
        assert refusal(record, command) is RefusalReason.CARD_CANCELLED, command
    again = applied(record, Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY, bank="CCB"))
    assert again.holder_id == ALICE_ID  # the same social security number
    assert again.card_state is CardState.NO_CARD and again.card_number is None
    assert again.cancellation_reason is None and again.bank is None
    assert again.application is not None and again.application.kind is ApplicationKind.FIRST


def test_cancel_from_every_state_with_a_card_or_one_in_production() -> None:
    lost = applied(first_card(), ReportLoss(LossChannel.ONLINE))
    in_production = applied(
        CardRecord.new(ALICE_ID), Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY)
    )
    replacing = applied(lost, Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, DAY))
    for record in (first_card(), lost, in_production, replacing):
        after = applied(record, Cancel(CancellationReason.EMIGRATION))
        assert after.card_state is CardState.CANCELLED and after.application is None


def test_a_person_without_a_card_has_nothing_to_cancel() -> None:
    for reason in CancellationReason:
        assert refusal(CardRecord.new(ALICE_ID), Cancel(reason)) is RefusalReason.NOTHING_TO_CANCEL


def test_a_contact_change_needs_a_known_person_and_keeps_what_it_does_not_name() -> None:
    change = ChangeContact(mobile="13800138000")
    assert refusal(CardRecord.new(ALICE_ID), change) is RefusalReason.NO_RECORD
    record = applied(first_card(), change)
    assert record.contact == Contact(mobile="13800138000")
    assert record.card_number == OLD_CARD  # no new card
    assert decide(record, change) == Merged(record)
    moved = applied(record, ChangeContact(address="Room 1, 2 Huacheng Road"))
    assert moved.contact == Contact(mobile="13800138000", address="Room 1, 2 Huacheng Road")
    assert "13800138000" not in repr(moved)


def test_records_never_show_the_holder_id() -> None:
    assert ALICE_ID not in repr(first_card())


def run(record: CardRecord, sequence: list[Command]) -> list[tuple[Command, CardRecord, Decision]]:
    steps = []
    for command in sequence:
        decision = decide(record, command)
        steps.append((command, record, decision))
        if not isinstance(decision, Refused):
            record = decision.record
    return steps


@given(st.lists(commands, max_size=25), st.booleans())
def test_version_grows_by_exactly_one_per_applied(
    sequence: list[Command], start_with_card: bool
) -> None:
    start = first_card() if start_with_card else CardRecord.new(ALICE_ID)
    for _command, before, decision in run(start, sequence):
        if isinstance(decision, Applied):
            assert decision.record.version == before.version + 1
            assert decision.record != before
            assert decision.record.holder_id == before.holder_id
        elif isinstance(decision, Merged):
            assert decision.record == before
        else:
            assert isinstance(decision.reason, RefusalReason)
            assert decision.reason not in decision.also


@given(st.lists(commands, max_size=25), st.booleans())
def test_after_a_cancellation_only_a_new_first_application_unless_death(
    sequence: list[Command], start_with_card: bool
) -> None:
    start = first_card() if start_with_card else CardRecord.new(ALICE_ID)
    for command, before, decision in run(start, sequence):
        if before.card_state is not CardState.CANCELLED:
            continue
        if isinstance(command, Cancel):
            assert isinstance(decision, Merged)
        elif before.cancellation_reason is CancellationReason.DEATH:
            assert isinstance(decision, Refused)
            assert decision.reason is RefusalReason.HOLDER_DECEASED
        elif isinstance(command, Apply) and command.application is ApplicationKind.FIRST:
            if isinstance(decision, Refused):
                assert decision.reason not in (
                    RefusalReason.CARD_CANCELLED,
                    RefusalReason.HOLDER_DECEASED,
                )
            else:
                assert isinstance(decision, Applied)
                assert decision.record.card_state is CardState.NO_CARD
                assert decision.record.holder_id == before.holder_id
        else:
            assert isinstance(decision, Refused)
            assert decision.reason is RefusalReason.CARD_CANCELLED


@given(st.lists(commands, max_size=25))
def test_an_unlock_never_succeeds_after_a_replacement(sequence: list[Command]) -> None:
    """Once a replacement is applied for, only a new card's own loss report can be unlocked."""
    start = applied(first_card(), ReportLoss(LossChannel.ONLINE))
    replacement = Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, DAY)
    old_card_dead = False
    for command, _before, decision in run(start, [replacement, *sequence]):
        if not isinstance(decision, Applied):
            continue
        if isinstance(command, Apply) and command.application is ApplicationKind.REPLACEMENT:
            old_card_dead = True
        elif isinstance(command, ConfirmCollection):
            old_card_dead = False
        elif isinstance(command, Unlock):
            assert not old_card_dead


@given(st.lists(commands, max_size=25), st.booleans())
def test_state_invariants_hold(sequence: list[Command], start_with_card: bool) -> None:
    start = first_card() if start_with_card else CardRecord.new(ALICE_ID)
    for _command, _before, decision in run(start, sequence):
        if isinstance(decision, Refused):
            continue
        record = decision.record
        if record.card_state is CardState.ACTIVE:
            assert record.social_security is FunctionStatus.NORMAL
            assert record.card_number is not None
        if record.card_state is CardState.LOSS_REPORTED:
            assert record.social_security is FunctionStatus.FROZEN
        if record.card_state is CardState.NO_CARD:
            assert record.card_number is None
        if record.application is not None:
            assert record.card_state is not CardState.CANCELLED
            ready = record.application.status is ApplicationStatus.READY
            assert ready == (record.application.new_card_number is not None)


@given(st.lists(commands, max_size=25), st.booleans())
def test_every_refusal_has_a_reason_with_texts_in_both_languages(
    sequence: list[Command], start_with_card: bool
) -> None:
    from branch_app.i18n import load_catalog

    messages = load_catalog()  # the domain's catalog and the services' own (their refusals)
    start = first_card() if start_with_card else CardRecord.new(ALICE_ID)
    for _command, _before, decision in run(start, sequence):
        if isinstance(decision, Refused):
            for reason in (decision.reason, *decision.also):
                english, chinese = messages[f"domain.refusal.{reason.value}"]
                assert english.strip() and chinese.strip()


@given(any_records, commands)
def test_decide_is_total_even_on_odd_records(record: CardRecord, command: Command) -> None:
    """Records come back from other channels and old versions: `decide` always answers."""
    decision = decide(record, command)
    assert isinstance(decision, Applied | Merged | Refused)
    if isinstance(decision, Applied):
        assert decision.record.version == record.version + 1
    elif isinstance(decision, Merged):
        assert decision.record is record
