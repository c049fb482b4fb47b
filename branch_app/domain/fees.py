"""The card fee (工本费): free for a first card and for a quality exchange within a year.

Every decision carries its reason, so the receipt and the screen can say why the holder pays or not.
The amount is configuration (`replacement_fee_yuan`), 20 yuan in Guangzhou's guides.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from branch_app.domain.lifecycle import Apply, CardRecord, Command
from branch_app.domain.vocabulary import ApplicationKind, ExchangeReason

DEFAULT_REPLACEMENT_FEE_YUAN = 20


class FeeReason(StrEnum):
    """Why the fee is what it is; each has a text under `domain.fee.<code>`."""

    FIRST_APPLICATION = "first_application"
    QUALITY_PROBLEM_WITHIN_ONE_YEAR = "quality_problem_within_one_year"
    QUALITY_PROBLEM_AFTER_ONE_YEAR = "quality_problem_after_one_year"
    COLLECTION_DATE_UNKNOWN = "collection_date_unknown"
    REPLACEMENT = "replacement"
    EXCHANGE = "exchange"
    NOT_CHARGED_SERVICE = "not_charged_service"


@dataclass(frozen=True, slots=True)
class FeeDecision:
    amount_yuan: int
    reason: FeeReason

    @property
    def message_key(self) -> str:
        return f"domain.fee.{self.reason.value}"


def one_year_after(day: dt.date) -> dt.date:
    """The same day a year later; 29 Feb gives 28 Feb (the period ends on the month's last day)."""
    year = day.year + 1
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def fee_for(
    command: Command,
    record: CardRecord,
    on: dt.date,
    replacement_fee_yuan: int = DEFAULT_REPLACEMENT_FEE_YUAN,
) -> FeeDecision:
    """The fee for `command` taken on `on`, given the record before it.

    A quality exchange is free up to and including the day one year after the current card was
    collected (`record.collected_on`); without a known collection date it is charged.
    """
    if not isinstance(command, Apply):
        return FeeDecision(0, FeeReason.NOT_CHARGED_SERVICE)
    if command.application is ApplicationKind.FIRST:
        return FeeDecision(0, FeeReason.FIRST_APPLICATION)
    if command.application is ApplicationKind.REPLACEMENT:
        return FeeDecision(replacement_fee_yuan, FeeReason.REPLACEMENT)
    if command.exchange_reason is not ExchangeReason.QUALITY_PROBLEM:
        return FeeDecision(replacement_fee_yuan, FeeReason.EXCHANGE)
    if record.collected_on is None:
        return FeeDecision(replacement_fee_yuan, FeeReason.COLLECTION_DATE_UNKNOWN)
    if on <= one_year_after(record.collected_on):
        return FeeDecision(0, FeeReason.QUALITY_PROBLEM_WITHIN_ONE_YEAR)
    return FeeDecision(replacement_fee_yuan, FeeReason.QUALITY_PROBLEM_AFTER_ONE_YEAR)
