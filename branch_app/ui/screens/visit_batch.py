"""The supervisor's review and approval of a home-visit laptop's batch (issue 13), back at the
branch after a sync: every request taken since the last approval, its status, what the central
answered and whether its receipt was printed or saved; "Approve" (refused while a request is
unsent) is audited and opens the laptop's limit again. The work is `services.visit_batch`."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from branch_app.i18n import t
from branch_app.ui.screens.supervisor_base import SupervisorScreen, local_time, row_under_cursor
from branch_app.ui.status import OutboxChanged
from branch_app.ui.supervisor_text import reason_text
from branch_app.ui.widgets.paged_table import Formatted, PagedTable

if TYPE_CHECKING:
    from branch_app.services.counter import Refusal
    from branch_app.services.visit_batch import BatchApproved, BatchReview, BatchRow, VisitBatch


class VisitBatchScreen(SupervisorScreen):
    TITLE_KEY = "visit_batch.title"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f8", "sync_now", "supervisor.key.sync_now", id="visit_batch_sync"),
        Binding("f9", "approve", "visit_batch.approve", id="visit_batch_approve"),
    ]

    class Reviewed(Message):
        """The batch was read (posted from the worker thread)."""

        def __init__(
            self, review: BatchReview | None, problem: str | None, generation: int
        ) -> None:
            super().__init__()
            self.review = review
            self.problem = problem
            self.generation = generation

    class Approved(Message):
        """The approval's outcome (posted from the worker thread)."""

        def __init__(self, outcome: BatchApproved | Refusal | None, problem: str | None) -> None:
            super().__init__()
            self.outcome = outcome
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.review: BatchReview | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="supervisor-body"):
            with Vertical(classes="supervisor-side"):
                yield Static(id="batch-summary", classes="panel")
                yield Static(id="batch-intro", classes="supervisor-intro")
                yield Button(id="batch-sync")
                yield Button(id="batch-approve", variant="primary")
            with Vertical(classes="supervisor-main panel", id="batch-main"):
                yield PagedTable(id="batch-rows", cursor_type="row", zebra_stripes=True)
                yield Static(id="batch-message", classes="supervisor-message")

    def on_mount(self) -> None:
        self.query_one("#batch-rows", PagedTable).focus()

    # -- words -----------------------------------------------------------------------------------
    def relabel(self) -> None:
        self.query_one("#batch-summary").border_title = t("visit_batch.title")
        self.query_one("#batch-main").border_title = t("visit_batch.title")
        self.query_one("#batch-intro", Static).update(t("visit_batch.intro"))
        self.query_one("#batch-sync", Button).label = t("supervisor.key.sync_now")
        self.query_one("#batch-approve", Button).label = t("visit_batch.approve")
        self._show()

    # -- reading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        problem = self.gate_problem()
        if problem is None and self.branch_app.services.sync is None:
            problem = "visit_batch.unavailable"
        if problem is not None:
            self.review = None
            self._show()
            self.show_message("batch-message", t(problem), ok=False)
            return
        self._load(self.next_generation())

    def _service(self) -> VisitBatch | None:
        """The review service for the supervisor on duty (reads the keyring: a worker's)."""
        from branch_app.services.visit_batch import VisitBatch
        from branch_app.ui.wiring import desk_for

        desk = desk_for(self.branch_app)
        if desk is None:
            return None
        return VisitBatch(self.store(), self.central(), desk, clock=self.branch_app.now)

    @work(thread=True, exclusive=True, exit_on_error=False, group="visit-batch")
    def _load(self, generation: int) -> None:
        try:
            service = self._service()
            review = service.review() if service is not None else None
        except Exception as error:  # a store that cannot be read: say so, never a traceback
            self.post_message(self.Reviewed(None, type(error).__name__, generation))
            return
        self.post_message(self.Reviewed(review, None, generation))

    @on(Reviewed)
    def _reviewed(self, message: Reviewed) -> None:
        if message.generation != self.generation:
            return
        if message.problem is not None:
            self.show_message(
                "batch-message", t("supervisor.failed", detail=message.problem), ok=False
            )
            return
        self.review = message.review
        self._show()

    def _show(self) -> None:
        summary = self.query_one("#batch-summary", Static)
        rows = self.query_one("#batch-rows", PagedTable)
        review = self.review
        self.query_one("#batch-approve", Button).disabled = (
            review is None or not review.can_approve or self.busy
        )
        if review is None:
            summary.update("")
            rows.clear(columns=True)
            return
        now = self.branch_app.now()
        last = review.last_sync
        summary.update(
            "\n\n".join(
                [
                    t(
                        "visit_batch.limits",
                        max_unsent=review.limits.max_unsent,
                        hours=review.limits.max_offline_hours,
                    ),
                    t("visit_batch.last_sync", when=local_time(last.isoformat(), now))
                    if last is not None
                    else t("visit_batch.never_synced"),
                    t("visit_batch.summary", None, unsent=len(review.unsent), **review.counts())
                    if review.rows
                    else t("visit_batch.empty"),
                ]
            )
        )
        keep = row_under_cursor(rows)
        keys = [row.outbox_id for row in review.rows]
        statuses: dict[str, str] = {}

        def cells(row: BatchRow) -> tuple[str, ...]:
            status = statuses.get(row.status.value)
            if status is None:
                status = statuses[row.status.value] = t(f"day.status.{row.status.value}")
            return (
                row.reference,
                t(f"receipt.service.{row.service}"),
                row.holder_masked,
                status,
                reason_text(row.reason) if row.reason else t("visit_batch.answer.none"),
                t(f"visit_batch.receipt.{row.receipt or 'none'}"),
            )

        rows.show(
            (
                t("visit_batch.col.reference"),
                t("visit_batch.col.service"),
                t("visit_batch.col.holder"),
                t("visit_batch.col.status"),
                t("visit_batch.col.answer"),
                t("visit_batch.col.receipt"),
            ),
            Formatted(review.rows, cells),
            keys,
            cursor=keys.index(keep) if keep in keys else None,
        )

    # -- acting ----------------------------------------------------------------------------------
    def action_sync_now(self) -> None:
        """The app's own "Sync now"; the batch is read again when its modal closes."""
        if self.gate_problem() is not None or self.branch_app.services.sync is None:
            return
        self.branch_app.action_sync_now()

    @on(Button.Pressed, "#batch-sync")
    def _sync_pressed(self) -> None:
        self.action_sync_now()

    @on(Button.Pressed, "#batch-approve")
    def _approve_pressed(self) -> None:
        self.action_approve()

    def action_approve(self) -> None:
        """Approve the batch as reviewed (the service reads it again first); audited."""
        if self.busy or self.gate_problem() is not None or self.review is None:
            return
        self.busy = True
        self.query_one("#batch-approve", Button).disabled = True
        self.show_message("batch-message", t("supervisor.working"), ok=None)
        self._approve(self.review)

    @work(thread=True, exclusive=True, exit_on_error=False, group="visit-batch-approve")
    def _approve(self, review: BatchReview) -> None:
        try:
            service = self._service()
            if service is None:
                self.post_message(self.Approved(None, "supervisor.gate.not_supervisor"))
                return
            outcome = service.approve(review)
        except Exception as error:  # the journal refused the write: nothing was approved
            detail = getattr(error, "english", None) or type(error).__name__
            self.post_message(self.Approved(None, t("supervisor.failed", detail=detail)))
            return
        self.post_message(self.Approved(outcome, None))

    @on(Approved)
    def _approved(self, message: Approved) -> None:
        from branch_app.services.counter import Refusal as Refused

        self.busy = False
        outcome = message.outcome
        if message.problem is not None or outcome is None:
            self.show_message("batch-message", t(message.problem or "supervisor.failed"), ok=False)
        elif isinstance(outcome, Refused):
            self.show_message(
                "batch-message", t(outcome.message_key, None, **outcome.params), ok=False
            )
        else:
            self.post_message(OutboxChanged())  # the status bar reads the device again
            self.show_message(
                "batch-message",
                t(
                    "visit_batch.approved",
                    requests=outcome.requests,
                    first=outcome.from_seq,
                    last=outcome.through_seq,
                ),
                ok=True,
            )
        self._load(self.next_generation())
