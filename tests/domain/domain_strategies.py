"""Made-up people and commands for the domain tests: valid numbers are computed, never copied."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from branch_app.domain.card_number import card_number_check_character
from branch_app.domain.identity import PROVINCE_CODES, IdentityKind, resident_check_character
from branch_app.domain.lifecycle import (
    Applicant,
    Apply,
    Cancel,
    CardRecord,
    ChangeContact,
    ConfirmCollection,
    ConfirmIssuance,
    Contact,
    PendingApplication,
    ReportLoss,
    Representative,
    Unlock,
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
    Presenter,
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
# Holders whose ID number carries no birth date: a 2017 foreign permanent residence ID (three
# letters and twelve digits) and a passport.
PR_2017_ID = "CAN310070514012"
PASSPORT_ID = "E98765432"

#: The card numbers the lifecycle tests use: the first card and the one that replaces it.
OLD_CARD = card_number("A1234567")
NEW_CARD = card_number("B7654321")

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
#: Texts a person could type: no control characters (the JSON readers refuse them).
short_texts = st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=20)

#: A representative's document: mostly valid (an adult's or a child's resident ID, a passport, a
#: 2017 permanent residence ID), sometimes garbled or blank.
representatives = st.builds(
    Representative,
    kind=st.sampled_from(IdentityKind),
    number=st.sampled_from(
        [
            BOB_ID,
            resident_id("440106", dt.date(2016, 6, 6), 40),
            "G12345678",
            "USA440080517011",
            "",
            "12345X",
        ]
    )
    | short_texts,
    name=st.sampled_from(["Chen Mei", "Li Wei", "", " "]) | short_texts,
    birth_date=st.none() | birth_dates,
)
#: Often the holder in person (most applications), else anyone with anything.
applicants = st.just(Applicant()) | st.builds(
    Applicant,
    presenter=st.sampled_from(Presenter),
    holder_birth_date=st.none() | birth_dates,
    holder_has_legal_capacity=st.booleans(),
    guardianship_proof=st.booleans(),
    representative=st.none() | representatives,
)
photo_receipts = (
    st.just("GZ2026030200B1") | st.none() | st.sampled_from(["12345", ""]) | short_texts
)
evidence = st.none() | st.sampled_from(["GA-2026-0001234", "x", " "]) | short_texts
unlock_card_numbers = (
    st.none() | st.sampled_from([OLD_CARD, NEW_CARD, OLD_CARD.lower()]) | card_numbers
)
mobiles = st.none() | st.sampled_from(["13800138000", "1380013800", "23800138000"]) | short_texts
addresses = st.none() | st.sampled_from(["Room 1, 2 Huacheng Road", " "]) | short_texts


def _applies(
    application: st.SearchStrategy[ApplicationKind],
    reason: st.SearchStrategy[ExchangeReason | None],
) -> st.SearchStrategy[Apply]:
    return st.builds(
        Apply,
        application=application,
        speed=st.sampled_from(IssuanceSpeed),
        accepted_on=dates_2026,
        exchange_reason=reason,
        bank=st.none() | banks,
        photo_receipt=photo_receipts,
        police_photo=st.booleans(),
        applicant=applicants,
        evidence=evidence,
    )


applies = _applies(st.sampled_from(ApplicationKind), st.none() | st.sampled_from(ExchangeReason))
commands = st.one_of(
    applies,
    # exchanges with a reason, so that sequences reach the exchange paths often
    _applies(st.just(ApplicationKind.EXCHANGE), st.sampled_from(ExchangeReason)),
    st.builds(ReportLoss, st.sampled_from(LossChannel)),
    st.builds(
        Unlock,
        at_card_bank=st.booleans(),
        card_number=unlock_card_numbers,
        card_read=st.booleans(),
    ),
    st.builds(
        ConfirmIssuance, card_numbers | st.sampled_from(["", "bad", "X00000019"]), dates_2026
    ),
    st.builds(ConfirmCollection, collected_on=dates_2026, applicant=applicants),
    st.builds(
        Cancel,
        reason=st.sampled_from(CancellationReason),
        evidence=evidence,
        approved_by=st.none() | st.sampled_from(["S001", "T001", "s001"]),
    ),
    st.builds(ChangeContact, mobile=mobiles, address=addresses),
)

#: Any record, however odd: records come back from other channels and from older versions.
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
        accepted_on=dates_2026,
        status=st.sampled_from(ApplicationStatus),
        new_card_number=st.none() | st.just(NEW_CARD),
        bank=st.none() | st.just("CCB"),
        exchange_reason=st.none() | st.sampled_from(ExchangeReason),
    ),
    collected_on=st.none() | dates_2026,
    cancellation_reason=st.none() | st.sampled_from(CancellationReason),
    contact=st.none() | st.builds(Contact, mobile=mobiles, address=addresses),
)
