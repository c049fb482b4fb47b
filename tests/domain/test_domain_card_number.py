"""Card numbers (a wrong check character is a warning) and card identification codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branch_app.domain.card_number import (
    CardNumberError,
    card_number_check_character,
    check_card_number,
    parse_card_identification_code,
)
from tests.domain.domain_strategies import card_numbers


def test_the_spec_example_passes() -> None:
    result = check_card_number("X00000019")
    assert result.check_ok and result.expected == "9" and result.warning is None


def test_remainders_ten_and_eleven_become_x_and_zero() -> None:
    # sum 1 (mod 11) -> 11 - 1 = 10 -> X; sum 0 (mod 11) -> 11 -> 0
    assert card_number_check_character("00000000") == "0"
    assert card_number_check_character("00000030") == "X"  # 3 * 4 = 12 = 1 (mod 11)


def test_a_wrong_check_character_is_a_warning() -> None:
    result = check_card_number("x00000018")
    assert result.number == "X00000018"
    assert not result.check_ok
    assert result.expected == "9"
    assert result.warning == "domain.card.check_warning"
    assert result.warning_params == {"expected": "9", "got": "8"}
    assert result.warning_params == {"expected": "9", "got": "8"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("X0000001", "card_number_length"),
        ("X000000190", "card_number_length"),
        ("X0000-019", "card_number_character"),
        ("X0000001A", "card_number_check_character"),
    ],
)
def test_malformed_card_numbers_are_errors(text: str, code: str) -> None:
    with pytest.raises(CardNumberError) as caught:
        check_card_number(text)
    assert caught.value.code == code
    assert caught.value.message_key == f"domain.card.{code}"


@given(card_numbers)
def test_valid_card_numbers_round_trip(number: str) -> None:
    result = check_card_number(number.lower())
    assert result.check_ok and result.number == number


def value(character: str) -> int:
    return int(character, 36)


@given(card_numbers, st.integers(min_value=0, max_value=8), st.data())
def test_a_changed_character_is_caught_unless_its_value_differs_by_eleven(
    number: str, position: int, data: st.DataObject
) -> None:
    alphabet = "0123456789X" if position == 8 else "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    result = check_card_number(changed)
    if position == 8:
        assert not result.check_ok  # the check character itself: always caught
    else:
        # weights are 2..10, prime to 11: only a change by a multiple of 11 (1 -> C) slips by,
        # one reason why a mismatch is a warning and the check only a hint
        slips_by = (value(replacement) - value(number[position])) % 11 == 0
        assert result.check_ok == slips_by
        assert result.expected == card_number_check_character(changed[:8])


def test_card_identification_code() -> None:
    code = parse_card_identification_code("440100d15600000500112233445566aa")
    assert code.code == "440100D15600000500112233445566AA"
    assert code.area_code == "440100"
    assert code.serial == "00112233445566AA"
    for bad, error in [
        ("440100D156000005001122334455", "code_length"),
        ("440100D15600000500112233445566AG", "code_character"),
        ("4401A0D15600000500112233445566AA", "code_area"),
        ("440100D15600000600112233445566AA", "code_issuer"),
    ]:
        with pytest.raises(CardNumberError) as caught:
            parse_card_identification_code(bad)
        assert caught.value.code == error
