"""Enrolment, login, log-out, a supervisor stepping in, and the idle lock for one app: what the app starts when a store and a sync exist.

Enrol the device if it has no token, then ask for the login, then sign the member of staff in on
the status bar, and log them out again after `ui.session_timeout_minutes` without a key press or
click. Who is on duty and the idle bookkeeping are the staff session service's
(`branch_app.services.session.StaffSessions`); this keeper only opens the dialogs, runs the timer
and tells the app.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.services.session import StaffSessions
    from branch_app.ui.app import BranchApp
    from branch_app.ui.controllers.sync_monitor import SyncMonitor
    from sync.auth import DeviceIdentity, StaffSession
    from sync.service import SyncService


class SessionKeeper:
    """Enrolment, login and the idle timeout for one app. `start()` once the app is mounted."""

    CHECK_SECONDS = 15.0

    def __init__(self, app: BranchApp, service: SyncService) -> None:
        from branch_app.services.session import StaffSessions

        self.app = app
        self.service = service
        self.sessions: StaffSessions = StaffSessions(
            service, timeout=dt.timedelta(minutes=int(service.config.ui.session_timeout_minutes))
        )
        self.monitor: SyncMonitor | None = None

    @property
    def session(self) -> StaffSession | None:
        """The member of staff signed in now, or `None`."""
        return self.sessions.on_duty

    def start(self) -> None:
        from branch_app.ui.controllers.sync_monitor import install_sync_monitor

        self.monitor = install_sync_monitor(
            self.app, self.service, auto_sync=bool(self.service.config.central.auto_sync)
        )
        self.app.set_interval(self.CHECK_SECONDS, self.check_idle)
        if self.service.device() is None:
            from branch_app.ui.dialogs.enrol import EnrolScreen

            self.app.push_screen(EnrolScreen(self.service), self._enrolled)
        else:
            self.ask_login()

    def _enrolled(self, identity: DeviceIdentity | None) -> None:
        if identity is not None:
            self.app.notify(t("sync.enrol.done", device_id=identity.device_id))
        self.ask_login()

    def ask_login(self, note_key: str | None = None) -> None:
        from branch_app.ui.dialogs.login import LoginScreen

        hint = self.app.services.login_hint
        self.app.push_screen(
            LoginScreen(self.sessions, note_key=note_key, hint=hint), self._logged_in
        )

    def log_out(self) -> None:
        """Log out without quitting: the customer session ends, every form is cleared, the
        log-in comes back for the next member of staff (a shift change)."""
        self.app.customer_keeper.end()
        self.sessions.end()
        self.app.sign_out()
        self.ask_login(note_key="shell.session.logged_out")

    def step_in(self) -> None:
        """A supervisor steps in over the session on duty (approvals), which waits: neither it
        nor the customer session ends. Esc in the log-in goes back to it."""
        from branch_app.ui.dialogs.login import LoginScreen

        if self.sessions.on_duty is None or self.sessions.held is not None:
            return
        self.app.push_screen(
            LoginScreen(
                self.sessions,
                note_key="shell.session.step_in_note",
                hint=self.app.services.login_hint,
                cancellable=True,
            ),
            self._stepped_in,
        )

    def _stepped_in(self, session: StaffSession | None) -> None:
        from branch_app.domain.vocabulary import Role

        if session is None:
            return
        if Role(session.role) is not Role.SUPERVISOR:
            self.app.notify(t("shell.session.not_supervisor"), severity="warning")
            return
        self.sessions.step_in(session)
        self._signed_in(session)

    def step_back(self) -> bool:
        """The supervisor leaves; the teller's waiting session is on duty again."""
        held = self.sessions.step_back()
        if held is None:
            return False
        self._signed_in(held, welcome=False)
        self.app.notify(t("shell.session.stepped_back", name=held.name))
        return True

    def _logged_in(self, session: StaffSession | None) -> None:
        if session is None:
            return
        self.sessions.begin(session)
        self._signed_in(session)

    def _signed_in(self, session: StaffSession, *, welcome: bool = True) -> None:
        from branch_app.domain.vocabulary import Role
        from branch_app.ui.services import StaffOnDuty

        role = Role(session.role)
        self.app.sign_in(StaffOnDuty(session.staff_id, session.name, role, session.branch))
        if not welcome:
            return
        self.app.notify(t("sync.login.welcome", name=session.name, role=t(f"shell.role.{role}")))
        if session.offline:
            self.app.notify(t("sync.login.offline_note"), severity="warning")

    def touch(self) -> None:
        """A key press or click: the counter is in use."""
        self.sessions.touch()

    def check_idle(self) -> None:
        """Idle too long: the customer session ends and every form is cleared before the log-in
        covers the screen (issue 12 bug 9), so the next person lands on home with nothing of the
        previous customer behind the dialog."""
        if self.sessions.lock_if_idle():
            self.app.customer_keeper.end()
            self.app.sign_out()
            self.ask_login(note_key="sync.login.expired")
