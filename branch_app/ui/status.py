"""The status bar's model and the messages other parts post to update it.

The status bar has slots for the card reader, the connection to the central service, the outbox
queue and the member of staff on duty. Parts that know a slot's state post a message to the app
from the app thread (a widget's `post_message`) or from a worker thread (`app.post_message` is
thread-safe):

    self.post_message(ReaderStatusChanged(SlotState.OK, "card.reader_ready"))
    self.post_message(ConnectionStatusChanged(SlotState.ERROR, "sync.status.offline_last", when=w))
    self.post_message(QueueDepthChanged(depth=3, oldest_age=timedelta(minutes=12)))

`BranchApp` handles them and updates every `StatusBar`. Text is a catalog key (rendered with its
params in the current language, so it follows a language switch) or an (English, 中文) pair for
packages that cannot import the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from textual.message import Message

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.ui.services import StaffOnDuty

#: A catalog key: every text on screen comes from the catalogs, in both languages.
LocalText = str


class SlotState(StrEnum):
    """How a slot is shown: its colour class in app.tcss is `-<state>`."""

    UNAVAILABLE = "unavailable"  # the part does not exist here (yet)
    WAITING = "waiting"  # the part exists and has not reported
    OK = "ok"
    BUSY = "busy"
    WARNING = "warning"
    ERROR = "error"


def render_text(text: LocalText, params: dict[str, object] | None = None) -> str:
    """The text in the current language."""
    return t(text, None, **(params or {}))


@dataclass(frozen=True)
class Slot:
    state: SlotState
    text: LocalText
    params: dict[str, object] = field(default_factory=dict)

    def render(self) -> str:
        return render_text(self.text, self.params)


NOT_AVAILABLE = Slot(SlotState.UNAVAILABLE, "common.not_available")
WAITING = Slot(SlotState.WAITING, "shell.status.waiting")


def format_age(age: timedelta) -> str:
    """A short age for the queue slot: minutes below two hours, then hours, then days."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return t("shell.age.now")
    if minutes < 120:
        return t("shell.age.minutes", n=minutes)
    if minutes < 48 * 60:
        return t("shell.age.hours", n=minutes // 60)
    return t("shell.age.days", n=minutes // (24 * 60))


def queue_slot(
    depth: int | None, oldest_age: timedelta | None, awaiting_supervisor: int = 0
) -> Slot:
    """The queue slot for an outbox depth; `None` means no store here. Requests the central
    refused and no supervisor has closed yet turn it into a warning that says how many."""
    if depth is None:
        return NOT_AVAILABLE
    if awaiting_supervisor:
        if depth == 0:
            return Slot(
                SlotState.WARNING, "shell.status.queue_supervisor", {"count": awaiting_supervisor}
            )
        return Slot(
            SlotState.WARNING,
            "shell.status.queue_depth_supervisor",
            {"depth": depth, "count": awaiting_supervisor},
        )
    if depth == 0:
        return Slot(SlotState.OK, "shell.status.queue_empty")
    state = SlotState.WARNING if oldest_age and oldest_age >= timedelta(hours=4) else SlotState.BUSY
    if oldest_age is None:
        return Slot(state, "shell.status.queue_depth", {"depth": depth})
    return Slot(state, "shell.status.queue_depth_age", {"depth": depth, "age": _Age(oldest_age)})


class _Age:
    """Formats itself when the text is rendered, so a language switch re-words it too."""

    def __init__(self, age: timedelta) -> None:
        self.age = age

    def __format__(self, spec: str) -> str:
        return format_age(self.age)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Age) and other.age == self.age

    def __hash__(self) -> int:
        return hash(self.age)


@dataclass(frozen=True)
class StatusSnapshot:
    """What every status bar shows; replaced as a whole so watchers see each change."""

    reader: Slot = NOT_AVAILABLE
    connection: Slot = NOT_AVAILABLE
    queue: Slot = NOT_AVAILABLE
    staff: StaffOnDuty | None = None

    def with_reader(self, state: SlotState, text: LocalText, **params: object) -> StatusSnapshot:
        return replace(self, reader=Slot(state, text, params))

    def with_connection(
        self, state: SlotState, text: LocalText, **params: object
    ) -> StatusSnapshot:
        return replace(self, connection=Slot(state, text, params))

    def with_queue(
        self, depth: int | None, oldest_age: timedelta | None, awaiting_supervisor: int = 0
    ) -> StatusSnapshot:
        return replace(self, queue=queue_slot(depth, oldest_age, awaiting_supervisor))

    def with_staff(self, staff: StaffOnDuty | None) -> StatusSnapshot:
        return replace(self, staff=staff)


class ReaderStatusChanged(Message):
    """The card reader's state changed (posted by the card widget / reader service)."""

    def __init__(self, state: SlotState, text: LocalText, **params: object) -> None:
        super().__init__()
        self.state = state
        self.text = text
        self.params = params


class ConnectionStatusChanged(Message):
    """The connection to the central service changed (posted by the sync status widget)."""

    def __init__(self, state: SlotState, text: LocalText, **params: object) -> None:
        super().__init__()
        self.state = state
        self.text = text
        self.params = params


class QueueDepthChanged(Message):
    """The outbox depth changed; `depth=None` means there is no store."""

    def __init__(
        self,
        depth: int | None,
        oldest_age: timedelta | None = None,
        awaiting_supervisor: int = 0,
    ) -> None:
        super().__init__()
        self.depth = depth
        self.oldest_age = oldest_age
        self.awaiting_supervisor = awaiting_supervisor


class OutboxChanged(Message):
    """The outbox changed (a request accepted, a refused one closed): the status bar's queue
    slot is read again, and what waits is sent if the central answers."""


class RequestsRefused(Message):
    """A background sync sent requests the central refused (conflicts, rejections): the people
    at the counter are told, and a supervisor resolves them."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class StaffOnDutyChanged(Message):
    """Someone signed in (`staff`) or out (`None`); posted by the login screen."""

    def __init__(self, staff: StaffOnDuty | None) -> None:
        super().__init__()
        self.staff = staff
