"""Ctrl+Q with requests not yet sent: say how many and what becomes of them, then ask.

On a counter with a real keyring the requests stay in the outbox and are sent at the next start
once the central answers; in the demo (keys in memory) they are lost with the keys. Enter or Y
quits, Esc or N goes back.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from branch_app.i18n import t


class QuitConfirm(ModalScreen[bool]):
    """ "3 requests are not sent yet ... Quit anyway?" True: quit."""

    DEFAULT_CSS = """
    QuitConfirm { align: center middle; }
    QuitConfirm > Vertical { width: 72; max-width: 100%; height: auto; padding: 1 2;
                             border: thick $warning; background: $surface; }
    QuitConfirm #quit-title { text-style: bold; margin-bottom: 1; }
    QuitConfirm #quit-fate { width: 1fr; height: auto; }
    QuitConfirm #quit-buttons { height: auto; margin-top: 1; }
    QuitConfirm Button { margin-right: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "quit_anyway", "shell.quit.yes", id="quit_yes"),
        Binding("escape,n", "stay", "shell.quit.no", id="quit_no"),
    ]

    def __init__(self, unsent: int, *, lost: bool) -> None:
        super().__init__()
        self.unsent = unsent
        #: The keys live in memory (the demo): the requests go with them.
        self.lost = lost

    def compose(self) -> ComposeResult:
        fate = "shell.quit.lost" if self.lost else "shell.quit.kept"
        with Vertical():
            yield Label(t("shell.quit.unsent", count=self.unsent), id="quit-title")
            yield Static(t(fate), id="quit-fate")
            with Horizontal(id="quit-buttons"):
                yield Button(t("shell.quit.no"), id="quit-stay", variant="primary")
                yield Button(t("shell.quit.yes"), id="quit-anyway", variant="error")

    def on_mount(self) -> None:
        self.query_one("#quit-stay", Button).focus()  # the safe answer first

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit-anyway")

    def action_quit_anyway(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)
