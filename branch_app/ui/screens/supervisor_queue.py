"""Reconcile the sync queue: counts by status, the oldest unsent request, the last sync, and the
items the central did not take (rejected: closed here with a note; conflicts: resolved on the
conflicts screen). "Sync now" is the app's own sync (`SyncScreen`, with its progress bar)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from branch_app.i18n import t
from branch_app.ui.counter_text import table
from branch_app.ui.screens.supervisor_base import (
    SupervisorScreen,
    desk_of,
    local_time,
    row_under_cursor,
)
from branch_app.ui.status import OutboxChanged, format_age
from branch_app.ui.supervisor_text import kind_short, kind_text, reason_text
from branch_app.ui.widgets.paged_table import Formatted, PagedTable

if TYPE_CHECKING:
    from branch_app.services.supervisor import QueueReport, QueueRow

#: Count lines: (status, catalog key), in the order a supervisor reads them.
COUNT_LINES = (
    ("pending", "supervisor.queue.count.pending"),
    ("sending", "supervisor.queue.count.sending"),
    ("accepted", "supervisor.queue.count.accepted"),
    ("merged", "supervisor.queue.count.merged"),
    ("conflict", "supervisor.queue.count.conflict"),
    ("rejected", "supervisor.queue.count.rejected"),
)


class SyncQueueScreen(SupervisorScreen):
    TITLE_KEY = "supervisor.queue.title"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f8", "sync_now", "supervisor.key.sync_now", id="supervisor_sync"),
        Binding("f7", "close_item", "supervisor.key.close_item", id="supervisor_close"),
    ]

    class QueueLoaded(Message):
        """The outbox was read (posted from the worker thread)."""

        def __init__(
            self, report: QueueReport | None, problem: str | None, generation: int
        ) -> None:
            super().__init__()
            self.report = report
            self.problem = problem
            self.generation = generation

    class ItemsClosed(Message):
        """Rejected items were closed, or closing failed (`problem`)."""

        def __init__(self, closed: int, problem: str | None) -> None:
            super().__init__()
            self.closed = closed
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self.report: QueueReport | None = None
        self._rows: dict[str, QueueRow] = {}

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="supervisor-body"):
            with Vertical(classes="supervisor-side"):
                yield Static(id="queue-summary", classes="panel")
                yield Static(id="queue-intro", classes="supervisor-intro")
                yield Button(id="queue-sync", variant="primary")
            with Vertical(classes="supervisor-main panel", id="queue-main"):
                yield PagedTable(id="queue-items", cursor_type="row", zebra_stripes=True)
                yield Static(id="queue-detail")
                yield Label(id="queue-note-label")
                with Horizontal(classes="supervisor-row"):
                    yield Input(id="queue-note", max_length=500)
                    yield Button(id="queue-close", variant="warning")
                yield Static(id="queue-message", classes="supervisor-message")

    def on_mount(self) -> None:
        self.query_one("#queue-items", PagedTable).focus()

    # -- words -----------------------------------------------------------------------------------
    def relabel(self) -> None:
        self.query_one("#queue-summary").border_title = t("supervisor.queue.summary")
        self.query_one("#queue-main").border_title = t("supervisor.queue.items")
        self.query_one("#queue-intro", Static).update(t("supervisor.queue.intro"))
        self.query_one("#queue-sync", Button).label = t("supervisor.key.sync_now")
        self.query_one("#queue-close", Button).label = t("supervisor.key.close_item")
        self.query_one("#queue-note-label", Label).update(t("supervisor.queue.note_label"))
        self.query_one("#queue-note", Input).placeholder = t("supervisor.queue.note_placeholder")
        self._show_report()

    # -- reading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        problem = self.gate_problem()
        if problem is not None:
            self.report = None
            self._show_report()
            self.show_message("queue-message", t(problem), ok=False)
            return
        self._load(self.next_generation())

    @work(thread=True, exclusive=True, exit_on_error=False, group="supervisor-queue")
    def _load(self, generation: int) -> None:
        from branch_app.services.supervisor import read_queue

        services = self.branch_app.services
        try:
            last = services.sync.last_sync() if services.sync is not None else None
            report = read_queue(self.store(), last, self.branch_app.now())
        except Exception as error:  # a store that cannot be read: say so, never a traceback
            self.post_message(self.QueueLoaded(None, type(error).__name__, generation))
            return
        self.post_message(self.QueueLoaded(report, None, generation))

    @on(QueueLoaded)
    def _loaded(self, message: QueueLoaded) -> None:
        if message.generation != self.generation:
            return  # a later read is on its way
        if message.problem is not None:
            self.show_message(
                "queue-message", t("supervisor.failed", detail=message.problem), ok=False
            )
            return
        self.report = message.report
        self._show_report()

    def _show_report(self) -> None:
        summary = self.query_one("#queue-summary", Static)
        items = self.query_one("#queue-items", PagedTable)
        report = self.report
        if report is None:
            summary.update(t("supervisor.queue.nothing"))
            items.clear(columns=True)
            self._rows = {}
            return
        now = self.branch_app.now()
        lines = [(t(key), str(report.counts.get(status, 0))) for status, key in COUNT_LINES]
        lines.append(
            (
                t("supervisor.queue.oldest"),
                t(
                    "supervisor.queue.oldest_value",
                    age=format_age(report.oldest_age),
                    at=local_time(report.oldest_unsent_at, now),
                )
                if report.oldest_age is not None
                else t("supervisor.queue.none_unsent"),
            )
        )
        last = report.last_sync.isoformat() if report.last_sync is not None else None
        lines.append(
            (
                t("supervisor.queue.last_sync"),
                local_time(last, now) if last else t("supervisor.queue.never"),
            )
        )
        summary.update(table(lines))
        keep = row_under_cursor(items)
        self._rows = {row.item_id: row for row in report.rows}
        statuses: dict[str, str] = {}

        def cells(row: QueueRow) -> tuple[str, ...]:
            status = statuses.get(row.status)
            if status is None:
                status = statuses[row.status] = t(f"supervisor.status.{row.status}")
            return (
                status,
                row.holder_masked,
                kind_short(row.kind, row.payload),
                row.actor,
                local_time(row.made_at, now),
                reason_text(row.reason, row.message),
            )

        keys = list(self._rows)
        items.show(
            (
                t("supervisor.col.status"),
                t("supervisor.col.holder"),
                t("supervisor.col.kind"),
                t("supervisor.col.actor"),
                t("supervisor.col.made_at"),
                t("supervisor.col.reason"),
            ),
            Formatted(report.rows, cells),
            keys,
            cursor=keys.index(keep) if keep in self._rows else None,
        )
        self._show_detail()

    def selected(self) -> QueueRow | None:
        chosen = row_under_cursor(self.query_one("#queue-items", DataTable))
        return self._rows.get(chosen) if chosen is not None else None

    @on(DataTable.RowHighlighted, "#queue-items")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_item":
            try:
                row = self.selected()
            except NoMatches:  # asked by the key bar before the table is mounted
                return None
            return None if self.busy or row is None or row.status != "rejected" else True
        return True

    def _show_detail(self) -> None:
        detail = self.query_one("#queue-detail", Static)
        row = self.selected()
        self.query_one("#queue-close", Button).disabled = (
            row is None or row.status != "rejected" or self.busy
        )
        if row is None:
            detail.update(t("supervisor.queue.all_clear") if self.report is not None else "")
            return
        text = Text(kind_text(row.kind, row.payload), style="bold")
        text.append("\n")
        text.append(reason_text(row.reason, row.message))
        text.append("\n")
        hint = (
            "supervisor.queue.hint_rejected"
            if row.status == "rejected"
            else "supervisor.queue.hint_conflict"
        )
        text.append(t(hint), style="italic")
        detail.update(text)

    # -- acting ----------------------------------------------------------------------------------
    def action_sync_now(self) -> None:
        """The app's own "Sync now" (its modal with the progress bar); the list is read again
        when the modal closes (`on_screen_resume`)."""
        if self.gate_problem() is not None:
            return
        if self.branch_app.services.sync is None:
            self.show_message("queue-message", t("supervisor.queue.no_sync"), ok=False)
            return
        self.branch_app.action_sync_now()

    @on(Button.Pressed, "#queue-sync")
    def _sync_pressed(self) -> None:
        self.action_sync_now()

    @on(Button.Pressed, "#queue-close")
    def _close_pressed(self) -> None:
        self.action_close_item()

    @on(Input.Submitted, "#queue-note")
    def _note_submitted(self) -> None:
        self.action_close_item()

    def action_close_item(self) -> None:
        """Close the selected rejected item with the note (required); audited."""
        from branch_app.services.supervisor import note_problem

        if self.busy or self.gate_problem() is not None:
            return
        row = self.selected()
        if row is None:
            self.show_message("queue-message", t("supervisor.queue.select_first"), ok=False)
            return
        if row.status != "rejected":
            self.show_message("queue-message", t("supervisor.queue.hint_conflict"), ok=False)
            return
        note_input = self.query_one("#queue-note", Input)
        problem = note_problem(note_input.value)
        if problem is not None:
            self.show_message("queue-message", t(problem), ok=False)
            note_input.focus()
            return
        self.busy = True
        self.show_message("queue-message", t("supervisor.working"), ok=None)
        self._close([row.item_id], note_input.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="supervisor-queue-close")
    def _close(self, ids: list[str], note: str) -> None:
        from branch_app.services.supervisor import close_rejected

        try:
            desk = desk_of(self.branch_app)
            if desk is None:
                self.post_message(self.ItemsClosed(0, "supervisor.gate.not_supervisor"))
                return
            closed = close_rejected(self.store(), desk, ids, note)
        except Exception as error:  # the store refused the write: nothing was closed
            detail = getattr(error, "english", None) or type(error).__name__
            self.post_message(self.ItemsClosed(0, t("supervisor.failed", detail=detail)))
            return
        self.post_message(self.ItemsClosed(closed, None))

    @on(ItemsClosed)
    def _items_closed(self, message: ItemsClosed) -> None:
        self.busy = False
        if message.problem is not None:
            self.show_message("queue-message", t(message.problem), ok=False)
            return
        self.query_one("#queue-note", Input).value = ""
        self.post_message(OutboxChanged())  # the status bar's count of refused requests
        self.show_message(
            "queue-message", t("supervisor.queue.closed", count=message.closed), ok=True
        )
        self._load(self.next_generation())
