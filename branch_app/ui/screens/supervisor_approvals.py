"""Approvals: what a second person approved at this device, from the audit journal.

Approvals happen at the counter, in the request itself: a teller's cancellation carries the
approving supervisor's staff id and, when the device has a staff directory, the supervisor's
password checked with the staff login. This screen is the supervisor's review of them: who asked,
who approved, whether the approval was verified, for which (masked) holder, when, and what became
of the request in the queue. An unverified approval (made without a staff directory) is marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from branch_app.i18n import t
from branch_app.ui.screens.supervisor_base import SupervisorScreen, local_time

if TYPE_CHECKING:
    from branch_app.services.supervisor import ApprovalRow


def reason_words(reason: str) -> str:
    """`cancellation:death` -> the counter's words for the cancellation reason."""
    service, _, choice = reason.partition(":")
    if service == "cancellation" and choice:
        key = f"counter.cancel_reason.{choice}"
        text = t(key)
        return text if text != key else choice
    return reason


class ApprovalsScreen(SupervisorScreen):
    TITLE_KEY = "supervisor.approvals.title"

    class ApprovalsLoaded(Message):
        def __init__(
            self, rows: list[ApprovalRow] | None, problem: str | None, generation: int
        ) -> None:
            super().__init__()
            self.rows = rows
            self.problem = problem
            self.generation = generation

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ApprovalRow] | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="supervisor-body panel", id="approvals-main"):
            yield Static(id="approvals-intro", classes="supervisor-intro")
            yield DataTable(id="approvals-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="approvals-message", classes="supervisor-message")

    def on_mount(self) -> None:
        self.query_one("#approvals-table", DataTable).focus()

    def relabel(self) -> None:
        self.query_one("#approvals-main").border_title = t("supervisor.approvals.title")
        self.query_one("#approvals-intro", Static).update(t("supervisor.approvals.intro"))
        self._show()

    def action_reload(self) -> None:
        problem = self.gate_problem()
        if problem is not None:
            self.rows = None
            self._show()
            self.show_message("approvals-message", t(problem), ok=False)
            return
        self._load(self.next_generation())

    @work(thread=True, exclusive=True, exit_on_error=False, group="supervisor-approvals")
    def _load(self, generation: int) -> None:
        from branch_app.services.supervisor import read_approvals

        try:
            rows = read_approvals(self.store())
        except Exception as error:  # the journal could not be read
            detail = getattr(error, "english", None) or type(error).__name__
            self.post_message(
                self.ApprovalsLoaded(None, t("supervisor.failed", detail=detail), generation)
            )
            return
        self.post_message(self.ApprovalsLoaded(rows, None, generation))

    @on(ApprovalsLoaded)
    def _loaded(self, message: ApprovalsLoaded) -> None:
        if message.generation != self.generation:
            return  # a later read is on its way
        if message.problem is not None:
            self.show_message("approvals-message", message.problem, ok=False)
            return
        self.rows = message.rows
        self._show()

    def _show(self) -> None:
        grid = self.query_one("#approvals-table", DataTable)
        grid.clear(columns=True)
        if self.rows is None:
            return
        grid.add_columns(
            t("supervisor.col.when"),
            t("supervisor.col.holder"),
            t("supervisor.col.kind"),
            t("supervisor.approvals.requested_by"),
            t("supervisor.approvals.approved_by"),
            t("supervisor.approvals.verified"),
            t("supervisor.col.status"),
        )
        now = self.branch_app.now()
        for row in self.rows:
            grid.add_row(
                local_time(row.at, now),
                row.holder_masked,
                t("counter.kind_name.cancel") + " · " + reason_words(row.reason),
                row.requested_by,
                row.approved_by,
                t("supervisor.approvals.yes") if row.verified else t("supervisor.approvals.no"),
                t(f"supervisor.status.{row.outbox_status}") if row.outbox_status else "—",
                key=str(row.audit_n),
            )
        unverified = sum(1 for row in self.rows if not row.verified)
        text = t("supervisor.approvals.count", count=len(self.rows))
        if unverified:
            text += " " + t("supervisor.approvals.unverified", count=unverified)
        self.show_message("approvals-message", text, ok=None if unverified else True)
