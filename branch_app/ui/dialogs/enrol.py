"""First start: enrol this device with the central using the administrator's one-time code.

The exchange runs in a thread worker; the device token goes straight into the OS keyring. The
teller may skip it and work offline (the queue waits); the next start asks again.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from branch_app.i18n import t

if TYPE_CHECKING:
    from sync.auth import DeviceIdentity
    from sync.service import SyncService


class EnrolScreen(ModalScreen["DeviceIdentity | None"]):
    DEFAULT_CSS = """
    EnrolScreen { align: center middle; }
    EnrolScreen > Vertical { width: 70; height: auto; padding: 1 2; border: round $primary;
                             background: $surface; }
    EnrolScreen Input { margin-bottom: 1; }
    EnrolScreen #enrol-message { color: $error; height: auto; }
    EnrolScreen #enrol-buttons { height: auto; }
    """

    class Enrolled(Message):
        def __init__(self, identity: DeviceIdentity) -> None:
            super().__init__()
            self.identity = identity

    class EnrolFailed(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, service: SyncService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("sync.enrol.title"), id="enrol-title")
            yield Label(t("sync.enrol.explain"), id="enrol-explain")
            yield Input(placeholder=t("sync.enrol.code"), id="enrol-code")
            yield Input(
                value=socket.gethostname(), placeholder=t("sync.enrol.device_name"), id="enrol-name"
            )
            yield Label("", id="enrol-message")
            with Horizontal(id="enrol-buttons"):
                yield Button(t("sync.enrol.submit"), id="enrol-submit", variant="primary")
                yield Button(t("sync.enrol.skip"), id="enrol-skip")

    def on_mount(self) -> None:
        self.query_one("#enrol-code", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#enrol-submit")
    def _submit(self) -> None:
        code = self.query_one("#enrol-code", Input).value.strip()
        name = self.query_one("#enrol-name", Input).value.strip() or socket.gethostname()
        if not code:
            self.query_one("#enrol-message", Label).update(t("sync.enrol.bad_code"))
            return
        self.query_one("#enrol-submit", Button).disabled = True
        self.exchange_code(code, name)

    @on(Button.Pressed, "#enrol-skip")
    def _skip(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="enrol")
    def exchange_code(self, code: str, name: str) -> None:
        from sync.auth import EnrolmentError
        from sync.client import CentralError

        try:
            identity = self.service.enrol(code, name)
        except (EnrolmentError, CentralError) as exc:
            self.post_message(self.EnrolFailed(exc.key))
            return
        self.post_message(self.Enrolled(identity))

    @on(EnrolFailed)
    def _failed(self, message: EnrolFailed) -> None:
        self.query_one("#enrol-message", Label).update(t(message.key))
        self.query_one("#enrol-submit", Button).disabled = False

    @on(Enrolled)
    def _enrolled(self, message: Enrolled) -> None:
        self.dismiss(message.identity)
