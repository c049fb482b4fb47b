"""The sync in the shell: a progress panel for "Sync now", and the status bar's sync slots.

- `SyncStatus` runs one sync in a thread worker and shows a ProgressBar. The worker never touches
  widgets: it posts `SyncStatus.SyncProgressed` and `SyncStatus.SyncFinished`, handled on the app
  thread. Cancel sets the engine's cancel event (checked between batches and during waits).
- `SyncScreen` is the modal the command palette's "Sync now" opens around a `SyncStatus`.
- `SyncMonitor` (`install_sync_monitor(app, service)`) checks every `interval` seconds, and at
  once when asked (`check_now`, after a request is accepted), in a thread, whether the central
  answers, how deep the queue is, how old its oldest item is and when the last sync ended, and
  posts the status bar's messages (`ConnectionStatusChanged`, `QueueDepthChanged`). When the
  central answers and requests are waiting, it sends them (`auto_sync`, on by default): nobody
  has to remember "Sync now" when the network comes back. With nothing to send it still syncs
  every `PULL_EVERY`, for the changes other channels made.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar

from branch_app.i18n import t
from branch_app.ui.status import (
    ConnectionStatusChanged,
    QueueDepthChanged,
    RequestsRefused,
    SlotState,
)

if TYPE_CHECKING:
    from sync.engine import SyncSummary
    from sync.service import SyncService


log = logging.getLogger(__name__)

#: Errors that mean the central could not be reached (the connection slot shows "offline").
UNREACHABLE_ERRORS = frozenset(
    {
        "sync.error.offline",
        "sync.error.refused",
        "sync.error.connection_lost",
        "sync.error.timeout",
        "sync.error.server",
        "sync.error.busy",
    }
)


class _When:
    """The last sync time, worded when the text is rendered (so a language switch re-words it)."""

    def __init__(self, when: dt.datetime | None) -> None:
        self.when = when

    def __format__(self, spec: str) -> str:
        if self.when is None:
            return t("sync.status.never")
        local = self.when.astimezone()
        if local.date() == dt.datetime.now().astimezone().date():
            return f"{local:%H:%M}"
        return f"{local:%Y-%m-%d %H:%M}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _When) and other.when == self.when

    def __hash__(self) -> int:
        return hash(self.when)


def post_status(app: App[Any], service: SyncService, *, online: bool | None) -> None:
    """Post the status bar's connection and queue messages (safe from any thread)."""
    last = service.last_sync()
    if online is None:
        app.post_message(
            ConnectionStatusChanged(SlotState.BUSY, "sync.status.syncing_last", when=_When(last))
        )
    elif online:
        app.post_message(
            ConnectionStatusChanged(SlotState.OK, "sync.status.online_last", when=_When(last))
        )
    else:
        app.post_message(
            ConnectionStatusChanged(SlotState.ERROR, "sync.status.offline_last", when=_When(last))
        )
    queue = service.queue_status()
    app.post_message(QueueDepthChanged(queue.depth, queue.oldest_age, queue.awaiting_supervisor))


#: With nothing to send, a background sync still runs this often: its pull brings what other
#: channels changed (an online loss report, a death record) into the card cache for offline work.
PULL_EVERY = dt.timedelta(minutes=5)


class SyncMonitor:
    """The connection check and the background sync, one at a time, never on the app thread."""

    def __init__(self, app: App[Any], service: SyncService, *, auto_sync: bool = True) -> None:
        self.app = app
        self.service = service
        self.auto_sync = auto_sync
        self._busy = threading.Lock()
        self._again = threading.Event()  # asked for while a check ran: check once more after it
        self._stopping = threading.Event()

    def stop(self) -> None:
        """The app is closing: a background sync stops at its next step, and none starts (the
        app's threads are waited for at exit, so a long sync would hold up quitting)."""
        self._stopping.set()

    def check_now(self) -> None:
        """Check (and sync, when there is something to send) in a thread worker now."""
        self.app.run_worker(self.check, thread=True, group="sync-check", exit_on_error=False)

    def check(self) -> None:
        """One check, and a sync when it is due, here and now (a thread worker's body; blocks).
        A check asked for while another runs makes that one check once more when it ends."""
        if not self._busy.acquire(blocking=False):
            self._again.set()
            return
        try:
            while True:
                self._again.clear()
                self._check_once()
                if not self._again.is_set():
                    return
        finally:
            self._busy.release()

    def _sync_due(self) -> bool:
        """Requests wait, or the card cache has not heard from the central for a while."""
        if self.service.queue_status().depth:
            return True
        last = self.service.last_sync()
        return last is None or dt.datetime.now(dt.UTC) - last >= PULL_EVERY

    def _check_once(self) -> None:
        online = self.service.ping()
        post_status(self.app, self.service, online=online)
        if self._stopping.is_set() or not (online and self.auto_sync and self._sync_due()):
            return
        post_status(self.app, self.service, online=None)
        try:
            summary = self.service.run(cancel=self._stopping)
        except Exception as exc:  # a store or keyring failure: the next check tries again
            log.warning("background sync failed (%s)", type(exc).__name__)
            post_status(self.app, self.service, online=False)
            return
        reached = summary.error is None or summary.error not in UNREACHABLE_ERRORS
        post_status(self.app, self.service, online=reached)
        refused = summary.outcomes.get("conflict", 0) + summary.outcomes.get("rejected", 0)
        if refused:
            self.app.post_message(RequestsRefused(refused))


