"""The login screen, and what happens around it: enrolment first, the idle timeout after.

`LoginScreen` asks for the staff id and password and runs `Authenticator.login` in a thread worker
(argon2 and the network must not freeze the counter); it dismisses with the `StaffSession`.
`SessionKeeper` is what the app starts when a store and a sync are configured: enrol the device if
it has no token, then log in, then sign the member of staff in on the status bar, and log them
out again after `ui.session_timeout_minutes` without a key press or click.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.ui.widgets.sync_status import SyncMonitor
    from sync.auth import DeviceIdentity, StaffSession
    from sync.service import SyncService


class LoginScreen(ModalScreen["StaffSession"]):
    """Staff id and password; cannot be dismissed without a successful login (Ctrl+Q quits)."""

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
        def __init__(self, key: str, params: dict[str, object]) -> None:
            super().__init__()
            self.key = key
            self.params = params

    def __init__(
        self, service: SyncService, *, note_key: str | None = None, hint: str = ""
    ) -> None:
        super().__init__()
        self.service = service
        self.note_key = note_key
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
        from sync.auth import LoginError

        try:
            session = self.service.authenticator().login(staff_id, password)
        except LoginError as exc:
            self.post_message(self.LoginFailed(exc.key, dict(exc.params)))
            return
        except Exception:  # a broken store or keyring: say so, never a traceback
            self.post_message(self.LoginFailed("sync.error.unknown", {}))
            return
        self.post_message(self.LoginSucceeded(session))

    @on(LoginFailed)
    def _failed(self, message: LoginFailed) -> None:
        self.query_one("#login-message", Label).update(t(message.key, **message.params))
        password = self.query_one("#login-password", Input)
        password.value = ""
        password.focus()
        self.query_one("#login-submit", Button).disabled = False

    @on(LoginSucceeded)
    def _succeeded(self, message: LoginSucceeded) -> None:
        self.dismiss(message.session)


class SessionKeeper:
    """Enrolment, login and the idle timeout for one app. `start()` once the app is mounted."""

    CHECK_SECONDS = 15.0

    def __init__(self, app: App[Any], service: SyncService) -> None:
        self.app = app
        self.service = service
        self.session: StaffSession | None = None
        self.monitor: SyncMonitor | None = None
        self.last_input = time.monotonic()
        self.timeout = dt.timedelta(minutes=int(service.config.ui.session_timeout_minutes))

    def start(self) -> None:
        from branch_app.ui.widgets.sync_status import install_sync_monitor

        self.monitor = install_sync_monitor(
            self.app, self.service, auto_sync=bool(self.service.config.central.auto_sync)
        )
        self.app.set_interval(self.CHECK_SECONDS, self.check_idle)
        if self.service.device() is None:
            from branch_app.ui.screens.enrol import EnrolScreen

            self.app.push_screen(EnrolScreen(self.service), self._enrolled)
        else:
            self.ask_login()

    def _enrolled(self, identity: DeviceIdentity | None) -> None:
        if identity is not None:
            self.app.notify(t("sync.enrol.done", device_id=identity.device_id))
        self.ask_login()

    def ask_login(self, note_key: str | None = None) -> None:
        hint = str(getattr(getattr(self.app, "services", None), "login_hint", "") or "")
        self.app.push_screen(
            LoginScreen(self.service, note_key=note_key, hint=hint), self._logged_in
        )

    def _logged_in(self, session: StaffSession | None) -> None:
        if session is None:
            return
        from branch_app.domain.roles import Role
        from branch_app.ui.services import StaffOnDuty

        self.session = session
        self.last_input = time.monotonic()
        self.service.signed_in(session)
        staff = StaffOnDuty(session.staff_id, session.name, Role(session.role), session.branch)
        sign_in = getattr(self.app, "sign_in", None)
        if sign_in is not None:
            sign_in(staff)
        role = t(f"shell.role.{session.role}")
        self.app.notify(t("sync.login.welcome", name=session.name, role=role))
        if session.offline:
            self.app.notify(t("sync.login.offline_note"), severity="warning")

    def touch(self) -> None:
        """A key press or click: the counter is in use."""
        self.last_input = time.monotonic()

    def check_idle(self) -> None:
        if self.session is None:
            return
        idle = dt.timedelta(seconds=time.monotonic() - self.last_input)
        if idle < self.timeout:
            return
        self.session = None
        self.service.signed_out()
        sign_out = getattr(self.app, "sign_out", None)
        if sign_out is not None:
            sign_out()
        self.ask_login(note_key="sync.login.expired")
