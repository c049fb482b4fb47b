"""Identity numbers a holder presents at the counter, checked the way the issuing rules define them.

Pure functions only: the UI, the store and the central service all validate the same way. Every
refusal is an `IdentityError` whose `code` and `params` select a translated text from the catalog
(`domain.identity.<code>`) and whose `str()` says in English exactly what is wrong.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

# GB 11643: weights over the first 17 digits, check = CHECK_CHARACTERS[sum mod 11].
RESIDENT_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

# Province-level codes of GB/T 2260 that appear as the first two digits of a mainland resident ID.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
    }
)

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


class IdentityKind(StrEnum):
    """Which document the number comes from; it decides the applicant rules (agents, collection)."""

    RESIDENT = "resident"
    HONG_KONG_PERMIT = "hong_kong_permit"
    MACAU_PERMIT = "macau_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT = "foreign_permanent"  # 2023 form, 18 characters starting with 9
    FOREIGN_PERMANENT_2017 = "foreign_permanent_2017"  # 15 characters: 3 letters + 12 digits
    PASSPORT = "passport"

    @property
    def may_send_agent(self) -> bool:
        """HK/Macau/Taiwan residents and foreigners may send an agent aged 18+ to apply."""
        return self is not IdentityKind.RESIDENT


PERMIT_AREA_CODES: Mapping[str, IdentityKind] = {
    "810000": IdentityKind.HONG_KONG_PERMIT,
    "820000": IdentityKind.MACAU_PERMIT,
    "830000": IdentityKind.TAIWAN_PERMIT,
}

_EIGHTEEN_CHARACTER_KINDS = frozenset(
    {
        IdentityKind.RESIDENT,
        IdentityKind.HONG_KONG_PERMIT,
        IdentityKind.MACAU_PERMIT,
        IdentityKind.TAIWAN_PERMIT,
        IdentityKind.FOREIGN_PERMANENT,
    }
)


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


#: Every identity error code; its text, in both languages, is `domain.identity.<code>`.
IDENTITY_ERROR_CODES = frozenset(
    {
        "empty",
        "wrong_length",
        "unknown_form",
        "first_generation",
        "not_a_digit",
        "not_a_letter",
        "bad_check_form",
        "check_character",
        "bad_area_code",
        "bad_permit_area_code",
        "bad_birth_date",
        "birth_date_in_future",
        "birth_date_too_early",
        "kind_mismatch",
        "bad_passport",
    }
)


class IdentityError(ValueError):
    """A number that is not a valid identity number, with the exact reason."""

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
        """The catalog key of the translated text (fill it with `params`)."""
        return f"domain.identity.{self.code}"


@dataclass(frozen=True, slots=True)
class IdentityNumber:
    """A checked identity number, normalised (upper-case letters, no surrounding spaces)."""

    kind: IdentityKind
    number: str
    birth_date: dt.date | None
    sex: Sex | None
    area_code: str | None

    def masked(self) -> str:
        return mask_identity(self.number)

    def __str__(self) -> str:  # never show or log the full number by accident
        return mask_identity(self.number)

    def __repr__(self) -> str:
        return (
            f"IdentityNumber(kind={self.kind.value!r}, number={mask_identity(self.number)!r}, "
            f"birth_date={self.birth_date!r}, sex={self.sex!r}, area_code={self.area_code!r})"
        )


def resident_check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("the check character is computed over exactly 17 digits")
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, RESIDENT_WEIGHTS, strict=True)
    )
    return CHECK_CHARACTERS[total % 11]


def mask_identity(number: str) -> str:
    """Keep the first 6 and last 4 characters (`440106********123X`); short numbers keep less."""
    text = number.strip()
    if len(text) > 10:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) > 4:
        return "*" * (len(text) - 4) + text[-4:]
    return "*" * len(text)


def mask_contact(text: str) -> str:
    """A contact detail on screen (mobile number, address): the first 3 and last 4 characters
    (`138****8000`), the rest hidden; short texts are hidden whole."""
    text = text.strip()
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years on `on`.

    Someone born on 29 February turns a year older on 28 February in other years: a period in
    years ends on the corresponding day, or on the month's last day where there is none (Civil
    Code, art. 201), the same reading as the fee's one year (`fees.one_year_after`)."""
    years = on.year - birth.year
    birthday = (birth.month, birth.day)
    if birthday == (2, 29) and not calendar.isleap(on.year):
        birthday = (2, 28)
    if (on.month, on.day) < birthday:
        years -= 1
    return years


