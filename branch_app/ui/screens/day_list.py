"""Today's requests (当日业务): every request the member of staff on duty accepted today, with its
status (queued, sent, applied, refused, conflict), found by reference or by the holder's ID number
(matched by the journal's keyed hash); F11 prints a receipt again, Ctrl+S saves it, F8 opens the
end of the day. The statuses are read again every few seconds and whenever the screen comes back,
so an answer from the central shows without a key press."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from branch_app.domain.vocabulary import Role
from branch_app.i18n import t
from branch_app.ui.receipts import ReceiptScreen, daybook_for
from branch_app.ui.widgets.paged_table import Formatted, PagedTable

if TYPE_CHECKING:
    from branch_app.services.day import DayBook, DayRow

#: How often the statuses are read again while the list is shown (seconds).
REFRESH_EVERY = 3.0


class DayListScreen(ReceiptScreen):
    TITLE_KEY = "day.title"

    DEFAULT_CSS = """
    DayListScreen #day-main { height: 1fr; padding: 0 1; }
    DayListScreen #day-intro { color: $text-muted; height: auto; }
    DayListScreen #day-table { height: 1fr; }
    DayListScreen #day-count { height: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_home", "shell.key.home", id="back_home"),
        Binding("f8", "end_of_day", "day.key.end_of_day", id="day_end"),
        Binding("ctrl+r", "reload", "day.key.reload", id="day_reload", show=False),
    ]

    class Loaded(Message):
        """The rows read (`base`: the rows a refresh of the statuses started from; the answer
        is dropped when the list has changed since)."""

        def __init__(
            self,
            rows: list[DayRow] | None,
            problem: str | None,
            base: list[DayRow] | None = None,
        ) -> None:
            super().__init__()
            self.rows = rows
            self.problem = problem
            self.base = base

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DayRow] = []
        self.shown: list[DayRow] = []
        self.book: DayBook | None = None
        self.problem: str | None = None
        self._query = ""

    def compose_body(self) -> ComposeResult:
        with Vertical(id="day-main"):
            yield Static(id="day-intro")
            yield Input(id="day-search")
            yield PagedTable(id="day-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="day-count")

    def on_mount(self) -> None:
        self.query_one("#day-table", PagedTable).focus()
        self.action_reload()
        self.set_interval(REFRESH_EVERY, self._refresh_statuses)

    def on_screen_resume(self) -> None:
        if self.book is not None:
            self._refresh_statuses()

    # -- words -----------------------------------------------------------------------------------
    def relabel(self) -> None:
        self.query_one("#day-intro", Static).update(t(self._intro_key()))
        self.query_one("#day-search", Input).placeholder = t("day.search.placeholder")
        self._show()

    def _intro_key(self) -> str:
        """A supervisor's list is the device's day, every teller's (DayBook.sees_everyone)."""
        if self.book is not None:
            everyone = self.book.sees_everyone()
        else:
            everyone = self.branch_app.role is Role.SUPERVISOR
        return "day.intro_everyone" if everyone else "day.intro"

    # -- reading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-list")
    def _load(self) -> None:
        try:
            book = self.book or daybook_for(self.branch_app)
            if book is None:
                self.post_message(self.Loaded(None, "day.no_store"))
                return
            self.book = book
            rows = book.rows()
        except Exception as error:  # a store that cannot be read: say so
            self.post_message(self.Loaded(None, type(error).__name__))
            return
        self.post_message(self.Loaded(rows, None))

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-list")
    def _refresh_statuses(self) -> None:
        book = self.book
        if book is None:
            return
        base = self.rows
        try:
            rows = book.refresh(base)
        except Exception:  # read again at the next tick
            return
        if [r.status for r in rows] != [r.status for r in base]:
            self.post_message(self.Loaded(rows, None, base))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.base is not None and message.base is not self.rows:
            return  # the list was read again while these statuses were: read at the next tick
        self.problem = message.problem
        self.rows = message.rows or []
        self._apply_search()

    @on(Input.Changed, "#day-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._query = event.value
        self._apply_search()

    @on(Input.Submitted, "#day-search")
    def _search_submitted(self) -> None:
        self.query_one("#day-table", PagedTable).focus()

    def _apply_search(self) -> None:
        if self._query.strip() and self.book is not None:
            self._search(self._query)
            return
        self.shown = list(self.rows)
        self._show()

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-search")
    def _search(self, text: str) -> None:
        book = self.book
        if book is None:
            return
        found = book.search(self.rows, text)
        self.app.call_from_thread(self._found, text, found)

    def _found(self, text: str, found: list[DayRow]) -> None:
        if text != self._query:
            return  # typed on since
        self.shown = found
        self._show()

    def _show(self) -> None:
        try:
            table = self.query_one("#day-table", PagedTable)
        except NoMatches:
            return
        keep = self.receipt_id()
        services: dict[str, str] = {}
        statuses: dict[str, str] = {}

        def cells(row: DayRow) -> tuple[str, ...]:
            service = services.get(row.service)
            if service is None:
                service = services[row.service] = t(f"receipt.service.{row.service}")
            status = statuses.get(row.status.value)
            if status is None:
                status = statuses[row.status.value] = t(f"day.status.{row.status.value}")
            return (
                f"{row.made_at:%H:%M}",
                row.reference,
                service,
                row.holder_masked,
                str(row.fee_yuan),
                status,
            )

        self._ids = [row.outbox_id for row in self.shown]
        at = {outbox_id: n for n, outbox_id in enumerate(self._ids)}
        table.show(
            (
                t("day.col.time"),
                t("day.col.reference"),
                t("day.col.service"),
                t("day.col.holder"),
                t("day.col.fee"),
                t("day.col.status"),
            ),
            Formatted(self.shown, cells),
            cursor=at.get(keep) if keep is not None else None,
        )
        count = self.query_one("#day-count", Static)
        if self.problem is not None:
            count.update(t(self.problem) if self.problem.startswith("day.") else self.problem)
        elif not self.rows:
            count.update(t("day.empty"))
        else:
            count.update(t("day.count", shown=len(self.shown), total=len(self.rows)))
        self.refresh_bindings()

    # -- the receipt keys ------------------------------------------------------------------------
    def receipt_id(self) -> str | None:
        try:
            table = self.query_one("#day-table", PagedTable)
        except NoMatches:
            return None
        chosen = table.under_cursor(getattr(self, "_ids", []))
        return None if chosen is None else str(chosen)

    @on(DataTable.RowHighlighted, "#day-table")
    def _highlighted(self) -> None:
        self.refresh_bindings()

    # -- the end of the day ----------------------------------------------------------------------
    def action_end_of_day(self) -> None:
        book = self.book
        if book is None:
            return
        from branch_app.services.day import summarise
        from branch_app.ui.dialogs.end_of_day import EndOfDayDialog

        summary = summarise(self.rows, book.today(), book.desk.staff_id)
        self.app.push_screen(EndOfDayDialog(book, summary))
