"""The confirm step of every counter request: masked ID, service, fee, due date; nothing is
written until the teller confirms."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from branch_app.i18n import t
from branch_app.ui.counter_text import table


class ConfirmDialog(ModalScreen[bool]):
    """Masked ID, service, fee, due date: Enter (or Y) takes the request, Esc (or N) goes back."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 76; height: auto; padding: 1 2; border: thick $primary;
                               background: $surface; }
    ConfirmDialog #confirm-title { text-style: bold; margin-bottom: 1; }
    ConfirmDialog #confirm-lines { height: auto; margin-bottom: 1; }
    ConfirmDialog #confirm-buttons { height: auto; margin-top: 1; }
    ConfirmDialog Button { margin-right: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "counter.key.confirm", id="counter_confirm"),
        Binding("escape,n", "back", "counter.key.back", id="counter_back"),
    ]

    def __init__(self, lines: list[tuple[str, str]], *, online: bool = False) -> None:
        """`online`: the central answers now (the status bar's connection), so the request is
        sent at once; else it is queued until it answers (issue 12, bug 5)."""
        super().__init__()
        self.lines = lines
        self.online = online

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("counter.confirm.title"), id="confirm-title")
            yield Static(table(self.lines), id="confirm-lines")
            question = (
                "counter.confirm.question_online" if self.online else "counter.confirm.question"
            )
            yield Label(t(question), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(t("counter.key.confirm"), id="confirm-yes", variant="primary")
                yield Button(t("counter.key.back"), id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
