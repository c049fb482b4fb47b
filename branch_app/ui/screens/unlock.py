"""Unlock: the holder found the card after the loss report, before applying for a replacement,
and shows it. Its number is read from the card in the reader (`card_read`), or, when the chip
cannot be read, typed from the card's face and checked as it is typed (a wrong check character
is a warning: the teller compares with the card). The domain refuses an unlock without the card
(`card_required`) or with another card than the record's current one (`card_not_current`).
Both functions are restored at any cooperating bank."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from branch_app.domain.card_number import CardNumberCheck, CardNumberError, check_card_number
from branch_app.domain.lifecycle import Command, Unlock
from branch_app.domain.vocabulary import RefusalReason
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import Request
from branch_app.ui.screens.loss_report import FunctionsShown

if TYPE_CHECKING:
    from branch_app.services.counter import Refusal
    from readers.sscard import CardReading


class UnlockScreen(FunctionsShown):
    TITLE_KEY = "counter.title.unlock"
    INTRO_KEY = "counter.intro.unlock"

    DEFAULT_CSS = """
    UnlockScreen #unlock-card-reason { height: auto; }
    UnlockScreen .counter-label { width: 1fr; }
    UnlockScreen #unlock-card-reason.-error { color: $error; }
    UnlockScreen #unlock-card-reason.-warning { color: $warning; }
    UnlockScreen #unlock-card-reason.-ok { color: $success; }
    """

    def __init__(self) -> None:
        super().__init__()
        #: The number read from the chip of the card in the reader, while it is the input's value.
        self.read_card: str | None = None

    def compose_choices(self) -> ComposeResult:
        yield Label(id="unlock-card-label", classes="counter-label")
        yield Input(id="unlock-card", max_length=9)
        yield Static(id="unlock-card-reason")

    def relabel_choices(self) -> None:
        self.query_one("#unlock-card-label", Label).update(t("counter.choice.found_card"))
        self.query_one("#unlock-card", Input).placeholder = t("counter.found_card.placeholder")
        self._show_card()

    def sample_command(self) -> Command:
        return Unlock(at_card_bank=False)

    # -- the found card ----------------------------------------------------------------------
    def use_card(self, reading: CardReading) -> None:
        """The card in the reader is the card shown: its number (read from the chip), and the
        holder from it when the holder data can be read."""
        number = (getattr(reading, "card_number", None) or "").strip().upper()
        if number:
            self.read_card = number
            self.query_one("#unlock-card", Input).value = number
            self._show_card()
        super().use_card(reading)

    @on(Input.Changed, "#unlock-card")
    def _card_changed(self, event: Input.Changed) -> None:
        if self.read_card is not None and event.value.strip().upper() != self.read_card:
            self.read_card = None  # typed over: a number from the card's face now
        self._show_card()

    def found_card(self) -> tuple[str, bool] | CardNumberCheck | CardNumberError | None:
        """The card shown: (number, read from the chip) when read; the typed number's check
        (perhaps with a warning) or why it cannot be a card number; `None` when nothing."""
        value = self.query_one("#unlock-card", Input).value.strip().upper()
        if not value:
            return None
        if value == self.read_card:
            return value, True
        try:
            return check_card_number(value)
        except CardNumberError as error:
            return error

    def _show_card(self) -> None:
        reason = self.query_one("#unlock-card-reason", Static)
        found = self.found_card()
        state = "ok"
        if found is None:
            words = ""
        elif isinstance(found, tuple):
            words = t("counter.found_card.read", number=found[0])
        elif isinstance(found, CardNumberError):
            words, state = t(found.message_key, None, **found.params), "error"
        elif found.check_ok:
            words = t("counter.found_card.typed", number=found.number)
        else:
            words, state = t("domain.card.check_warning", **found.warning_params), "warning"
        reason.update(Text(words))
        for name in ("ok", "warning", "error"):
            reason.set_class(bool(words) and state == name, f"-{name}")

    # -- the request ---------------------------------------------------------------------------
    def request(self) -> Request | Refusal:
        from branch_app.services.counter import Refusal

        found = self.found_card()
        if isinstance(found, CardNumberError):
            return Refusal(
                RefusalReason.CARD_NUMBER_MALFORMED.value, found.message_key, dict(found.params)
            )
        if isinstance(found, tuple):
            number: str | None
            number, read = found
        else:
            number, read = (None, False) if found is None else (found.number, False)
        return lambda counter, holder, dry_run: counter.unlock(
            holder, card_number=number, card_read=read, dry_run=dry_run
        )

    def confirm_lines(self) -> list[tuple[str, str]]:
        found = self.found_card()
        lines: list[tuple[str, str]] = []
        if isinstance(found, tuple):
            lines.append(
                (t("counter.confirm.found_card"), t("counter.found_card.how_read", number=found[0]))
            )
        elif isinstance(found, CardNumberCheck):
            how = t("counter.found_card.how_typed", number=found.number)
            if not found.check_ok:
                how += " " + t("domain.card.check_warning", **found.warning_params)
            lines.append((t("counter.confirm.found_card"), how))
        return lines + super().confirm_lines()

    def reset_choices(self) -> None:
        self.read_card = None
        self.query_one("#unlock-card", Input).value = ""
