"""The card lifecycle: each rule of DOMAIN.md as a unit test, then properties over sequences."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branch_app.domain.lifecycle import (
    ApplicationKind,
    ApplicationStatus,
    Applied,
    Apply,
    Cancel,
    CancellationReason,
    CardRecord,
    CardState,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    Decision,
    ExchangeReason,
    FunctionStatus,
    IssuanceSpeed,
    LossChannel,
    Merged,
    PendingApplication,
    RefusalReason,
    Refused,
    ReportLoss,
    Unlock,
    decide,
)
from tests.domain.domain_strategies import ALICE_ID, card_number, commands

OLD_CARD = card_number("A1234567")
NEW_CARD = card_number("B7654321")
DAY = dt.date(2026, 3, 2)


def applied(record: CardRecord, command: Command) -> CardRecord:
    decision = decide(record, command)
    assert isinstance(decision, Applied), decision
    assert decision.record.version == record.version + 1
    return decision.record


def refusal(record: CardRecord, command: Command) -> RefusalReason:
    decision = decide(record, command)
    assert isinstance(decision, Refused), decision
    assert decision.detail
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


@pytest.mark.parametrize(
    "channel",
    [
        LossChannel.ONLINE,
        LossChannel.GOVERNMENT_HOTLINE,
        LossChannel.BANK_HOTLINE,
        LossChannel.OTHER_BANK_BRANCH,
    ],
)
def test_remote_or_other_bank_loss_report_freezes_only_social_security(
    channel: LossChannel,
) -> None:
    record = applied(first_card(), ReportLoss(channel))
    assert record.card_state is CardState.LOSS_REPORTED
    assert record.social_security is FunctionStatus.FROZEN
    assert record.financial is FunctionStatus.NORMAL


def test_loss_report_at_the_card_bank_freezes_both() -> None:
    record = applied(first_card(), ReportLoss(LossChannel.CARD_BANK_BRANCH))
    assert record.social_security is FunctionStatus.FROZEN
    assert record.financial is FunctionStatus.FROZEN


def test_second_loss_report_merges_or_widens() -> None:
    online = applied(first_card(), ReportLoss(LossChannel.ONLINE))
    assert decide(online, ReportLoss(LossChannel.GOVERNMENT_HOTLINE)) == Merged(online)
    both = applied(online, ReportLoss(LossChannel.CARD_BANK_BRANCH))
    assert both.financial is FunctionStatus.FROZEN
    assert decide(both, ReportLoss(LossChannel.ONLINE)) == Merged(both)


def test_unlock_restores_social_security_and_the_account_only_at_the_card_bank() -> None:
    frozen = applied(first_card(), ReportLoss(LossChannel.CARD_BANK_BRANCH))
    elsewhere = applied(frozen, Unlock(at_card_bank=False))
    assert elsewhere.card_state is CardState.ACTIVE
    assert elsewhere.social_security is FunctionStatus.NORMAL
    assert elsewhere.financial is FunctionStatus.FROZEN
    assert (
        refusal(elsewhere, Unlock(at_card_bank=False))
        is RefusalReason.FINANCIAL_UNLOCK_NEEDS_CARD_BANK
    )
    assert applied(elsewhere, Unlock(at_card_bank=True)).financial is FunctionStatus.NORMAL
    at_bank = applied(frozen, Unlock(at_card_bank=True))
    assert (at_bank.social_security, at_bank.financial) == (
        FunctionStatus.NORMAL,
        FunctionStatus.NORMAL,
    )


def test_unlock_needs_a_loss_report() -> None:
    assert refusal(first_card(), Unlock(True)) is RefusalReason.NOT_LOSS_REPORTED
    assert refusal(CardRecord.new(ALICE_ID), Unlock(True)) is RefusalReason.NO_LIVE_CARD


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
    assert refusal(record, Unlock(True)) is RefusalReason.REPLACEMENT_APPLIED
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


@pytest.mark.parametrize("reason", list(CancellationReason))
def test_cancellation_closes_everything_and_nothing_follows(reason: CancellationReason) -> None:
    card = applied(
        first_card(),
        Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, DAY, ExchangeReason.EXPIRY),
    )
    record = applied(card, Cancel(reason))
    assert record.card_state is CardState.CANCELLED
    assert (record.social_security, record.financial) == (
        FunctionStatus.CLOSED,
        FunctionStatus.CLOSED,
    )
    assert record.application is None and record.cancellation_reason is reason
    assert decide(record, Cancel(CancellationReason.DEATH)) == Merged(record)
    for command in (
        ReportLoss(LossChannel.ONLINE),
        Unlock(True),
        Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY),
        ConfirmIssuance(NEW_CARD, DAY),
        ConfirmCollection(DAY),
    ):
        assert refusal(record, command) is RefusalReason.CARD_CANCELLED


def test_cancel_from_every_state() -> None:
    lost = applied(first_card(), ReportLoss(LossChannel.ONLINE))
    for record in (CardRecord.new(ALICE_ID), first_card(), lost):
        assert applied(record, Cancel(CancellationReason.EMIGRATION)).card_state is (
            CardState.CANCELLED
        )


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
            assert decision.detail


@given(st.lists(commands, max_size=25), st.booleans())
def test_nothing_but_merge_follows_a_cancellation(
    sequence: list[Command], start_with_card: bool
) -> None:
    start = first_card() if start_with_card else CardRecord.new(ALICE_ID)
    for command, before, decision in run(start, sequence):
        if before.card_state is CardState.CANCELLED:
            if isinstance(command, Cancel):
                assert isinstance(decision, Merged)
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
    from branch_app.i18n.catalogs.domain import MESSAGES

    start = first_card() if start_with_card else CardRecord.new(ALICE_ID)
    for _command, _before, decision in run(start, sequence):
        if isinstance(decision, Refused):
            english, chinese = MESSAGES[decision.message_key]
            assert english and chinese
            assert english.rstrip(".").lower() == decision.detail.lower()


any_records = st.builds(
    CardRecord,
    holder_id=st.just(ALICE_ID),
    version=st.integers(min_value=0, max_value=10**6),
    card_number=st.none() | st.just(OLD_CARD) | st.just(NEW_CARD),
    card_state=st.sampled_from(CardState),
    social_security=st.sampled_from(FunctionStatus),
    financial=st.sampled_from(FunctionStatus),
    bank=st.none() | st.just("ICBC"),
    generation=st.none() | st.integers(min_value=1, max_value=3),
    application=st.none()
    | st.builds(
        PendingApplication,
        kind=st.sampled_from(ApplicationKind),
        speed=st.sampled_from(IssuanceSpeed),
        accepted_on=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)),
        status=st.sampled_from(ApplicationStatus),
        new_card_number=st.none() | st.just(NEW_CARD),
        bank=st.none() | st.just("CCB"),
    ),
    collected_on=st.none() | st.just(DAY),
    cancellation_reason=st.none() | st.sampled_from(CancellationReason),
)


@given(any_records, commands)
def test_decide_is_total_even_on_odd_records(record: CardRecord, command: Command) -> None:
    """Records come back from other channels and old versions: `decide` always answers."""
    decision = decide(record, command)
    assert isinstance(decision, Applied | Merged | Refused)
    if isinstance(decision, Applied):
        assert decision.record.version == record.version + 1
    elif isinstance(decision, Merged):
        assert decision.record is record
