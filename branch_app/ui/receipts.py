"""Receipt keys for a screen that has an accepted request in front of it (the counter's answer
panel, the day's list): F11 prints the receipt, Ctrl+S saves it as a PDF, Ctrl+T switches the
receipt between Chinese (the default) and English. Everything slow (the font, the PDF, `lp`, the
audit entry) runs in a thread; the outcome is a notification.

The PDF goes to `[printer] folder` (default: `receipts` in the data folder) and the printer is
`[printer] name` (CUPS queue; empty: the system's default), both from the configuration.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.binding import Binding, BindingType

from branch_app.i18n import Language, t
from branch_app.ui.screens.base import ShellScreen

if TYPE_CHECKING:
    from branch_app.services.day import DayBook
    from branch_app.services.receipt import Receipt
    from branch_app.ui.app import BranchApp


def daybook_for(app: BranchApp) -> DayBook | None:
    """The day's list for the member of staff on duty (reads the keyring: call from a thread)."""
    from branch_app.services.day import DayBook
    from branch_app.ui.wiring import desk_for

    store = app.services.store
    desk = desk_for(app)
    if store is None or desk is None:
        return None
    return DayBook(store, desk, clock=app.now)


def receipts_folder(app: BranchApp) -> Path:
    folder = app.config.printer.folder
    if folder:
        return Path(folder).expanduser()
    store = app.services.store
    return (store.data_dir if store is not None else app.config.data_dir()) / "receipts"


def make_receipt_pdf(app: BranchApp, receipt: Receipt, language: Language) -> Path:
    from branch_app.services.receipt import render_pdf

    name = f"receipt-{receipt.reference}-{language.value}.pdf"
    return render_pdf(receipt, receipts_folder(app) / name, language)


class ReceiptScreen(ShellScreen):
    """A screen whose `receipt_id()` may name an accepted request: the receipt keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f11", "print_receipt", "receipt.key.print", id="receipt_print"),
        Binding("ctrl+s", "save_receipt", "receipt.key.save", id="receipt_save", show=False),
        Binding(
            "ctrl+t", "receipt_language", "receipt.key.english", id="receipt_english", show=False
        ),
    ]

    receipt_language: Language = Language.CHINESE

    def receipt_id(self) -> str | None:
        """The outbox id of the request whose receipt the keys make (None: no keys)."""
        from branch_app.services.counter import Accepted

        outcome = getattr(self, "outcome", None)
        return outcome.outbox_id if isinstance(outcome, Accepted) else None

    def build_receipt(self, outbox_id: str) -> Receipt | None:
        """The receipt (thread): the counter's exact answer when it is the one in front."""
        from branch_app.services.counter import Accepted
        from branch_app.services.receipt import receipt_for
        from branch_app.ui.wiring import desk_for

        outcome = getattr(self, "outcome", None)
        store = self.branch_app.services.store
        desk = desk_for(self.branch_app)
        if isinstance(outcome, Accepted) and outcome.outbox_id == outbox_id and desk and store:
            made = store.outbox.get(outbox_id).made_at.replace("Z", "+00:00")
            when = dt.datetime.fromisoformat(made).astimezone(self.branch_app.now().tzinfo)
            return receipt_for(outcome, desk, when)
        book = daybook_for(self.branch_app)
        return book.receipt(outbox_id) if book is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("print_receipt", "save_receipt", "receipt_language"):
            try:
                return self.receipt_id() is not None
            except Exception:  # asked before the screen's parts are mounted
                return False
        return True

    def action_print_receipt(self) -> None:
        outbox_id = self.receipt_id()
        if outbox_id is not None:
            self._receipt_job(outbox_id, True, self.receipt_language)

    def action_save_receipt(self) -> None:
        outbox_id = self.receipt_id()
        if outbox_id is not None:
            self._receipt_job(outbox_id, False, self.receipt_language)

    def action_receipt_language(self) -> None:
        english = self.receipt_language is Language.CHINESE
        self.receipt_language = Language.ENGLISH if english else Language.CHINESE
        self.notify(t("receipt.language_now", name=t(f"shell.language.{self.receipt_language}")))

    @work(thread=True, exit_on_error=False, group="receipt")
    def _receipt_job(self, outbox_id: str, printed: bool, language: Language) -> None:
        from branch_app.services.printing import PrintFailed, SystemPrinter
        from branch_app.services.receipt import FontMissing

        app = self.branch_app
        try:
            receipt = self.build_receipt(outbox_id)
            if receipt is None:
                app.call_from_thread(self.notify, t("receipt.unknown"), severity="error")
                return
            path = make_receipt_pdf(app, receipt, language)
            where = str(path)
            if printed:
                printer = SystemPrinter(app.config.printer.name)
                where = printer.print_file(path, title=receipt.reference) or "lp"
            book = daybook_for(app)
            if book is not None:
                book.record_receipt(receipt, printed=printed, where=where)
        except FontMissing:
            app.call_from_thread(self.notify, t("receipt.font_missing"), severity="error")
            return
        except PrintFailed as error:
            reason = t(f"receipt.print.error.{error.code}", detail=error.detail)
            text = t("receipt.print.failed", reason=reason)
            app.call_from_thread(self.notify, text, severity="error", timeout=15)
            return
        done = t("receipt.printed", job=where) if printed else t("receipt.saved", path=where)
        app.call_from_thread(self.notify, done, timeout=10)
