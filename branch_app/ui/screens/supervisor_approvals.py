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
from branch_app.ui.screens.supervisor_base import SupervisorScreen, local_time, row_under_cursor

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
            yield Static(id="approvals-detail", classes="supervisor-intro")
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

    def on_resize(self) -> None:
        if self.rows is not None:
            self._show()  # the columns follow the table's width

    def _show(self) -> None:
        """Every column visible (issue 12, bug 13: Status was off screen at 120 columns): fixed
        widths for the short columns, the request and the status wrap in what is left. Below 100
        columns the holder, the requester and the password check go to the details under the
        table (the approver is marked when the password was not checked)."""
        from rich.cells import cell_len
        from rich.text import Text

        grid = self.query_one("#approvals-table", DataTable)
        keep = row_under_cursor(grid)
        grid.clear(columns=True)
        if self.rows is None:
            self._show_detail()
            return
        width = grid.size.width or self.size.width or 78
        wide = width >= 100
        spare = width - 4  # the vertical scrollbar and a margin
        pad = 2 * grid.cell_padding

        def fit(key: str, least: int) -> int:
            return max(least, cell_len(t(key)))

        status = max(10, cell_len(t("supervisor.col.status")))
        approver = fit("supervisor.approvals.approved_by", 5 if wide else 12)
        if wide:
            fixed = {
                "supervisor.col.when": 16,
                "supervisor.col.holder": 18,
                "supervisor.approvals.requested_by": fit("supervisor.approvals.requested_by", 5),
                "supervisor.approvals.approved_by": approver,
                "supervisor.approvals.verified": fit("supervisor.approvals.verified", 3),
            }
        else:
            fixed = {"supervisor.col.when": 11, "supervisor.approvals.approved_by": approver}
        request = max(10, spare - sum(fixed.values()) - status - (len(fixed) + 2) * pad)
        grid.add_column(t("supervisor.col.when"), width=fixed["supervisor.col.when"])
        if wide:
            grid.add_column(t("supervisor.col.holder"), width=18)
        grid.add_column(t("supervisor.col.kind"), width=request)
        for key, size in fixed.items():
            if key not in ("supervisor.col.when", "supervisor.col.holder"):
                grid.add_column(t(key), width=size)
        grid.add_column(t("supervisor.col.status"), width=status)
        now = self.branch_app.now()
        no = t("supervisor.approvals.no")
        for row in self.rows:
            when = local_time(row.at, now)
            kind = Text(t("counter.kind_name.cancel") + " · " + reason_words(row.reason))
            state = Text(self._status(row))
            if wide:
                cells: tuple[str | Text, ...] = (
                    when,
                    row.holder_masked,
                    kind,
                    row.requested_by,
                    row.approved_by,
                    t("supervisor.approvals.yes") if row.verified else no,
                    state,
                )
            else:
                approved = Text(row.approved_by if row.verified else f"{row.approved_by} ({no})")
                cells = (when[5:], kind, approved, state)
            grid.add_row(*cells, key=str(row.audit_n), height=None)
        if keep is not None and any(str(row.audit_n) == keep for row in self.rows):
            grid.move_cursor(row=grid.get_row_index(keep))
        unverified = sum(1 for row in self.rows if not row.verified)
        text = t("supervisor.approvals.count", count=len(self.rows))
        if unverified:
            text += " " + t("supervisor.approvals.unverified", count=unverified)
        self.show_message("approvals-message", text, ok=None if unverified else True)
        self._show_detail()

    @staticmethod
    def _status(row: ApprovalRow) -> str:
        return t(f"supervisor.status.{row.outbox_status}") if row.outbox_status else "—"

    def selected(self) -> ApprovalRow | None:
        key = row_under_cursor(self.query_one("#approvals-table", DataTable))
        for row in self.rows or ():
            if str(row.audit_n) == key:
                return row
        return None

    @on(DataTable.RowHighlighted, "#approvals-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#approvals-detail", Static)
        row = self.selected()
        if row is None:
            detail.update("")
            return
        verified = t("supervisor.approvals.yes") if row.verified else t("supervisor.approvals.no")
        parts = [
            (t("supervisor.col.holder"), row.holder_masked),
            (t("supervisor.approvals.requested_by"), row.requested_by),
            (t("supervisor.approvals.approved_by"), row.approved_by),
            (t("supervisor.approvals.verified"), verified),
            (t("supervisor.col.status"), self._status(row)),
        ]
        detail.update(" · ".join(f"{label}: {value}" for label, value in parts))
