"""Identity numbers: the exact reason of every refusal, masking, ages, and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branch_app.domain.fees import one_year_after
from branch_app.domain.identity import (
    IdentityError,
    IdentityKind,
    Sex,
    age_on,
    mask_identity,
    parse_identity,
    resident_check_character,
)
from branch_app.i18n import t
from tests.domain.domain_strategies import (
    ALICE_ID,
    BOB_ID,
    HK_PERMIT_ID,
    TODAY,
    eighteen_character_ids,
    resident_id,
)


def test_the_domain_md_example_passes() -> None:
    number = parse_identity("11010519491231002X", today=TODAY)
    assert number.kind is IdentityKind.RESIDENT
    assert number.birth_date == dt.date(1949, 12, 31)
    assert number.sex is Sex.FEMALE  # 17th digit 2 is even
    assert number.area_code == "110105"
    assert resident_check_character("11010519491231002") == "X"


def test_lower_case_x_is_accepted_and_normalised() -> None:
    assert parse_identity(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"


def test_sex_follows_the_seventeenth_digit() -> None:
    assert parse_identity(BOB_ID, today=TODAY).sex is Sex.MALE
    assert parse_identity(ALICE_ID, today=TODAY).sex is Sex.FEMALE


def test_wrong_check_character_says_what_it_should_be() -> None:
    wrong = "11010519491231002" + "3"
    with pytest.raises(IdentityError) as caught:
        parse_identity(wrong, today=TODAY)
    assert caught.value.code == "check_character"
    assert caught.value.params == {"expected": "X", "got": "3"}
    assert english(caught.value) == "Check character should be X, got 3."


def test_impossible_birth_date_is_named() -> None:
    number = resident_id("440106", dt.date(1999, 2, 28), 123)
    broken17 = number[:6] + "19990230" + number[14:17]
    candidate = broken17 + resident_check_character(broken17)
    with pytest.raises(IdentityError) as caught:
        parse_identity(candidate, today=TODAY)
    assert caught.value.code == "bad_birth_date"
    assert english(caught.value) == "Birth date 19990230 is not a real date."


def test_birth_date_after_today_is_refused() -> None:
    number = resident_id("440106", dt.date(2026, 11, 29), 1)
    with pytest.raises(IdentityError) as caught:
        parse_identity(number, today=TODAY)
    assert caught.value.code == "birth_date_in_future"
    assert english(caught.value) == "Birth date 20261129 is after today (20261128)."
    assert parse_identity(number, today=dt.date(2026, 11, 29)).birth_date == dt.date(2026, 11, 29)


def test_birth_date_before_1900_is_refused() -> None:
    first17 = "44010618991231001"
    with pytest.raises(IdentityError) as caught:
        parse_identity(first17 + resident_check_character(first17), today=TODAY)
    assert caught.value.code == "birth_date_too_early"


@pytest.mark.parametrize("area", ["000000", "700101", "990101", "190101"])
def test_area_code_outside_the_provinces_is_refused(area: str) -> None:
    first17 = area + "19900101001"
    with pytest.raises(IdentityError) as caught:
        parse_identity(first17 + resident_check_character(first17), today=TODAY)
    assert caught.value.code == "bad_area_code"
    assert caught.value.params == {"area_code": area}


@pytest.mark.parametrize(
    ("area", "kind"),
    [
        ("810000", IdentityKind.HONG_KONG_PERMIT),
        ("820000", IdentityKind.MACAU_PERMIT),
        ("830000", IdentityKind.TAIWAN_PERMIT),
    ],
)
def test_residence_permits_are_recognised(area: str, kind: IdentityKind) -> None:
    number = parse_identity(resident_id(area, dt.date(1979, 10, 2), 15), today=TODAY)
    assert number.kind is kind
    assert number.kind.may_send_agent


def test_permit_with_a_district_code_is_refused() -> None:
    first17 = "81010219791002015"
    with pytest.raises(IdentityError) as caught:
        parse_identity(first17 + resident_check_character(first17), today=TODAY)
    assert caught.value.code == "bad_permit_area_code"


def test_2023_foreigner_permanent_residence_id() -> None:
    number = parse_identity(resident_id("944840", dt.date(1980, 5, 17), 11), today=TODAY)
    assert number.kind is IdentityKind.FOREIGN_PERMANENT
    assert number.birth_date == dt.date(1980, 5, 17)
    assert number.sex is Sex.MALE


def test_2017_foreigner_permanent_residence_id() -> None:
    number = parse_identity("usa440080517011", today=TODAY)
    assert number.kind is IdentityKind.FOREIGN_PERMANENT_2017
    assert number.number == "USA440080517011"
    assert number.birth_date is None
    with pytest.raises(IdentityError) as caught:
        parse_identity("US1440080517011", today=TODAY)
    assert (caught.value.code, caught.value.params) == (
        "not_a_letter",
        {"position": 3, "character": "1"},
    )
    with pytest.raises(IdentityError) as caught:
        parse_identity("USA4400805170A1", today=TODAY)
    assert english(caught.value) == "Character 14 should be a digit, got A."


def test_first_generation_fifteen_digit_number_is_explained() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identity("110105491231002", today=TODAY)
    assert caught.value.code == "first_generation"


def test_passports_only_when_asked_for() -> None:
    assert parse_identity("e12345678", kind=IdentityKind.PASSPORT).number == "E12345678"
    with pytest.raises(IdentityError) as caught:
        parse_identity("E1234", kind=None, today=TODAY)
    assert caught.value.code == "unknown_form"
    for bad in ("E12", "E1234567890123456789X", "E123-4567", "Ｅ12345678"):
        with pytest.raises(IdentityError) as caught:
            parse_identity(bad, kind=IdentityKind.PASSPORT)
        assert caught.value.code == "bad_passport"


def test_kind_given_must_match_the_number() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identity(HK_PERMIT_ID, kind=IdentityKind.RESIDENT, today=TODAY)
    assert caught.value.code == "kind_mismatch"
    with pytest.raises(IdentityError) as caught:
        parse_identity("1101051949", kind=IdentityKind.RESIDENT, today=TODAY)
    assert english(caught.value) == "The number should have 18 characters, got 10."


def test_characters_that_cannot_be_in_a_resident_id() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identity("11010519491231O02X", today=TODAY)
    assert english(caught.value) == "Character 15 should be a digit, got O."
    with pytest.raises(IdentityError) as caught:
        parse_identity("11010519491231002Y", today=TODAY)
    assert caught.value.code == "bad_check_form"
    with pytest.raises(IdentityError) as caught:
        parse_identity("   ", today=TODAY)
    assert caught.value.code == "empty"


def test_full_width_digits_are_not_digits() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identity("１1010519491231002X", today=TODAY)
    assert caught.value.code == "not_a_digit"


def test_masking_keeps_six_and_four() -> None:
    assert mask_identity("44010619900701123X") == "440106********123X"
    assert mask_identity("USA440080517011") == "USA440*****7011"
    assert mask_identity("E12345678") == "*****5678"
    assert mask_identity("1234") == "****"
    parsed = parse_identity(BOB_ID, today=TODAY)
    assert BOB_ID not in repr(parsed) and BOB_ID not in str(parsed)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (dt.date(2000, 2, 29), dt.date(2016, 2, 28), 15),
        (dt.date(2000, 2, 29), dt.date(2016, 2, 29), 16),
        # Civil Code art. 201: in a common year the period ends on 28 February (issue 11, 8)
        (dt.date(2000, 2, 29), dt.date(2017, 2, 27), 16),
        (dt.date(2000, 2, 29), dt.date(2017, 2, 28), 17),
        (dt.date(2000, 2, 29), dt.date(2017, 3, 1), 17),
        (dt.date(2000, 2, 29), dt.date(2018, 3, 1), 18),
        (dt.date(2000, 2, 29), dt.date(2020, 2, 28), 19),
        (dt.date(2000, 2, 29), dt.date(2020, 2, 29), 20),
        (dt.date(2000, 2, 28), dt.date(2017, 2, 28), 17),
        (dt.date(2000, 3, 1), dt.date(2017, 2, 28), 16),
        (dt.date(2008, 11, 28), dt.date(2024, 11, 27), 15),
        (dt.date(2008, 11, 28), dt.date(2024, 11, 28), 16),
    ],
)
def test_age_on_a_date(birth: dt.date, on: dt.date, age: int) -> None:
    assert age_on(birth, on) == age


@given(eighteen_character_ids)
def test_valid_numbers_round_trip(number: str) -> None:
    parsed = parse_identity(number, today=TODAY)
    assert parsed.number == number
    assert parse_identity(number.lower(), today=TODAY) == parsed
    assert parse_identity(parsed.number, kind=parsed.kind, today=TODAY) == parsed
    assert parsed.birth_date is not None
    assert f"{parsed.birth_date:%Y%m%d}" == number[6:14]


@given(eighteen_character_ids, st.data())
def test_any_single_character_change_is_caught(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    replacement = data.draw(
        st.sampled_from([c for c in "0123456789X" if c != number[position]]), label="replacement"
    )
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(IdentityError):
        parse_identity(changed, today=TODAY)


@given(st.dates(min_value=dt.date(1900, 1, 1)), st.dates(min_value=dt.date(1900, 1, 1)))
def test_age_grows_by_one_on_each_birthday(birth: dt.date, on: dt.date) -> None:
    age = age_on(birth, on)
    if on >= birth:
        assert age >= 0
        assert on.year - birth.year - 1 <= age <= on.year - birth.year


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9000, 12, 31)))
def test_a_year_of_age_is_the_fee_year(birth: dt.date) -> None:
    """`age_on` and `fees.one_year_after` read a year the same way, 29 February included."""
    year_later = one_year_after(birth)
    assert age_on(birth, year_later) == 1
    assert age_on(birth, year_later - dt.timedelta(days=1)) == 0


def test_errors_survive_pickling_and_take_params_either_way() -> None:
    import pickle

    error = IdentityError("check_character", {"expected": "X"}, got="3")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.params, str(copy)) == (error.code, error.params, str(error))
    assert copy.message_key == "domain.identity.check_character"


def test_a_number_that_reads_as_another_document_is_not_a_passport() -> None:
    """Called a passport, a resident ID number would skip the age rules its birth date allows."""
    from branch_app.domain.identity import IdentityError, IdentityKind, parse_identity

    with pytest.raises(IdentityError) as refused:
        parse_identity("11010519491231002X", kind=IdentityKind.PASSPORT)
    assert refused.value.code == "kind_mismatch"
    assert parse_identity("E12345678", kind=IdentityKind.PASSPORT).kind is IdentityKind.PASSPORT


def english(error: IdentityError) -> str:
    """The error as the teller reads it in English: the catalog's text, filled with its params."""
    return t(error.message_key, "en", **error.params)


def test_an_error_carries_a_code_and_parameters_never_prose() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identity("11010519491231002Y")
    assert caught.value.code == "bad_check_form" and caught.value.params == {"character": "Y"}
    assert str(caught.value) == "bad_check_form {'character': 'Y'}"
