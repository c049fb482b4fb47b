"""The progress panel of one sync ("Sync now"): a ProgressBar, a line of text and Cancel.

`SyncStatus` runs one sync in a thread worker. The worker never touches widgets: it posts
`SyncStatus.SyncProgressed` and `SyncStatus.SyncFinished`, handled on the app thread. Cancel sets
the engine's cancel event (checked between batches and during waits). The modal around it is
`branch_app.ui.dialogs.sync_progress.SyncScreen`; the background checks and syncs are the sync
monitor's (`branch_app.ui.controllers.sync_monitor`).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, ProgressBar, Static

from branch_app.domain.vocabulary import Outcome
from branch_app.i18n import t
from branch_app.ui.controllers.sync_monitor import post_status

if TYPE_CHECKING:
    from sync.engine import SyncSummary
    from sync.service import SyncService


#: Seconds without any answer before the panel says the central is slow to answer.
SLOW_AFTER_SECONDS = 4.0


class SyncStatus(Vertical):
    """One sync with a progress bar, a line of text and a Cancel button."""

    DEFAULT_CSS = """
    SyncStatus { height: auto; width: 64; padding: 1 2; border: round $primary; background: $surface; }
    SyncStatus ProgressBar { margin: 1 0; }
    SyncStatus #sync-detail { width: 1fr; height: auto; }
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
        self._progressed_once = False

    def compose(self) -> ComposeResult:
        yield Label(t("sync.progress.title"), id="sync-title")
        yield ProgressBar(total=None, show_eta=False, id="sync-progress")
        yield Static("", id="sync-detail")  # wraps: a sentence is never cut
        with Horizontal(id="sync-buttons"):
            yield Button(t("common.cancel"), id="sync-cancel", variant="warning")

    def on_mount(self) -> None:
        post_status(self.app, self.service, online=None)
        self.set_timer(SLOW_AFTER_SECONDS, self._slow)
        self.run_sync()

    def _slow(self) -> None:
        """No answer yet after a few seconds: say so, and that closing loses nothing."""
        if self.summary is None and not self._progressed_once:
            self.query_one("#sync-detail", Static).update(t("sync.progress.slow"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def run_sync(self) -> None:
        """The engine's run, off the app thread; only messages come back."""
        from sync.engine import SyncSummary

        def progressed(done: int, total: int) -> None:
            self.post_message(self.SyncProgressed(done, total))

        if not self.service.ping():  # a few seconds at most: say so now, not after the retries
            summary = SyncSummary(error="sync.error.offline")
            summary.finished_at = dt.datetime.now(dt.UTC)
            self.post_message(self.SyncFinished(summary))
            return
        try:
            summary = self.service.run(
                progress=progressed,
                cancel=self.cancel_event,
                wait_if_busy=True,  # a background sync may be on: this one follows it
            )
        except Exception:  # a store or keyring failure: the panel must still end, in words
            summary = SyncSummary(error="sync.error.unknown")
            summary.finished_at = dt.datetime.now(dt.UTC)
        self.post_message(self.SyncFinished(summary))

    @on(SyncProgressed)
    def _progressed(self, message: SyncProgressed) -> None:
        self._progressed_once = True
        bar = self.query_one("#sync-progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        self.query_one("#sync-detail", Static).update(f"{message.done} / {message.total}")

    @on(SyncFinished)
    def _finished(self, message: SyncFinished) -> None:
        summary = message.summary
        self.summary = summary
        bar = self.query_one("#sync-progress", ProgressBar)
        if bar.total is None:
            bar.update(total=1, progress=1)
        self.query_one("#sync-detail", Static).update(finished_text(summary))
        button = self.query_one("#sync-cancel", Button)
        button.label = t("common.ok")
        button.variant = "primary"
        post_status(self.app, self.service, online=summary.reached_central)

    @on(Button.Pressed, "#sync-cancel")
    def _cancel_or_close(self) -> None:
        if self.summary is None:
            self.cancel_event.set()
            self.query_one("#sync-detail", Static).update(t("sync.cancelled"))
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
    if not summary.reached_central:
        # The central is not answering: what becomes of the requests, and that the app keeps
        # trying by itself (the sync monitor's checks), so closing loses nothing.
        return t("sync.progress.not_answering")
    if summary.error is not None:
        return t(summary.error)
    text = t("sync.finished.ok", sent=summary.sent, pulled=summary.pulled)
    conflicts = summary.outcomes.get(Outcome.CONFLICT, 0)
    if conflicts:
        text += "\n" + t("sync.finished.conflicts", count=conflicts)
    return text
