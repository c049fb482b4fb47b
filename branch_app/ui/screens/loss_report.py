"""Loss report in person at a branch: at the card's own bank it freezes the bank account too."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label

from branch_app.domain.lifecycle import Command, ReportLoss
from branch_app.domain.vocabulary import LossChannel
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import CounterScreen, Request
from branch_app.ui.widgets.where_choice import WhereChoice


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
