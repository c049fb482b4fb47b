"""Loss report in person at a branch: at the card's own bank it freezes the bank account too."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, RadioButton, RadioSet

from branch_app.domain.lifecycle import Command, LossChannel, ReportLoss
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import CounterScreen, Request

#: The "where" choices: decided from the record's bank, or said by the teller.
WHERE = ("auto", "card_bank", "other_bank")


def where_flag(index: int | None) -> bool | None:
    """`at_card_bank` for the counter: None lets the record's bank decide."""
    choice = WHERE[index or 0]
    return None if choice == "auto" else choice == "card_bank"


class WhereChoice(RadioSet):
    """Which bank this branch is, relative to the card's bank."""

    def __init__(self, suffix: str = "", **kwargs: object) -> None:
        self.suffix = suffix
        buttons = [RadioButton(id=f"where-{choice}", value=choice == "auto") for choice in WHERE]
        super().__init__(*buttons, **kwargs)  # type: ignore[arg-type]

    def relabel(self) -> None:
        for choice in WHERE:
            key = f"counter.where.{choice}" + (self.suffix if choice != "auto" else "")
            self.query_one(f"#where-{choice}", RadioButton).label = t(key)

    def at_card_bank(self) -> bool | None:
        return where_flag(self.pressed_index)

    def reset(self) -> None:
        self.query_one("#where-auto", RadioButton).value = True


class LossReportScreen(CounterScreen):
    TITLE_KEY = "counter.title.loss_report"
    INTRO_KEY = "counter.intro.loss_report"

    def compose_choices(self) -> ComposeResult:
        yield Label(id="loss-where-label", classes="counter-label")
        yield WhereChoice(id="loss-where")

    def relabel_choices(self) -> None:
        self.query_one("#loss-where-label", Label).update(t("counter.choice.where"))
        self.query_one("#loss-where", WhereChoice).relabel()

    def sample_command(self) -> Command:
        return ReportLoss(channel=LossChannel.OTHER_BANK_BRANCH)

    def request(self) -> Request:
        at_card_bank = self.query_one("#loss-where", WhereChoice).at_card_bank()
        return lambda counter, holder, dry_run: counter.report_loss(
            holder, at_card_bank=at_card_bank, dry_run=dry_run
        )

    def reset_choices(self) -> None:
        self.query_one("#loss-where", WhereChoice).reset()
