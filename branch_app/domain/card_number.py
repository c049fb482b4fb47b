"""Card numbers (卡号) and card identification codes (卡识别码) as printed on and read from the card.

The card number's check character follows the rule used by public personalisation tools; it is not
confirmed by an authoritative text, so a mismatch is a warning the teller sees, never a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

CARD_NUMBER_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
CARD_NUMBER_LENGTH = 9
ISSUER_MARK = "D156000005"  # fixed middle part of every card identification code

#: Every card number error code; its text, in both languages, is `domain.card.<code>`.
CARD_ERROR_CODES = frozenset(
    {
        "empty",
        "card_number_length",
        "card_number_character",
        "card_number_check_character",
        "check_warning",
        "code_length",
        "code_character",
        "code_area",
        "code_issuer",
    }
)


class CardNumberError(ValueError):
    """A card number or identification code that cannot be one (wrong length or characters)."""

    def __init__(
        self, code: str, params: Mapping[str, str | int] | None = None, /, **more: str | int
    ) -> None:
        self.code = code
        self.params: dict[str, str | int] = {**(params or {}), **more}
        # A code and its parameters, never prose: the catalog says it in either language.
        super().__init__(f"{code} {self.params}" if self.params else code)

    def __reduce__(self) -> tuple[type, tuple[str, dict[str, str | int]]]:
        return (type(self), (self.code, self.params))

    @property
    def message_key(self) -> str:
        return f"domain.card.{self.code}"


@dataclass(frozen=True, slots=True)
class CardNumberCheck:
    """A well-formed card number; `check_ok` False means the check character did not match."""

    number: str
    check_ok: bool
    expected: str
    #: The catalog key of the warning when the check character did not match (`warning_params`).
    warning: str | None = None

    @property
    def warning_params(self) -> dict[str, str]:
        """Parameters of the `domain.card.check_warning` text, for the translated warning."""
        return {"expected": self.expected, "got": self.number[-1]}


@dataclass(frozen=True, slots=True)
class CardIdentificationCode:
    """The 32-hex card identification code of EF05 tag 01: area code + D156000005 + 16 hex."""

    code: str
    area_code: str
    serial: str


def _character_value(character: str) -> int:
    if "0" <= character <= "9":
        return ord(character) - ord("0")
    return ord(character) - ord("A") + 10


def card_number_check_character(first8: str) -> str:
    """The check character over the first 8 characters (digits, or A=10 .. Z=35)."""
    if not re.fullmatch(r"[0-9A-Z]{8}", first8):
        raise ValueError("the check character is computed over 8 digits or capital letters")
    total = sum(_character_value(c) * w for c, w in zip(first8, CARD_NUMBER_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    if remainder == 10:
        return "X"
    if remainder == 11:
        return "0"
    return str(remainder)


def check_card_number(text: str) -> CardNumberCheck:
    """Check the form of a card number; a wrong check character gives a warning, not an error."""
    number = text.strip().upper()
    if not number:
        raise CardNumberError("empty")
    if len(number) != CARD_NUMBER_LENGTH:
        raise CardNumberError("card_number_length", length=len(number))
    for position, character in enumerate(number[:8], start=1):
        if not ("0" <= character <= "9" or "A" <= character <= "Z"):
            raise CardNumberError("card_number_character", position=position, character=character)
    last = number[8]
    if not ("0" <= last <= "9" or last == "X"):
        raise CardNumberError("card_number_check_character", character=last)
    expected = card_number_check_character(number[:8])
    if last == expected:
        return CardNumberCheck(number=number, check_ok=True, expected=expected)
    return CardNumberCheck(
        number=number, check_ok=False, expected=expected, warning="domain.card.check_warning"
    )


def parse_card_identification_code(hex32: str) -> CardIdentificationCode:
    """Check and normalise (upper case) a card identification code."""
    code = hex32.strip().upper()
    if len(code) != 32:
        raise CardNumberError("code_length", length=len(code))
    for position, character in enumerate(code, start=1):
        if character not in "0123456789ABCDEF":
            raise CardNumberError("code_character", position=position, character=character)
    area_code = code[:6]
    if not area_code.isdigit():
        raise CardNumberError("code_area", area_code=area_code)
    if code[6:16] != ISSUER_MARK:
        raise CardNumberError("code_issuer", expected=ISSUER_MARK, got=code[6:16])
    return CardIdentificationCode(code=code, area_code=area_code, serial=code[16:])