def install_sync_monitor(
    app: App[Any], service: SyncService, *, interval: float = 30.0, auto_sync: bool = True
) -> SyncMonitor:
    """Check the connection and the queue now and every `interval` seconds."""
    monitor = SyncMonitor(app, service, auto_sync=auto_sync)
    monitor.check_now()
    app.set_interval(interval, monitor.check_now)
    return monitor


class SyncStatus(Vertical):
    """One sync with a progress bar, a line of text and a Cancel button."""

    DEFAULT_CSS = """
    SyncStatus { height: auto; width: 64; padding: 1 2; border: round $primary; background: $surface; }
    SyncStatus ProgressBar { margin: 1 0; }
    SyncStatus #sync-buttons { height: auto; align-horizontal: right; }
    """

    class SyncProgressed(Message):
        """Items answered so far out of the total (posted from the worker thread)."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    class SyncFinished(Message):
        """The run ended (posted from the worker thread); `summary` says how."""

        def __init__(self, summary: SyncSummary) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self, service: SyncService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.cancel_event = threading.Event()
        self.summary: SyncSummary | None = None

    def compose(self) -> ComposeResult:
        yield Label(t("sync.progress.title"), id="sync-title")
        yield ProgressBar(total=None, show_eta=False, id="sync-progress")
        yield Label("", id="sync-detail")
        with Horizontal(id="sync-buttons"):
            yield Button(t("common.cancel"), id="sync-cancel", variant="warning")

    def on_mount(self) -> None:
        post_status(self.app, self.service, online=None)
        self.run_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def run_sync(self) -> None:
        """The engine's run, off the app thread; only messages come back."""
        from sync.engine import SyncSummary

        try:
            summary = self.service.run(
                progress=lambda done, total: self.post_message(self.SyncProgressed(done, total)),
                cancel=self.cancel_event,
                wait_if_busy=True,  # a background sync may be on: this one follows it
            )
        except Exception:  # a store or keyring failure: the panel must still end, in words
            summary = SyncSummary(error="sync.error.unknown")
            summary.finished_at = dt.datetime.now(dt.UTC)
        self.post_message(self.SyncFinished(summary))

    @on(SyncProgressed)
    def _progressed(self, message: SyncProgressed) -> None:
        bar = self.query_one("#sync-progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        self.query_one("#sync-detail", Label).update(f"{message.done} / {message.total}")

    @on(SyncFinished)
    def _finished(self, message: SyncFinished) -> None:
        summary = message.summary
        self.summary = summary
        bar = self.query_one("#sync-progress", ProgressBar)
        if bar.total is None:
            bar.update(total=1, progress=1)
        self.query_one("#sync-detail", Label).update(finished_text(summary))
        button = self.query_one("#sync-cancel", Button)
        button.label = t("common.ok")
        button.variant = "primary"
        post_status(self.app, self.service, online=summary.error not in UNREACHABLE_ERRORS)

    @on(Button.Pressed, "#sync-cancel")
    def _cancel_or_close(self) -> None:
        if self.summary is None:
            self.cancel_event.set()
            self.query_one("#sync-detail", Label).update(t("sync.cancelled"))
        else:
            self.post_message(self.Closed())

    def on_unmount(self) -> None:
        self.cancel_event.set()  # leaving the screen never leaves a sync running unseen

    class Closed(Message):
        """The teller closed the finished panel."""


def finished_text(summary: SyncSummary) -> str:
    """One or two sentences for the end of a run."""
    if summary.cancelled:
        return t("sync.cancelled")
    if summary.error is not None:
        return t(summary.error)
    text = t("sync.finished.ok", sent=summary.sent, pulled=summary.pulled)
    conflicts = summary.outcomes.get("conflict", 0)
    if conflicts:
        text += "\n" + t("sync.finished.conflicts", count=conflicts)
    return text


class SyncScreen(ModalScreen["SyncSummary | None"]):
    """The modal around one sync; Escape cancels a running sync, then closes."""

    DEFAULT_CSS = """
    SyncScreen { align: center middle; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "common.cancel", id="sync_close")
    ]

    def __init__(self, service: SyncService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield SyncStatus(self.service, id="sync-status")

    def action_close(self) -> None:
        status = self.query_one(SyncStatus)
        if status.summary is None:
            status.cancel_event.set()
            return
        self.dismiss(status.summary)

    @on(SyncStatus.Closed)
    def _closed(self) -> None:
        self.dismiss(self.query_one(SyncStatus).summary)
