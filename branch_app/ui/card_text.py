"""A card reading in words: its generation and its holder, as the card widget and
`branch-app card read` show them (masked unless asked otherwise)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from branch_app.i18n import t

if TYPE_CHECKING:
    from readers.sscard import CardReading


def generation_text(reading: CardReading) -> str:
    """`Third generation (3.00)`: the card's generation, with its specification version."""
    text = t(f"reader.generation.{reading.generation.value}")
    return f"{text} ({reading.spec_version})" if reading.spec_version else text


def holder_text(reading: CardReading, *, unmasked: bool = False) -> str:
    """The holder's name and number, masked unless `unmasked`; "none" when the card has neither."""
    number = reading.social_security_number if unmasked else reading.masked_social_security_number
    name = reading.name if unmasked else reading.masked_name
    parts = [p for p in (name, number) if p]
    return " ".join(parts) if parts else t("reader.value.none")
