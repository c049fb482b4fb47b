"""The end of the day: the teller's day summed up (counts by service, fees taken in cash, what is
still unsent or refused), confirmed by a supervisor's staff id and password (checked as a
cancellation's approval is: the central when it answers, else the offline verifier), audited
(`day.closed`), and printable or saved as a PDF."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from branch_app.i18n import current_language, t
from branch_app.ui.counter_text import table

if TYPE_CHECKING:
    from branch_app.services.day import DayBook, DaySummary
    from branch_app.ui.app import BranchApp


class EndOfDayDialog(ModalScreen[int | None]):
    """Dismissed with the `day.closed` audit entry's number, or None (closed unconfirmed)."""

    DEFAULT_CSS = """
    EndOfDayDialog { align: center middle; }
    EndOfDayDialog > Vertical { width: 80; max-width: 100%; height: auto; max-height: 100%;
                                padding: 0 2; border: thick $primary; background: $surface; }
    EndOfDayDialog #eod-title { text-style: bold; }
    EndOfDayDialog #eod-lines { height: auto; margin-bottom: 1; }
    EndOfDayDialog #eod-intro { color: $text-muted; }
    EndOfDayDialog Input { width: 1fr; }
    EndOfDayDialog #eod-buttons { height: auto; }
    EndOfDayDialog Button { margin-right: 1; }
    EndOfDayDialog #eod-message { height: auto; }
    EndOfDayDialog #eod-message.-error { color: $error; }
    EndOfDayDialog #eod-message.-ok { color: $success; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "day.summary.cancel", id="eod_close"),
    ]

    def __init__(self, book: DayBook, summary: DaySummary) -> None:
        super().__init__()
        self.book = book
        self.summary = summary
        self.closed_entry: int | None = None

    @property
    def branch_app(self) -> BranchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        from branch_app.services.day import summary_lines

        with Vertical():
            yield Label(t("day.summary.title"), id="eod-title")
            yield Static(table(summary_lines(self.summary, current_language())), id="eod-lines")
            yield Static(t("day.summary.confirm_intro"), id="eod-intro")
            yield Input(placeholder=t("day.summary.supervisor"), id="eod-supervisor")
            yield Input(placeholder=t("day.summary.password"), password=True, id="eod-password")
            with Horizontal(id="eod-buttons"):
                yield Button(t("day.summary.confirm"), id="eod-confirm", variant="primary")
                yield Button(t("day.summary.print"), id="eod-print")
                yield Button(t("day.summary.cancel"), id="eod-close")
            yield Static(id="eod-message")

    def on_mount(self) -> None:
        self.query_one("#eod-supervisor", Input).focus()

    def say(self, text: str, *, ok: bool | None) -> None:
        message = self.query_one("#eod-message", Static)
        message.update(text)
        message.set_class(ok is True, "-ok")
        message.set_class(ok is False, "-error")

    @on(Button.Pressed, "#eod-close")
    def action_close(self) -> None:
        self.dismiss(self.closed_entry)

    @on(Input.Submitted, "#eod-password")
    @on(Button.Pressed, "#eod-confirm")
    def _confirm_pressed(self) -> None:
        supervisor = self.query_one("#eod-supervisor", Input).value.strip()
        password = self.query_one("#eod-password", Input).value
        if not supervisor or not password:
            self.say(t("day.summary.needs_supervisor"), ok=False)
            return
        self.query_one("#eod-confirm", Button).disabled = True
        self._confirm(supervisor, password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="end-of-day")
    def _confirm(self, supervisor: str, password: str) -> None:
        from branch_app.services.counter import verify_approver

        app = self.branch_app
        sync = app.services.sync
        verified = False
        if sync is not None:
            refusal = verify_approver(sync, supervisor, password)
            if refusal is not None:
                app.call_from_thread(self._refused, t(refusal.message_key, None, **refusal.params))
                return
            verified = True
        try:
            entry = self.book.close_day(self.summary, supervisor=supervisor, verified=verified)
        except Exception as error:  # the journal refused the write: not closed
            app.call_from_thread(self._refused, type(error).__name__)
            return
        app.call_from_thread(self._day_closed, supervisor, entry)

    def _refused(self, reason: str) -> None:
        self.query_one("#eod-confirm", Button).disabled = False
        self.query_one("#eod-password", Input).value = ""
        self.say(t("day.summary.not_confirmed", reason=reason), ok=False)

    def _day_closed(self, supervisor: str, entry: int) -> None:
        self.closed_entry = entry
        self.query_one("#eod-password", Input).value = ""
        self.say(t("day.summary.confirmed", supervisor=supervisor, n=entry), ok=True)

    @on(Button.Pressed, "#eod-print")
    def _print_pressed(self) -> None:
        self._print()

    @work(thread=True, exclusive=True, exit_on_error=False, group="end-of-day-print")
    def _print(self) -> None:
        from branch_app.services.day import summary_lines
        from branch_app.services.printing import PrintFailed, SystemPrinter
        from branch_app.services.receipt import FontMissing, render_document
        from branch_app.ui.receipts import receipts_folder

        app = self.branch_app
        language = current_language()
        name = f"day-{self.summary.day.isoformat()}-{self.summary.teller}-{language.value}.pdf"
        try:
            path: Path = render_document(
                t("day.summary.pdf_title", language),
                summary_lines(self.summary, language),
                [],
                receipts_folder(app) / name,
            )
            job = SystemPrinter(app.config.printer.name).print_file(path, title=name)
        except FontMissing:
            app.call_from_thread(self.say, t("receipt.font_missing"), ok=False)
            return
        except PrintFailed as error:
            reason = t(f"receipt.print.error.{error.code}", detail=error.detail)
            text = t("day.summary.saved", path=str(receipts_folder(app) / name))
            app.call_from_thread(
                self.say, f"{text} {t('receipt.print.failed', reason=reason)}", ok=False
            )
            return
        app.call_from_thread(self.say, t("receipt.printed", job=job or "lp"), ok=True)
