"""Resolve conflicts: the branch's open conflicts from the central, each with the masked holder, the
refused request, the reason, the central's record, and who made it when and where.

F7 resolves the selected one: the central's current record is looked up (audited, purpose
`conflict_review`), then `ResolveDialog` asks for the decision, `upheld` (the central's record
stands; the note says what the holder was told) or `corrected` with one of the counter's
commands that the lifecycle would apply now, and the note. The central applies the correction
and closes the conflict in one transaction; then the device closes its own outbox item and
audits the decision. Offline, the conflicts this device's outbox knows are listed (read-only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import DataTable, Static

from branch_app.domain.vocabulary import ConflictDecision
from branch_app.i18n import t
from branch_app.ui.counter_text import table
from branch_app.ui.dialogs.resolve_conflict import ResolveDialog
from branch_app.ui.screens.supervisor_base import (
    SupervisorScreen,
    desk_of,
    local_time,
    row_under_cursor,
)
from branch_app.ui.status import OutboxChanged
from branch_app.ui.supervisor_text import kind_short, kind_text, reason_text, record_lines

if TYPE_CHECKING:
    from branch_app.services.supervisor import (
        ConflictList,
        ConflictRow,
        Resolution,
        ResolveOutcome,
    )

#: Errors of the resolve request that have their own sentence.
RESOLVE_REFUSALS = {
    "correction_refused": "supervisor.resolve.correction_refused",
    "conflict_closed": "supervisor.resolve.already_closed",
    "not_found": "supervisor.resolve.not_found",
    "session_required": "supervisor.conflicts.no_session",
    "forbidden": "supervisor.gate.not_supervisor",
}


def error_text(error: BaseException) -> str:
    """A resolve or list failure in plain words."""
    code = getattr(error, "code", None)
    if isinstance(code, str) and code in RESOLVE_REFUSALS:
        return t(RESOLVE_REFUSALS[code])
    key = getattr(error, "key", None)
    if isinstance(key, str):
        return t(key)
    detail = getattr(error, "english", None) or type(error).__name__
    return t("supervisor.failed", detail=detail)


class ConflictsScreen(SupervisorScreen):
    TITLE_KEY = "supervisor.conflicts.title"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f7", "resolve", "supervisor.key.resolve", id="supervisor_resolve"),
    ]

    class ConflictsLoaded(Message):
        def __init__(
            self, found: ConflictList | None, problem: str | None, generation: int
        ) -> None:
            super().__init__()
            self.found = found
            self.problem = problem
            self.generation = generation

    class ReviewReady(Message):
        """The central's record now and the corrections it allows (for the dialog)."""

        def __init__(
            self,
            row: ConflictRow,
            record: Mapping[str, Any] | None,
            choices: list[Any],
            problem: str | None,
        ) -> None:
            super().__init__()
            self.row = row
            self.record = record
            self.choices = choices
            self.problem = problem

    class ConflictResolved(Message):
        def __init__(self, row: ConflictRow, outcome: ResolveOutcome) -> None:
            super().__init__()
            self.row = row
            self.outcome = outcome

    class ResolveFailed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self.found: ConflictList | None = None
        self._rows: dict[str, ConflictRow] = {}
        #: The last resolution on this screen (for tests and the message after a reload).
        self.last_outcome: ResolveOutcome | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="supervisor-body"):
            yield Static(id="conflicts-source", classes="supervisor-message")
            with Horizontal(classes="supervisor-body"):
                with Vertical(classes="supervisor-main panel", id="conflicts-main"):
                    yield DataTable(id="conflicts-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(classes="supervisor-side panel", id="conflicts-side"):
                    yield Static(id="conflict-detail")
            yield Static(id="conflicts-message", classes="supervisor-message")

    def on_mount(self) -> None:
        self.query_one("#conflicts-table", DataTable).focus()

    def relabel(self) -> None:
        self.query_one("#conflicts-main").border_title = t("supervisor.conflicts.list")
        self.query_one("#conflicts-side").border_title = t("supervisor.conflicts.detail")
        self._show_list()

    # -- reading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        problem = self.gate_problem()
        if problem is not None:
            self.found = None
            self._show_list()
            self.show_message("conflicts-source", t(problem), ok=False)
            return
        self.show_message("conflicts-source", t("supervisor.conflicts.loading"), ok=None)
        self._load(self.next_generation())

    @work(thread=True, exclusive=True, exit_on_error=False, group="supervisor-conflicts")
    def _load(self, generation: int) -> None:
        from branch_app.services.supervisor import read_conflicts

        services = self.branch_app.services
        try:
            found = read_conflicts(services.sync, services.store, desk_of(self.branch_app))
        except Exception as error:  # the store could not be read
            self.post_message(self.ConflictsLoaded(None, error_text(error), generation))
            return
        self.post_message(self.ConflictsLoaded(found, None, generation))

    @on(ConflictsLoaded)
    def _loaded(self, message: ConflictsLoaded) -> None:
        if message.generation != self.generation:
            return  # a later read is on its way
        if message.problem is not None:
            self.show_message("conflicts-source", message.problem, ok=False)
            return
        self.found = message.found
        self._show_list()

    def _source_text(self) -> tuple[str, bool | None]:
        found = self.found
        if found is None:
            return "", None
        if found.source == "central":
            text = t("supervisor.conflicts.from_central", count=len(found.rows))
            if found.reconciled:
                text += " " + t("supervisor.conflicts.reconciled", count=found.reconciled)
            return text, True
        problem = t(found.problem) if found.problem else ""
        return (
            t("supervisor.conflicts.offline", problem=problem, count=len(found.rows)),
            False,
        )

    def _show_list(self) -> None:
        grid = self.query_one("#conflicts-table", DataTable)
        keep = row_under_cursor(grid)
        grid.clear(columns=True)
        self._rows = {}
        text, ok = self._source_text()
        if self.found is None:
            self._show_detail()
            return
        self.show_message("conflicts-source", text, ok=ok)
        # The reason wraps in what the other columns leave (issue 12, bug 13: it was cut at
        # "The card"); the device is in the details.
        from rich.cells import cell_len

        # A list narrower than its five columns (80 columns: the details take half) keeps the
        # holder and the request, the request wrapping; the rest is in the details beside it.
        holder, kind, made_at = 18, 12, 16
        actor = max(5, cell_len(t("supervisor.col.actor")))
        pad = 2 * grid.cell_padding
        spare = (grid.size.width or 78) - 4  # the vertical scrollbar and a margin
        reason = spare - (holder + kind + actor + made_at) - 5 * pad
        narrow = reason < 8
        if narrow:
            kind = max(8, spare + 2 - holder - 2 * pad)  # one scrollbar's margin is enough
        grid.add_column(t("supervisor.col.holder"), width=holder)
        grid.add_column(t("supervisor.col.kind"), width=kind)
        if not narrow:
            grid.add_column(t("supervisor.col.actor"), width=actor)
            grid.add_column(t("supervisor.col.made_at"), width=made_at)
            grid.add_column(t("supervisor.col.reason"), width=reason)
        now = self.branch_app.now()
        for row in self.found.rows:
            self._rows[row.command_id] = row
            cells: list[str | Text] = [row.holder_masked, Text(kind_short(row.kind, row.command))]
            if not narrow:
                cells += [
                    row.actor,
                    local_time(row.made_at or row.opened_at, now),
                    Text(reason_text(row.reason, row.message)),
                ]
            grid.add_row(*cells, key=row.command_id, height=None)
        if keep in self._rows:
            grid.move_cursor(row=grid.get_row_index(keep))
        self._show_detail()

    def selected(self) -> ConflictRow | None:
        chosen = row_under_cursor(self.query_one("#conflicts-table", DataTable))
        return self._rows.get(chosen) if chosen is not None else None

    @on(DataTable.RowHighlighted, "#conflicts-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        detail = self.query_one("#conflict-detail", Static)
        row = self.selected()
        if row is None:
            detail.update(t("supervisor.conflicts.none") if self.found is not None else "")
            return
        now = self.branch_app.now()
        lines = [
            (t("supervisor.col.holder"), row.holder_masked),
            (t("supervisor.conflicts.refused"), kind_text(row.kind, row.command)),
            (t("supervisor.col.reason"), reason_text(row.reason, row.message)),
            (t("supervisor.conflicts.made_by"), row.actor),
            (t("supervisor.conflicts.made_at"), local_time(row.made_at, now)),
            (t("supervisor.conflicts.where"), f"{row.branch} / {row.device}"),
        ]
        if row.opened_at:
            lines.append((t("supervisor.conflicts.found_at"), local_time(row.opened_at, now)))
        text = table(lines)
        text.append("\n\n")
        text.append(t("supervisor.conflicts.record_then"), style="bold underline")
        text.append("\n")
        text.append_text(table(record_lines(row.record)))
        text.append("\n\n")
        hint = (
            "supervisor.conflicts.hint_resolve"
            if row.conflict_id is not None
            else "supervisor.conflicts.hint_offline"
        )
        text.append(t(hint), style="italic")
        detail.update(text)

    # -- resolving -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            try:
                row = self.selected()
            except NoMatches:  # asked by the key bar before the table is mounted
                return None
            if self.busy or row is None or row.conflict_id is None:
                return None
        return True

    def action_resolve(self) -> None:
        if self.busy or self.gate_problem() is not None:
            return
        row = self.selected()
        if row is None:
            self.show_message("conflicts-message", t("supervisor.queue.select_first"), ok=False)
            return
        if row.conflict_id is None:
            self.show_message("conflicts-message", t("supervisor.conflicts.hint_offline"), ok=False)
            return
        self._set_busy(True)
        self.show_message("conflicts-message", t("supervisor.conflicts.reviewing"), ok=None)
        self._review(row)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#conflicts-table")
    def _row_chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_resolve()

    @work(thread=True, exclusive=True, exit_on_error=False, group="supervisor-resolve")
    def _review(self, row: ConflictRow) -> None:
        """Thread: the central's record now (audited lookup) and the corrections it allows."""
        from branch_app.services.supervisor import correction_choices, review_record

        app = self.branch_app
        problem: str | None = None
        record: Mapping[str, Any] | None = row.record
        choices: list[Any] = []
        try:
            desk = desk_of(app)
            if desk is None:
                self.post_message(self.ResolveFailed(t("supervisor.gate.not_supervisor")))
                return
            try:
                record = review_record(self.central(), self.store(), desk, row)
            except Exception as error:  # the lookup failed: decide on the record of the conflict
                problem = t("supervisor.resolve.record_old", problem=error_text(error))
            if record:
                choices = correction_choices(
                    record,
                    row.command,
                    place=app.config.branch.place.value,
                    bank=app.config.branch.bank,
                    today=app.today(),
                )
        except Exception as error:
            self.post_message(self.ResolveFailed(error_text(error)))
            return
        self.post_message(self.ReviewReady(row, record, choices, problem))

    @on(ReviewReady)
    def _review_ready(self, message: ReviewReady) -> None:
        self.show_message("conflicts-message", "", ok=None)

        def decided(resolution: Resolution | None) -> None:
            if resolution is None:
                self._set_busy(False)
                self.show_message("conflicts-message", t("supervisor.resolve.cancelled"), ok=None)
                return
            self.show_message("conflicts-message", t("supervisor.working"), ok=None)
            self._resolve(message.row, resolution)

        self.app.push_screen(
            ResolveDialog(
                message.row, message.record, message.choices, record_problem=message.problem
            ),
            decided,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="supervisor-resolve")
    def _resolve(self, row: ConflictRow, resolution: Resolution) -> None:
        from branch_app.services.supervisor import resolve

        app = self.branch_app
        try:
            desk = desk_of(app)
            if desk is None:
                self.post_message(self.ResolveFailed(t("supervisor.gate.not_supervisor")))
                return
            outcome = resolve(self.central(), self.store(), desk, row, resolution, app.now())
        except Exception as error:  # refused or unreachable: nothing was written locally
            self.post_message(self.ResolveFailed(error_text(error)))
            return
        self.post_message(self.ConflictResolved(row, outcome))

    @on(ResolveFailed)
    def _failed(self, message: ResolveFailed) -> None:
        self._set_busy(False)
        self.show_message("conflicts-message", message.text, ok=False)

    @on(ConflictResolved)
    def _resolved(self, message: ConflictResolved) -> None:
        self._set_busy(False)
        self.last_outcome = message.outcome
        self.post_message(OutboxChanged())  # one fewer for a supervisor, maybe a correction to send
        decision = message.outcome.conflict.decision or ConflictDecision.UPHELD
        self.show_message(
            "conflicts-message",
            t(
                "supervisor.resolve.done",
                holder=message.row.holder_masked,
                decision=t(f"supervisor.decision.{decision}"),
            ),
            ok=True,
        )
        self._load(self.next_generation())
