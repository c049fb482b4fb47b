"""The login: staff id and password, checked by the staff session service in a thread worker
(argon2 and the network must not freeze the counter); dismisses with the `StaffSession`.

The session keeper (`branch_app.ui.controllers.session_keeper`) opens it after enrolment and again
after the idle timeout or a log-out, and when a supervisor steps in, and signs the member of staff in once it is dismissed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.services.session import StaffSessions
    from sync.auth import StaffSession


class LoginScreen(ModalScreen["StaffSession | None"]):
    """Staff id and password; cannot be dismissed without a successful login (Ctrl+Q quits),
    except when a supervisor steps in over a session that waits (`cancellable`: Esc goes back
    to it, dismissing with `None`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "counter.key.back", id="login_back", show=False),
    ]

    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical { width: 60; height: auto; padding: 1 2; border: round $primary;
                             background: $surface; }
    LoginScreen Input { margin-bottom: 1; }
    LoginScreen #login-message { color: $error; height: auto; }
    LoginScreen #login-note { color: $text-muted; height: auto; }
    LoginScreen #login-hint { color: $warning; height: auto; margin-bottom: 1; }
    """

    class LoginSucceeded(Message):
        def __init__(self, session: StaffSession) -> None:
            super().__init__()
            self.session = session

    class LoginFailed(Message):
        def __init__(self, key: str, params: Mapping[str, object]) -> None:
            super().__init__()
            self.key = key
            self.params = params

    def __init__(
        self,
        sessions: StaffSessions,
        *,
        note_key: str | None = None,
        hint: str = "",
        cancellable: bool = False,
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.note_key = note_key
        self.cancellable = cancellable
        #: Shown under the title as it is (the demo's log-ins); already in the right language.
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("sync.login.title"), id="login-title")
            yield Label(t(self.note_key) if self.note_key else "", id="login-note")
            if self.hint:
                yield Label(self.hint, id="login-hint")
            yield Input(placeholder=t("sync.login.staff_id"), id="login-staff")
            yield Input(placeholder=t("sync.login.password"), password=True, id="login-password")
            yield Label("", id="login-message")
            yield Button(t("sync.login.submit"), id="login-submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#login-staff", Input).focus()

    def action_back(self) -> None:
        if self.cancellable:
            self.dismiss(None)

    @on(Input.Submitted, "#login-staff")
    def _next_field(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-submit")
    def _submit(self) -> None:
        staff_id = self.query_one("#login-staff", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        if not staff_id or not password:
            self.query_one("#login-message", Label).update(t("sync.login.empty"))
            return
        self.query_one("#login-submit", Button).disabled = True
        self.query_one("#login-message", Label).update("")
        self.check_password(staff_id, password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="login")
    def check_password(self, staff_id: str, password: str) -> None:
        """Online first, offline against the stored verifier; only messages come back."""
        from branch_app.services.session import LoginRefused

        answer = self.sessions.check(staff_id, password)
        if isinstance(answer, LoginRefused):
            self.post_message(self.LoginFailed(answer.key, answer.params))
        else:
            self.post_message(self.LoginSucceeded(answer))

    @on(LoginFailed)
    def _failed(self, message: LoginFailed) -> None:
        self.query_one("#login-message", Label).update(t(message.key, None, **message.params))
        password = self.query_one("#login-password", Input)
        password.value = ""
        password.focus()
        self.query_one("#login-submit", Button).disabled = False

    @on(LoginSucceeded)
    def _succeeded(self, message: LoginSucceeded) -> None:
        self.dismiss(message.session)
