"""Loss report in person at a branch: whatever the channel, both functions freeze at once (the
social security function and the bank account; seed: 同步冻结). Where it was made (the card's own
bank or another cooperating bank) is recorded by the counter from the record's bank."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from branch_app.domain.lifecycle import Command, ReportLoss
from branch_app.domain.vocabulary import LossChannel
from branch_app.i18n import t
from branch_app.ui.counter_text import table
from branch_app.ui.screens.counter_base import Answer, CounterScreen, Request

if TYPE_CHECKING:
    from branch_app.domain.identity import IdentityNumber
    from branch_app.services.counter import Preview


def functions_line(preview: Preview) -> tuple[str, str]:
    """The card's two functions after the request, as decided (`label`, `value`)."""
    after = preview.record_after
    return (
        t("counter.confirm.functions"),
        t(
            "counter.functions.after",
            social_security=t(f"counter.function.{after.social_security.value}"),
            financial=t(f"counter.function.{after.financial.value}"),
        ),
    )


class FunctionsShown(CounterScreen):
    """A service whose confirm step and answer say what becomes of both functions."""

    def __init__(self) -> None:
        super().__init__()
        #: The request as decided for the confirm step (its functions line).
        self.previewed: Preview | None = None

    def _confirm(self, holder: IdentityNumber, request: Request, preview: Answer) -> None:
        from branch_app.services.counter import Preview

        self.previewed = preview if isinstance(preview, Preview) else None
        super()._confirm(holder, request, preview)

    def confirm_lines(self) -> list[tuple[str, str]]:
        return [] if self.previewed is None else [functions_line(self.previewed)]

    def show_outcome(self, outcome: Answer) -> None:
        from branch_app.services.counter import Accepted

        super().show_outcome(outcome)
        if not isinstance(outcome, Accepted):
            return
        result = self.query_one("#counter-result", Static)
        shown = result.content
        text = shown.copy() if isinstance(shown, Text) else Text(str(shown))
        text.append("\n")
        text.append_text(table([functions_line(outcome)]))
        result.update(text)


class LossReportScreen(FunctionsShown):
    TITLE_KEY = "counter.title.loss_report"
    INTRO_KEY = "counter.intro.loss_report"

    def sample_command(self) -> Command:
        return ReportLoss(channel=LossChannel.OTHER_BANK_BRANCH)

    def request(self) -> Request:
        return lambda counter, holder, dry_run: counter.report_loss(holder, dry_run=dry_run)
