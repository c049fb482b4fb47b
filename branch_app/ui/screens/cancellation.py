"""Cancellation: the card is closed. A death is final and rests on the police record or death
certificate number (typed here; the domain refuses a death without it); after other grounds the
person may apply for a new first card once entitled again. A teller's request carries the
approving supervisor's staff id (see `branch_app.services.counter`); a supervisor cancels alone.
When the device has a staff directory (the sync), the supervisor types the password too and it is
checked, with the role, through the staff login."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from branch_app.domain.lifecycle import Cancel, Command
from branch_app.domain.vocabulary import CancellationReason
from branch_app.i18n import t
from branch_app.ui.screens.counter_base import CounterScreen, Request

if TYPE_CHECKING:
    from branch_app.domain.identity import IdentityNumber
    from branch_app.services.counter import Approval, Checked, Counter, Refusal


def cancellation_options() -> list[tuple[str, str]]:
    return [(t(f"counter.cancel_reason.{r.value}"), r.value) for r in CancellationReason]


class CancellationScreen(CounterScreen):
    TITLE_KEY = "counter.title.cancellation"
    INTRO_KEY = "counter.intro.cancellation"
    DEFAULT_CSS = "CancellationScreen .counter-label { width: 1fr; }"  # long labels wrap

    def compose_choices(self) -> ComposeResult:
        yield Label(id="cancel-reason-label", classes="counter-label")
        yield Select[str](
            cancellation_options(),
            id="cancel-reason",
            allow_blank=False,
            value=CancellationReason.DEATH.value,
        )
        yield Label(id="cancel-evidence-label", classes="counter-label")
        yield Input(id="cancel-evidence", max_length=32)
        yield Label(id="cancel-approver-label", classes="counter-label")
        yield Input(id="cancel-approver", max_length=32)
        yield Label(id="cancel-password-label", classes="counter-label")
        yield Input(id="cancel-password", password=True, max_length=128)

    def reason(self) -> CancellationReason:
        value = self.query_one("#cancel-reason", Select).value
        return CancellationReason(value if isinstance(value, str) else "death")

    def evidence(self) -> str | None:
        """The police record or death certificate number: a death's evidence only."""
        if self.reason() is not CancellationReason.DEATH:
            return None
        return self.query_one("#cancel-evidence", Input).value.strip() or None

    @on(Select.Changed, "#cancel-reason")
    def _reason_changed(self, _event: Select.Changed) -> None:
        self.query_one("#cancel-evidence", Input).disabled = (
            self.reason() is not CancellationReason.DEATH
        )

    def relabel_choices(self) -> None:
        self.query_one("#cancel-reason-label", Label).update(
            t("counter.choice.cancellation_reason")
        )
        select = self.query_one("#cancel-reason", Select)
        chosen = self.reason().value
        options = cancellation_options()
        with select.prevent(Select.Changed):
            select.set_options(options)
            # set_options picks the first option; the shown label is re-worded only when the
            # value changes, so choosing the first again would keep the old language's words
            # (issue 12, bug 3): pass by another option first.
            if select.value == chosen:
                select.value = options[-1][1] if chosen != options[-1][1] else options[0][1]
            select.value = chosen
        self.query_one("#cancel-evidence-label", Label).update(t("counter.choice.death_evidence"))
        self.query_one("#cancel-approver-label", Label).update(t("counter.choice.approver"))
        self.query_one("#cancel-password-label", Label).update(
            t("counter.choice.approver_password")
        )

    def sample_command(self) -> Command:
        return Cancel(reason=CancellationReason.DEATH)

    def approver(self) -> str:
        return self.query_one("#cancel-approver", Input).value.strip()

    def request(self) -> Request | Refusal:
        """The cancellation; with a sync (a staff directory), the approver's password and role
        are checked once, in the worker, before the decision is shown."""
        reason, approver, evidence = self.reason(), self.approver(), self.evidence()
        password_input = self.query_one("#cancel-password", Input)
        password, password_input.value = password_input.value, ""
        sync = self.branch_app.services.sync
        verified: list[Approval] = []

        def run(counter: Counter, holder: IdentityNumber, dry_run: bool) -> Checked:
            from branch_app.services.counter import Refusal, approve

            if approver and sync is not None and not verified:
                approval = approve(sync, approver, password)
                if isinstance(approval, Refusal):
                    return approval
                verified.append(approval)  # with the approver's key, to sign the request
            return counter.cancel(
                holder,
                reason,
                evidence=evidence,
                approved_by=approver or None,
                approval_verified=bool(verified),
                approver_signer=verified[0].signer if verified else None,
                dry_run=dry_run,
            )

        return run

    def confirm_lines(self) -> list[tuple[str, str]]:
        lines = []
        evidence = self.evidence()
        if evidence:
            lines.append((t("counter.confirm.death_evidence"), evidence))
        approver = self.approver()
        if approver:
            lines.append((t("counter.confirm.approver"), approver))
        return lines

    def reset_choices(self) -> None:
        self.query_one("#cancel-reason", Select).value = CancellationReason.DEATH.value
        self.query_one("#cancel-evidence", Input).value = ""
        self.query_one("#cancel-approver", Input).value = ""
        self.query_one("#cancel-password", Input).value = ""
