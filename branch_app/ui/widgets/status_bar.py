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


def slot_text(label: str | None, slot: Slot) -> str:
    return (
        slot.render() if label is None else t("shell.status.slot", label=label, text=slot.render())
    )


class StatusSlot(Static):
    """One labelled slot; its class `-<state>` colours it."""

    def show(self, label: str | None, slot: Slot) -> None:
        self.show_text(slot_text(label, slot), slot)

    def show_text(self, text: str, slot: Slot) -> None:
        self.set_classes(["status-slot", f"-{slot.state.value}"])
        self.update(Text(text))


#: The slots' labels, in full and short (issue 12, bug 13: at 80 columns the full labels cut
#: the queue's words and the name of whoever is on duty).
LABELS = {
    "reader": ("shell.status.reader", "shell.status.reader_short"),
    "connection": ("shell.status.connection", "shell.status.connection_short"),
    "queue": ("shell.status.queue", "shell.status.queue_short"),
}
#: Each slot's padding (one column each side, `.status-slot`).
SLOT_PADDING = 2


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

    def on_resize(self) -> None:
        self._render_snapshot(self.branch_app.status)

    def _render_snapshot(self, snapshot: StatusSnapshot) -> None:
        slots = {
            "reader": snapshot.reader,
            "connection": snapshot.connection,
            "queue": snapshot.queue,
        }
        staff = staff_slot(snapshot.staff)
        texts, staff_text = fitted_texts(slots, staff, snapshot, self.size.width)
        for name, slot in slots.items():
            self.query_one(f"#status-{name}", StatusSlot).show_text(texts[name], slot)
        # The name and role speak for themselves: no label.
        self.query_one("#status-staff", StatusSlot).show_text(staff_text, staff)

    # The API later parts use (from the app thread).
    def show_reader(self, state: SlotState, text: LocalText, **params: object) -> None:
        self.branch_app.status = self.branch_app.status.with_reader(state, text, **params)

    def show_connection(self, state: SlotState, text: LocalText, **params: object) -> None:
        self.branch_app.status = self.branch_app.status.with_connection(state, text, **params)

    def show_queue(self, depth: int | None, oldest_age: timedelta | None = None) -> None:
        self.branch_app.status = self.branch_app.status.with_queue(depth, oldest_age)

    def show_staff(self, staff: StaffOnDuty | None) -> None:
        self.branch_app.status = self.branch_app.status.with_staff(staff)


#: From this width on the slots keep their full labels (at 80 columns they cut the texts).
FULL_LABELS_FROM = 100


def fitted_texts(
    slots: dict[str, Slot], staff: Slot, snapshot: StatusSnapshot, width: int
) -> tuple[dict[str, str], str]:
    """The slots' words for `width` columns: full labels from `FULL_LABELS_FROM` columns, short
    ones below; the member of staff's name without the role when the words would not fit
    (0: not laid out yet, the full words)."""
    from rich.cells import cell_len

    def needed(texts: dict[str, str], staff_text: str) -> int:
        return sum(cell_len(text) + SLOT_PADDING for text in [*texts.values(), staff_text])

    full_staff = slot_text(None, staff)
    name_only = (
        snapshot.staff.name if snapshot.staff is not None and snapshot.staff.name else full_staff
    )
    full, short = (
        {name: slot_text(t(LABELS[name][brief]), slot) for name, slot in slots.items()}
        for brief in (False, True)
    )
    # The labels follow the terminal's width alone, so the same screen always reads the same
    # (the slots' texts change while it is shown); then the role goes if the words still do
    # not fit (the home screen shows it).
    texts = full if width <= 0 or width >= FULL_LABELS_FROM else short
    if width <= 0 or needed(texts, full_staff) <= width:
        return texts, full_staff
    return texts, name_only


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
