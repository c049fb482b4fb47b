"""Fees with their reasons: free first card, free quality exchange within a year, else the fee."""

from __future__ import annotations

import datetime as dt

import pytest

from branch_app.domain.fees import FeeReason, fee_for, one_year_after
from branch_app.domain.lifecycle import (
    Apply,
    CardRecord,
    ReportLoss,
)
from branch_app.domain.vocabulary import (
    ApplicationKind,
    CardState,
    ExchangeReason,
    IssuanceSpeed,
    LossChannel,
)
from tests.domain.domain_strategies import ALICE_ID

COLLECTED = dt.date(2025, 6, 10)
RECORD = CardRecord(ALICE_ID, version=3, card_state=CardState.ACTIVE, collected_on=COLLECTED)


def exchange(reason: ExchangeReason, on: dt.date) -> Apply:
    return Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, on, exchange_reason=reason)


def test_first_application_is_free() -> None:
    on = dt.date(2026, 1, 1)
    decision = fee_for(Apply(ApplicationKind.FIRST, IssuanceSpeed.INSTANT, on), RECORD, on)
    assert (decision.amount_yuan, decision.reason) == (0, FeeReason.FIRST_APPLICATION)
    assert decision.message_key == "domain.fee.first_application"


def test_replacement_costs_the_configured_fee() -> None:
    on = dt.date(2026, 1, 1)
    command = Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, on)
    assert fee_for(command, RECORD, on).amount_yuan == 20
    decision = fee_for(command, RECORD, on, replacement_fee_yuan=25)
    assert (decision.amount_yuan, decision.reason) == (25, FeeReason.REPLACEMENT)


@pytest.mark.parametrize(
    ("on", "amount", "reason"),
    [
        (dt.date(2025, 6, 10), 0, FeeReason.QUALITY_PROBLEM_WITHIN_ONE_YEAR),
        (dt.date(2026, 6, 10), 0, FeeReason.QUALITY_PROBLEM_WITHIN_ONE_YEAR),
        (dt.date(2026, 6, 11), 20, FeeReason.QUALITY_PROBLEM_AFTER_ONE_YEAR),
    ],
)
def test_quality_exchange_is_free_within_one_year(
    on: dt.date, amount: int, reason: FeeReason
) -> None:
    decision = fee_for(exchange(ExchangeReason.QUALITY_PROBLEM, on), RECORD, on)
    assert (decision.amount_yuan, decision.reason) == (amount, reason)


def test_other_exchanges_and_unknown_collection_dates_are_charged() -> None:
    on = dt.date(2025, 7, 1)
    decision = fee_for(exchange(ExchangeReason.DAMAGE, on), RECORD, on)
    assert (decision.amount_yuan, decision.reason) == (20, FeeReason.EXCHANGE)
    unknown = CardRecord(ALICE_ID, card_state=CardState.ACTIVE)
    decision = fee_for(exchange(ExchangeReason.QUALITY_PROBLEM, on), unknown, on)
    assert (decision.amount_yuan, decision.reason) == (20, FeeReason.COLLECTION_DATE_UNKNOWN)


def test_other_services_are_not_charged() -> None:
    decision = fee_for(ReportLoss(LossChannel.ONLINE), RECORD, dt.date(2026, 1, 1))
    assert (decision.amount_yuan, decision.reason) == (0, FeeReason.NOT_CHARGED_SERVICE)


def test_one_year_counts_leap_years_by_the_calendar() -> None:
    assert one_year_after(dt.date(2023, 3, 1)) == dt.date(2024, 3, 1)  # 366 days
    assert one_year_after(dt.date(2025, 3, 1)) == dt.date(2026, 3, 1)  # 365 days
    assert one_year_after(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    leap_collected = CardRecord(
        ALICE_ID, card_state=CardState.ACTIVE, collected_on=dt.date(2024, 2, 29)
    )
    for on, amount in [(dt.date(2025, 2, 28), 0), (dt.date(2025, 3, 1), 20)]:
        fee = fee_for(exchange(ExchangeReason.QUALITY_PROBLEM, on), leap_collected, on)
        assert fee.amount_yuan == amount