def parse_identity(
    text: str, *, kind: IdentityKind | None = None, today: dt.date | None = None
) -> IdentityNumber:
    """Check and normalise an identity number.

    Without `kind`, the form decides: 18 characters are a resident ID, a HK/Macau/Taiwan residence
    permit (area 810000/820000/830000) or a 2023 foreigner's permanent residence ID (starts with 9);
    15 characters with 3 letters are a 2017 permanent residence ID. Passports are never guessed:
    pass `kind=IdentityKind.PASSPORT`. `today` bounds the birth date (default: the system date).
    """
    number = text.strip().upper()
    if not number:
        raise IdentityError("empty")
    today = today or dt.date.today()
    if kind is IdentityKind.PASSPORT:
        # A number that reads as another document is that document: called a "passport" it
        # would skip the checks its birth date allows (the age rules), at the counter and at
        # the central alike.
        try:
            other = parse_identity(number, today=today)
        except IdentityError:
            return _parse_passport(number)
        raise IdentityError("kind_mismatch", found=str(other.kind), expected=str(kind))
    if kind is IdentityKind.FOREIGN_PERMANENT_2017:
        return _parse_2017_permanent(number)
    if kind in _EIGHTEEN_CHARACTER_KINDS:
        if len(number) != 18:
            raise IdentityError("wrong_length", expected=18, length=len(number))
        found = _parse_eighteen(number, today)
        if found.kind is not kind:
            raise IdentityError("kind_mismatch", found=str(found.kind), expected=str(kind))
        return found
    if len(number) == 18:
        return _parse_eighteen(number, today)
    if len(number) == 15:
        if number.isascii() and number.isdigit():
            raise IdentityError("first_generation")
        return _parse_2017_permanent(number)
    raise IdentityError("unknown_form", length=len(number))


def _parse_eighteen(number: str, today: dt.date) -> IdentityNumber:
    for position, character in enumerate(number[:17], start=1):
        if not ("0" <= character <= "9"):
            raise IdentityError("not_a_digit", position=position, character=character)
    last = number[17]
    if not ("0" <= last <= "9" or last == "X"):
        raise IdentityError("bad_check_form", character=last)
    expected = resident_check_character(number[:17])
    if last != expected:
        raise IdentityError("check_character", expected=expected, got=last)
    area_code = number[:6]
    if area_code[0] == "9":
        kind = IdentityKind.FOREIGN_PERMANENT
        if area_code[1:3] not in PROVINCE_CODES:
            raise IdentityError("bad_area_code", area_code=area_code)
    elif area_code[:2] in {"81", "82", "83"}:
        permit = PERMIT_AREA_CODES.get(area_code)
        if permit is None:
            raise IdentityError("bad_permit_area_code", area_code=area_code)
        kind = permit
    elif area_code[:2] in PROVINCE_CODES:
        kind = IdentityKind.RESIDENT
    else:
        raise IdentityError("bad_area_code", area_code=area_code)
    birth = _birth_date(number[6:14], today)
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return IdentityNumber(kind=kind, number=number, birth_date=birth, sex=sex, area_code=area_code)


def _birth_date(digits: str, today: dt.date) -> dt.date:
    try:
        birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdentityError("bad_birth_date", birth=digits) from None
    if birth < EARLIEST_BIRTH_DATE:
        raise IdentityError("birth_date_too_early", birth=digits)
    if birth > today:
        raise IdentityError("birth_date_in_future", birth=digits, today=today.strftime("%Y%m%d"))
    return birth


_PASSPORT = re.compile(r"[A-Z0-9]{5,18}")  # the central keeps 18 characters


def _parse_passport(number: str) -> IdentityNumber:
    if not _PASSPORT.fullmatch(number) or not number.isascii():
        raise IdentityError("bad_passport", length=len(number))
    return IdentityNumber(
        kind=IdentityKind.PASSPORT, number=number, birth_date=None, sex=None, area_code=None
    )


def _parse_2017_permanent(number: str) -> IdentityNumber:
    kind = IdentityKind.FOREIGN_PERMANENT_2017
    if len(number) != 15:
        raise IdentityError("wrong_length", expected=15, length=len(number))
    for position, character in enumerate(number, start=1):
        if position <= 3 and not ("A" <= character <= "Z"):
            raise IdentityError("not_a_letter", position=position, character=character)
        if position > 3 and not ("0" <= character <= "9"):
            raise IdentityError("not_a_digit", position=position, character=character)
    return IdentityNumber(kind=kind, number=number, birth_date=None, sex=None, area_code=None)
