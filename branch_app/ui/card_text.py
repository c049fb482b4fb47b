"""A card reading in words: its generation and its holder, as the card widget and
`branch-app card read` show them (masked unless asked otherwise).

`readers` never masks: every masked ID number here goes through the domain's `mask_identity`,
the one masking rule. Reader errors and unread fields are codes; their words are in the reader
catalog (`reader.error.<code>`, `reader.unreadable.<reason>`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from branch_app.i18n import t

if TYPE_CHECKING:
    from typing import Any

    from readers.apdu import ReaderError
    from readers.sscard import CardReading, UnreadableField


def generation_text(reading: CardReading) -> str:
    """`Third generation (3.00)`: the card's generation, with its specification version."""
    text = t(f"reader.generation.{reading.generation.value}")
    return f"{text} ({reading.spec_version})" if reading.spec_version else text


def holder_text(reading: CardReading, *, unmasked: bool = False) -> str:
    """The holder's name and number, masked unless `unmasked`; "none" when the card has neither."""
    number = reading.social_security_number if unmasked else masked_number(reading)
    name = reading.name if unmasked else masked_name(reading)
    parts = [p for p in (name, number) if p]
    return " ".join(parts) if parts else t("reader.value.none")


def masked_number(reading: CardReading) -> str | None:
    """The holder's ID number masked by the domain's rule; None when the card did not give it."""
    from branch_app.domain.identity import mask_identity  # lazily: the domain is not in start-up

    number = reading.social_security_number
    return mask_identity(number) if number else None


def masked_name(reading: CardReading) -> str | None:
    """`王小明` -> `王**`: enough for the teller to recognise the card, not to copy the name."""
    name = reading.name
    return name[0] + "*" * (len(name) - 1) if name else None


def reading_fields(reading: CardReading, *, unmasked: bool = False) -> dict[str, Any]:
    """The reading's JSON-ready fields, the holder's masked unless `unmasked`."""
    if unmasked:
        return reading.to_dict(personal=True)
    data = reading.to_dict()
    birth = reading.birth_date
    data["social_security_number"] = masked_number(reading)
    data["name"] = masked_name(reading)
    data["birth_date"] = f"{birth.year:04d}-**-**" if birth else None
    return data


def reader_error_text(error: ReaderError, language: str | None = None) -> str:
    """The teller's sentence for a reader error (its code and parameters, from the catalog)."""
    return t(f"reader.error.{error.code}", language, **error.params)


def unreadable_text(problem: UnreadableField, language: str | None = None) -> str:
    """Why a field is missing from a reading, in words."""
    return t(f"reader.unreadable.{problem.reason.value}", language)
