"""The status bar: card reader, central connection, sync queue, and who is on duty.

Every screen shows one; all of them render the app's single `StatusSnapshot`, so an update made
while another screen is in front is there when the teller comes back. Call the `show_*` methods
(or post the messages of `branch_app.ui.status`) from the app thread.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from branch_app.i18n import t
from branch_app.ui.status import LocalText, Slot, SlotState, StatusSnapshot

if TYPE_CHECKING:
    from branch_app.ui.app import BranchApp
    from branch_app.ui.services import StaffOnDuty


class StatusSlot(Static):
    """One labelled slot; its class `-<state>` colours it."""

    def show(self, label: str | None, slot: Slot) -> None:
        self.set_classes(["status-slot", f"-{slot.state.value}"])
        text = (
            slot.render()
            if label is None
            else t("shell.status.slot", label=label, text=slot.render())
        )
        self.update(Text(text))


class StatusBar(Horizontal):
    """The bottom line every teller glances at: is the reader there, are we online, what waits."""

    DEFAULT_CSS = """
    StatusBar { height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield StatusSlot(id="status-reader", classes="status-slot")
        yield StatusSlot(id="status-connection", classes="status-slot")
        yield StatusSlot(id="status-queue", classes="status-slot")
        yield StatusSlot(id="status-staff", classes="status-slot")

    @property
    def branch_app(self) -> BranchApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._render_snapshot, init=True)
        self.watch(self.app, "language", self._render_language, init=False)

    def _render_language(self, _language: object) -> None:
        self._render_snapshot(self.branch_app.status)

    def _render_snapshot(self, snapshot: StatusSnapshot) -> None:
        self.query_one("#status-reader", StatusSlot).show(t("shell.status.reader"), snapshot.reader)
        self.query_one("#status-connection", StatusSlot).show(
            t("shell.status.connection"), snapshot.connection
        )
        self.query_one("#status-queue", StatusSlot).show(t("shell.status.queue"), snapshot.queue)
        # The name and role speak for themselves; no label keeps the line within 100 columns.
        self.query_one("#status-staff", StatusSlot).show(None, staff_slot(snapshot.staff))

    # The API later parts use (from the app thread).
    def show_reader(self, state: SlotState, text: LocalText, **params: object) -> None:
        self.branch_app.status = self.branch_app.status.with_reader(state, text, **params)

    def show_connection(self, state: SlotState, text: LocalText, **params: object) -> None:
        self.branch_app.status = self.branch_app.status.with_connection(state, text, **params)

    def show_queue(self, depth: int | None, oldest_age: timedelta | None = None) -> None:
        self.branch_app.status = self.branch_app.status.with_queue(depth, oldest_age)

    def show_staff(self, staff: StaffOnDuty | None) -> None:
        self.branch_app.status = self.branch_app.status.with_staff(staff)


def staff_slot(staff: StaffOnDuty | None) -> Slot:
    if staff is None:
        return Slot(SlotState.WARNING, "shell.status.nobody")
    return Slot(
        SlotState.OK,
        "shell.status.staff_on_duty",
        {"name": staff.name, "role": _RoleName(staff.role.value)},
    )


class _RoleName:
    """A role rendered in the language current when the text is drawn."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __format__(self, spec: str) -> str:
        return t(f"shell.role.{self.role}")
