"""What the supervisor's screens share: the gate (a supervisor signed in, a store), the desk, times.

The screens read and write only in thread workers; a worker posts a message nested in its screen
and the handler, on the app thread, updates the widgets.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from branch_app.domain.vocabulary import Role
from branch_app.ui.screens.base import ShellScreen

if TYPE_CHECKING:
    from branch_app.services.supervisor import SupervisorDesk
    from branch_app.store import LocalStore
    from branch_app.ui.app import BranchApp
    from sync.service import SyncService


def local_time(iso: str | None, now: dt.datetime) -> str:
    """`2025-03-14 10:31` in the counter's time zone (that of the app's clock)."""
    from branch_app.services.supervisor import parse_iso

    moment = parse_iso(iso)
    if moment is None:
        return "—"
    return moment.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")


def row_under_cursor(table: DataTable) -> str | None:
    """The key of the row under the table's cursor, or None when there is none."""
    if table.row_count == 0:
        return None
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # no row under the cursor
        return None
    return str(key.value) if key.value is not None else None


def desk_of(app: BranchApp) -> SupervisorDesk | None:
    """The supervisor on duty with the enrolled device and branch (reads the keyring: call it
    from a worker thread); `None` when nobody is signed in."""
    from branch_app.services.supervisor import SupervisorDesk
    from branch_app.ui.wiring import desk_for

    desk = desk_for(app)
    if desk is None:
        return None
    return SupervisorDesk(
        staff_id=desk.staff_id, device=desk.device, branch=desk.branch, signer=desk.signer
    )


class SupervisorScreen(ShellScreen):
    """A supervisor's tool: refuses to act for anyone but a signed-in supervisor."""

    DEFAULT_CSS = """
    SupervisorScreen .supervisor-body { height: 1fr; }
    SupervisorScreen .supervisor-side { width: 40; height: 1fr; }
    SupervisorScreen .supervisor-intro { width: 1fr; height: auto; color: $text-muted;
                                         padding: 0 1; }
    SupervisorScreen .supervisor-main { width: 1fr; height: 1fr; }
    SupervisorScreen DataTable { height: 1fr; }
    SupervisorScreen .supervisor-message { height: auto; min-height: 1; padding: 0 1; }
    SupervisorScreen .supervisor-message.-error { color: $error; }
    SupervisorScreen .supervisor-message.-ok { color: $success; }
    SupervisorScreen .supervisor-row { height: auto; }
    SupervisorScreen .supervisor-row Button { margin-right: 1; }
    SupervisorScreen .supervisor-row Input { width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.go_home", "shell.key.home", id="back_home"),
        Binding("f4", "reload", "supervisor.key.reload", id="supervisor_reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        #: Which read is the latest: an older worker's answer that arrives late is dropped.
        self.generation = 0

    def next_generation(self) -> int:
        self.generation += 1
        return self.generation

    def gate_problem(self) -> str | None:
        """Why the tool cannot be used now (catalog key), or None."""
        staff = self.branch_app.status.staff
        if staff is None or staff.role is not Role.SUPERVISOR:
            return "supervisor.gate.not_supervisor"
        if self.branch_app.services.store is None:
            return "supervisor.gate.no_store"
        return None

    def store(self) -> LocalStore:
        """The open local store (the gate refuses the tool without one)."""
        store = self.branch_app.services.store
        if store is None:
            raise LookupError("no local store")
        return store

    def central(self) -> SyncService:
        """The sync service, for what only the central can answer (there is none offline)."""
        sync = self.branch_app.services.sync
        if sync is None:
            raise LookupError("no central configured")
        return sync

    def show_message(self, widget_id: str, text: str, *, ok: bool | None) -> None:
        message = self.query_one(f"#{widget_id}", Static)
        message.update(Text(text))
        message.set_class(ok is True, "-ok")
        message.set_class(ok is False, "-error")

    def on_screen_resume(self) -> None:
        # Back from the sync's modal, from another mode, or the store arrived: read again
        # (after the refresh, so the first time the widgets are there).
        self.call_after_refresh(self.action_reload)

    def action_reload(self) -> None:
        """Read the data again (in a worker)."""
