"""Enrolment, login and the idle lock for one app: what the app starts when a store and a sync exist.

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

    def _logged_in(self, session: StaffSession | None) -> None:
        if session is None:
            return
        from branch_app.domain.vocabulary import Role
        from branch_app.ui.services import StaffOnDuty

        self.sessions.begin(session)
        role = Role(session.role)
        self.app.sign_in(StaffOnDuty(session.staff_id, session.name, role, session.branch))
        self.app.notify(t("sync.login.welcome", name=session.name, role=t(f"shell.role.{role}")))
        if session.offline:
            self.app.notify(t("sync.login.offline_note"), severity="warning")

    def touch(self) -> None:
        """A key press or click: the counter is in use."""
        self.sessions.touch()

    def check_idle(self) -> None:
        if self.sessions.lock_if_idle():
            self.app.sign_out()
            self.ask_login(note_key="sync.login.expired")
