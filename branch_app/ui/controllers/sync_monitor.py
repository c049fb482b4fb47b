"""The sync monitor: the status bar's sync slots, and the background sync.

`SyncMonitor` (`install_sync_monitor(app, service)`) checks every `interval` seconds, and at once
when asked (`check_now`, after a request is accepted), in a thread, whether the central answers,
how deep the queue is, how old its oldest item is and when the last sync ended, and posts the
status bar's messages (`ConnectionStatusChanged`, `QueueDepthChanged`). When the central answers
and requests are waiting, it sends them (`auto_sync`, on by default): nobody has to remember
"Sync now" when the network comes back. With nothing to send it still syncs every `PULL_EVERY`,
for the changes other channels made. No widgets here: only the app's workers, timer and messages.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING, Protocol

from branch_app.domain.vocabulary import Outcome
from branch_app.i18n import t
from branch_app.ui.status import (
    ConnectionStatusChanged,
    QueueDepthChanged,
    RequestsRefused,
    SlotState,
)

if TYPE_CHECKING:
    from textual.message import Message

    from branch_app.ui.app import BranchApp
    from sync.service import SyncService


log = logging.getLogger(__name__)

#: Outcomes of a sent request that the central refused (a supervisor resolves them).
REFUSED_OUTCOMES = (Outcome.CONFLICT, Outcome.REJECTED)


class MessageTarget(Protocol):
    """Where the status bar's messages go (the app; posting is safe from any thread)."""

    def post_message(self, message: Message) -> bool: ...


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


def post_status(app: MessageTarget, service: SyncService, *, online: bool | None) -> None:
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

    def __init__(self, app: BranchApp, service: SyncService, *, auto_sync: bool = True) -> None:
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
        post_status(self.app, self.service, online=summary.reached_central)
        refused = sum(summary.outcomes.get(outcome, 0) for outcome in REFUSED_OUTCOMES)
        if refused:
            self.app.post_message(RequestsRefused(refused))


def install_sync_monitor(
    app: BranchApp, service: SyncService, *, interval: float = 30.0, auto_sync: bool = True
) -> SyncMonitor:
    """Check the connection and the queue now and every `interval` seconds."""
    monitor = SyncMonitor(app, service, auto_sync=auto_sync)
    monitor.check_now()
    app.set_interval(interval, monitor.check_now)
    return monitor
