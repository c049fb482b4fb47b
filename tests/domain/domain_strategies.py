"""Made-up people and commands for the domain tests: valid numbers are computed, never copied."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from branch_app.domain.card_number import card_number_check_character
from branch_app.domain.identity import PROVINCE_CODES, resident_check_character
from branch_app.domain.lifecycle import (
    ApplicationKind,
    Apply,
    Cancel,
    CancellationReason,
    ConfirmCollection,
    ConfirmIssuance,
    ExchangeReason,
    IssuanceSpeed,
    LossChannel,
    ReportLoss,
    Unlock,
)

TODAY = dt.date(2026, 11, 28)


def resident_id(area_code: str, birth: dt.date, sequence: int) -> str:
    """A resident ID with a correct check character (sequence 0..999, odd = male)."""
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_check_character(first17)


def card_number(first8: str) -> str:
    return first8 + card_number_check_character(first8)


# A woman born in Guangzhou's Yuexiu district, a man from Tianhe, a Hong Kong permit holder.
ALICE_ID = resident_id("440104", dt.date(1985, 3, 14), 22)
BOB_ID = resident_id("440106", dt.date(1990, 7, 1), 131)
HK_PERMIT_ID = resident_id("810000", dt.date(1979, 10, 2), 15)

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
mainland_area_codes = st.builds(
    lambda province, rest: province + f"{rest:04d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(min_value=0, max_value=9999),
)
area_codes = st.one_of(
    mainland_area_codes,
    st.sampled_from(["810000", "820000", "830000"]),
    # 2023 foreigner's permanent residence ID: 9 + province + 3-digit nationality code
    st.builds(
        lambda province, nation: f"9{province}{nation:03d}",
        st.sampled_from(sorted(PROVINCE_CODES)),
        st.integers(min_value=0, max_value=999),
    ),
)
eighteen_character_ids = st.builds(
    resident_id, area_codes, birth_dates, st.integers(min_value=0, max_value=999)
)
card_numbers = st.builds(
    card_number, st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8)
)

dates_2026 = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
banks = st.sampled_from(["ICBC", "CCB", "BOC", "GRCB"])
applies = st.builds(
    Apply,
    application=st.sampled_from(ApplicationKind),
    speed=st.sampled_from(IssuanceSpeed),
    accepted_on=dates_2026,
    exchange_reason=st.none() | st.sampled_from(ExchangeReason),
    bank=st.none() | banks,
)
commands = st.one_of(
    applies,
    # exchanges with a reason, so that sequences reach the exchange paths often
    st.builds(
        Apply,
        application=st.just(ApplicationKind.EXCHANGE),
        speed=st.sampled_from(IssuanceSpeed),
        accepted_on=dates_2026,
        exchange_reason=st.sampled_from(ExchangeReason),
        bank=st.none() | banks,
    ),
    st.builds(ReportLoss, st.sampled_from(LossChannel)),
    st.builds(Unlock, st.booleans()),
    st.builds(
        ConfirmIssuance, card_numbers | st.sampled_from(["", "bad", "X00000019"]), dates_2026
    ),
    st.builds(ConfirmCollection, dates_2026),
    st.builds(Cancel, st.sampled_from(CancellationReason)),
)
