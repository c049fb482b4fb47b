"""Unlock: the holder found the card after the loss report and before applying for a replacement."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label

from branch_app.domain.lifecycle import Command, Unlock
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import CounterScreen, Request
from branch_app.ui.widgets.where_choice import WhereChoice


class UnlockScreen(CounterScreen):
    TITLE_KEY = "counter.title.unlock"
    INTRO_KEY = "counter.intro.unlock"

    def compose_choices(self) -> ComposeResult:
        yield Label(id="unlock-where-label", classes="counter-label")
        yield WhereChoice("_unlock", id="unlock-where")

    def relabel_choices(self) -> None:
        self.query_one("#unlock-where-label", Label).update(t("counter.choice.where"))
        self.query_one("#unlock-where", WhereChoice).relabel()

    def sample_command(self) -> Command:
        return Unlock(at_card_bank=False)

    def request(self) -> Request:
        at_card_bank = self.query_one("#unlock-where", WhereChoice).at_card_bank()
        return lambda counter, holder, dry_run: counter.unlock(
            holder, at_card_bank=at_card_bank, dry_run=dry_run
        )

    def reset_choices(self) -> None:
        self.query_one("#unlock-where", WhereChoice).reset()
