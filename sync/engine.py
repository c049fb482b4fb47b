"""The sync engine: drain the outbox to the central in batches, record every answer, pull changes.

Rules it keeps (see docs/ARCHITECTURE.md, "Sync"):

- Order: batches come from `outbox.sendable()`, oldest first, which never hands out a card's item
  while an earlier item of the same card is unfinished; the central applies a batch in order.
- Retries: connection errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter
  (stamina decides whether and how often; the wait itself is ours so that a cancel interrupts it);
  a 429's Retry-After is honoured. A refusal (4xx) is never retried.
- Quarantine: a command that can never succeed (locally without an id, a holder, a kind or a
  payload object; or in a batch the central refuses as malformed, bisected down to the one
  command) is recorded as rejected and the rest goes on. A payload that makes no valid command is
  the central's to judge: it answers that command `rejected/malformed_payload`.
- Pipelining: while batch k travels, a recording thread writes its `sending` marks and batch
  k-1's answers (the outbox, then the card cache), and a preparing thread chooses batch k+1 and
  makes its body. Both start once k is written (`on_sent`), so that they never hold the
  interpreter from the thread writing a request; before k+1 is sent, this thread only checks
  k's answers and counts them.
- Resumption: items left in `sending` by a crash come back from `sendable()` and are resent with the
  same id; the central answers `duplicate` with the first answer, so nothing is applied twice.
- Cancellation: a `threading.Event` checked between batches, between pages and during every wait.

The engine does no threading of its own: the UI runs `run()` in a thread worker, the CLI inline.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, TypeVar, overload

import orjson
import stamina

from branch_app.domain.identity import IdentityKind
from branch_app.domain.vocabulary import UNSENT, OutboxStatus, Outcome
from sync.client import (
    CentralAuthRejected,
    CentralBusy,
    CentralError,
    CentralRejected,
    CentralUnavailable,
)
from sync.protocol import ChangesResponse, ErrorCode, PushCommand, PushResult

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Wire outcomes, and the outbox status each one is recorded as.
OUTCOME_TO_STATUS: dict[Outcome, OutboxStatus] = {
    Outcome.APPLIED: OutboxStatus.ACCEPTED,
    Outcome.DUPLICATE: OutboxStatus.ACCEPTED,
    Outcome.MERGED: OutboxStatus.MERGED,
    Outcome.CONFLICT: OutboxStatus.CONFLICT,
    Outcome.REJECTED: OutboxStatus.REJECTED,
}
#: Every outcome, in the order the summary lists them.
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
#: HTTP statuses that mean "this body is wrong": bisect the batch to find the command.
BODY_REFUSALS = frozenset({400, 413, 422})


# ---------------------------------------------------------------- what the engine needs


#: A card record as JSON (`branch_app.domain.lifecycle.record_to_dict`).
RecordJSON = Mapping[str, Any]


class OutboxItemLike(Protocol):
    """One queued command as the engine reads it (`branch_app.store.OutboxItem`)."""

    @property
    def id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def holder_id(self) -> str: ...
    @property
    def holder_kind(self) -> IdentityKind | None:
        """The holder's document kind; None for an item queued before it was kept."""
        ...

    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def base_version(self) -> int | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def made_at(self) -> str: ...


class RecordedAnswer(TypedDict):
    """What the outbox keeps of one answer (`Outbox.record_results` takes these)."""

    id: str
    status: OutboxStatus
    outcome: Outcome
    version: int | None
    reason: str | None
    message: str | None
    record: RecordJSON | None


class OutboxLike(Protocol):
    """The part of `branch_app.store.Outbox` the engine uses (see the Outbox contract)."""

    def sendable(self, limit: int) -> Sequence[OutboxItemLike]: ...
    def mark_sending(self, ids: Sequence[str]) -> None: ...
    def record_results(self, results: Sequence[RecordedAnswer]) -> None: ...
    def record_failure(self, ids: Sequence[str], error: str) -> None: ...
    def counts(self) -> Mapping[str, int]: ...


class CentralLike(Protocol):
    """The part of `sync.client.CentralClient` the engine uses."""

    def push(
        self,
        commands: Sequence[PushCommand],
        *,
        encoded: bytes | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> list[PushResult]:
        """One batch (`encoded`: its body, `encode_push(commands)`, when already made); `on_sent`
        is called once it is written (at most once per attempt)."""
        ...

    def changes(self, since: int | None, limit: int = ...) -> ChangesResponse: ...


class PullTarget(Protocol):
    """Where pulled records go and where the change cursor is kept (the store's card cache)."""

    def apply_changes(self, changes: Sequence[tuple[str, RecordJSON]]) -> None: ...
    def load_cursor(self) -> int | None: ...
    def save_cursor(self, cursor: int) -> None: ...


ProgressCallback = Callable[[int, int], None]


# ---------------------------------------------------------------- policy and results


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request before giving the items back for a later run."""

    attempts: int = 8
    timeout: float = 120.0
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 1.0
    #: A Retry-After longer than this is cut short (a misconfigured central must not stall us).
    retry_after_max: float = 300.0

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Exponential backoff with jitter for the n-th retry (1-based)."""
        jitter = (rng.uniform if rng is not None else random.uniform)(0, self.wait_jitter)
        base = self.wait_initial * (2 ** (retry_number - 1))
        return min(self.wait_max, base + jitter)


@dataclass
class SyncSummary:
    """What one run did; the CLI prints it and the status bar shows parts of it."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    sent: int = 0
    pulled: int = 0
    retries: int = 0
    batches: int = 0
    cancelled: bool = False
    #: The error that ended the run early (an i18n key), or None.
    error: str | None = None
    error_detail: str = ""
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    finished_at: dt.datetime | None = None
    remaining: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled

    @property
    def answered(self) -> int:
        return sum(self.outcomes.values())

    @property
    def reached_central(self) -> bool:
        """The central answered during this run (a run that only met an unreachable or
        restarting central did not sync anything: "last sync" must not move for it)."""
        return self.error is None or self.error not in UNREACHABLE_ERRORS


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


def _wire_fields(item: OutboxItemLike) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "holder_id": item.holder_id,
        "holder_kind": item.holder_kind,  # None: left out of the body, read by the number's form
        "base_version": item.base_version,
        "payload": dict(item.payload),
        "actor": item.actor,
        "device": item.device,
        "branch": item.branch,
        "made_at": item.made_at,
        "seq": item.seq,
        # The maker's (and approver's) signatures made when it was queued; None: left out.
        "signature": getattr(item, "signature", None),
        "approver_signature": getattr(item, "approver_signature", None),
    }


#: `PushCommand` fields left out of the body when None (`exclude_if` in the protocol).
_LEFT_OUT_WHEN_NONE = ("holder_kind", "signature", "approver_signature")


def wire_command(item: OutboxItemLike) -> PushCommand:
    """The push body entry for one outbox item (protocol v1).

    Not validated here: the central validates every command, and the engine bisects a batch it
    refuses down to the one command at fault (the outbox is ours; a check here would be paid
    twice for every command that is fine)."""
    return PushCommand.model_construct(**_wire_fields(item))


def wire_entry(item: OutboxItemLike) -> dict[str, Any]:
    """`wire_command(item)` as the JSON object the body carries, made without building the
    model (a tenth of its cost; the engine makes 500 per batch)."""
    fields = _wire_fields(item)
    for name in _LEFT_OUT_WHEN_NONE:
        if fields[name] is None:
            del fields[name]
    return fields


def encode_batch(items: Sequence[OutboxItemLike]) -> bytes:
    """The push body for these items: `encode_push([wire_command(i) for i in items])`, made
    from `wire_entry` (orjson writes an enum as its value)."""
    return orjson.dumps({"commands": [wire_entry(item) for item in items]})


class WireCommands(Sequence[PushCommand]):
    """The batch's commands, each made only if asked for: the client sends the body made by
    `encode_batch` and only counts them."""

    def __init__(self, items: Sequence[OutboxItemLike]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> PushCommand: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[PushCommand]: ...
    def __getitem__(self, index: int | slice) -> PushCommand | Sequence[PushCommand]:
        if isinstance(index, slice):
            return [wire_command(item) for item in self._items[index]]
        return wire_command(self._items[index])


def outbox_result(answer: PushResult) -> RecordedAnswer:
    """The outbox's record of one central answer.

    A duplicate repeats the first answer: when the central says what that was (`first_outcome`),
    it is recorded as such; otherwise a duplicate means the command was accepted earlier.
    """
    effective = answer.outcome
    if effective is Outcome.DUPLICATE:
        effective = answer.first_outcome or Outcome.APPLIED
    return RecordedAnswer(
        id=answer.id,
        status=OUTCOME_TO_STATUS[effective],
        outcome=answer.outcome,
        version=answer.version,
        reason=answer.reason,
        message=answer.message,
        record=answer.record,
    )


def _central_failed(answer: PushResult) -> bool:
    """A per-command `rejected/internal_error`: the central failed on it; safe to retry later."""
    return answer.outcome is Outcome.REJECTED and answer.reason == ErrorCode.INTERNAL_ERROR


def local_refusal(item: OutboxItemLike) -> str | None:
    """Why an item can never be sent as it is (quarantine reason), or None if it can be sent.

    Only what the wire needs is checked here: an id, a holder, a kind, a payload that is an
    object. Whether the payload makes a valid command is the central's to judge, with the same
    domain code: it answers such a command `rejected/malformed_payload` and applies the rest of
    the batch, so a check here would be paid for every command that is fine (as in
    `wire_command`)."""
    if not item.id or not item.holder_id or not item.kind:
        return "incomplete_item"
    if not isinstance(item.payload, Mapping):
        return "malformed_payload"
    return None


class _Recorder:
    """Records one batch's answers in a background thread while the next batch travels.

    At most one recording runs at a time and they run in order, so answers land in the outbox
    in the order the central gave them. Its error, if any, comes out of `wait()`/`close()`.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-record")
        self._future: Future[None] | None = None
        self.ids: frozenset[str] = frozenset()

    @property
    def busy(self) -> bool:
        return self._future is not None

    def submit(self, record: Callable[[], None], ids: Sequence[str]) -> None:
        self.wait()
        self.ids = frozenset(ids)
        self._future = self._pool.submit(record)

    def wait(self) -> None:
        future, self._future = self._future, None
        try:
            if future is not None:
                future.result()
        finally:
            self.ids = frozenset()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


@dataclass
class _Prepared:
    """The next batch, chosen and checked while the previous one was on the wire."""

    items: list[OutboxItemLike]
    refusals: dict[str, str]  # item id -> local quarantine reason
    body: bytes  # the push body of the sendable ones, in order (`encode_batch`)


class SyncCancelled(Exception):
    """Raised inside the engine when the cancel event is set; `run()` turns it into a summary."""


# ---------------------------------------------------------------- the engine


class SyncEngine:
    """One device's sync: push the outbox, then pull changes. Not re-entrant: one run at a time."""

    def __init__(
        self,
        outbox: OutboxLike,
        central: CentralLike,
        pull_target: PullTarget | None = None,
        *,
        batch_size: int = 200,
        pull_page_size: int = 500,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        wait: Callable[[threading.Event, float], bool] | None = None,
        pipeline: bool = True,
    ) -> None:
        self.outbox = outbox
        self.central = central
        self.pull_target = pull_target
        self.batch_size = batch_size
        self.pull_page_size = pull_page_size
        self.retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        #: Record a batch's answers in the outbox while the next batch is on the wire.
        self.pipeline = pipeline
        self._recorder: _Recorder | None = None
        self._deferred: tuple[Callable[[], None], list[str]] | None = None
        self._held_back: set[str] = set()
        self._prefetcher: ThreadPoolExecutor | None = None
        self._prefetched: Future[_Prepared] | None = None
        self._prefetch_spoiled = False
        #: Waits `seconds` unless cancelled (then True). Injected by unit tests to see the delays.
        self._wait = wait or (lambda cancel, seconds: cancel.wait(seconds))
        self._lock = threading.Lock()

    # -- entry point

    def run(
        self,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        push: bool = True,
        pull: bool = True,
        wait_if_busy: bool = False,
    ) -> SyncSummary:
        """One sync: push everything sendable, then pull. Never raises for central trouble.

        One run at a time: another caller's run answers `sync.error.busy_running`, or with
        `wait_if_busy` waits for it to end (until cancelled) and then runs."""
        cancel = cancel or threading.Event()
        summary = SyncSummary()
        if not self._take_turn(cancel, wait_if_busy):
            summary.cancelled = cancel.is_set()
            summary.error = "sync.error.busy_running"  # this call ran nothing
            summary.finished_at = dt.datetime.now(dt.UTC)
            return summary
        try:
            if push:
                self._push_all(summary, progress, cancel)
            if pull and self.pull_target is not None and summary.error is None:
                self._pull_all(summary, cancel)
        except SyncCancelled:
            summary.cancelled = True
        except CentralError as exc:
            summary.error = exc.key
            summary.error_detail = str(exc)
            log.info(
                "sync stopped: %s (HTTP %s, code %s)",
                exc.key,
                getattr(exc, "status", None),
                getattr(exc, "code", None),
            )
        finally:
            self._lock.release()
            summary.remaining = self._unsent()
            summary.finished_at = dt.datetime.now(dt.UTC)
        log.info(
            "sync run: %d batches, %d sent, outcomes {%s}, %d pulled, %d retries, %d remaining, "
            "error %s, cancelled %s, %.2fs",
            summary.batches,
            summary.sent,
            ", ".join(f"{outcome}: {n}" for outcome, n in sorted(summary.outcomes.items())),
            summary.pulled,
            summary.retries,
            summary.remaining,
            summary.error,
            summary.cancelled,
            (summary.finished_at - summary.started_at).total_seconds(),
        )
        return summary

    def _take_turn(self, cancel: threading.Event, wait: bool) -> bool:
        if self._lock.acquire(blocking=False):
            return True
        while wait and not cancel.is_set():
            if self._lock.acquire(timeout=0.1):  # a bounded wait, so a cancel is seen
                return True
        return False

    def _unsent(self) -> int:
        counts = self.outbox.counts()
        return sum(int(counts.get(status, 0)) for status in UNSENT)

    # -- push

    def _push_all(
        self, summary: SyncSummary, progress: ProgressCallback | None, cancel: threading.Event
    ) -> None:
        # Counting reads the whole outbox under its lock, which the background recording holds
        # while it writes: done only for a caller that shows progress.
        total = self._unsent() if progress else 0
        done = 0
        if progress:
            progress(done, total)
        recorder = _Recorder() if self.pipeline else None
        self._recorder = recorder
        self._deferred = None
        self._held_back = set()  # cards with an item not answered for good this run
        if self.pipeline:
            self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-next")
        try:
            while True:
                if cancel.is_set():
                    raise SyncCancelled
                prepared = self._take_prefetched()
                batch = prepared.items if prepared is not None else self._next_batch()
                if not batch:
                    if recorder is not None and (recorder.busy or self._deferred is not None):
                        self._flush_deferred()
                        recorder.wait()  # its failures may free items for this run
                        continue
                    break
                done += self._push_batch(batch, summary, cancel, prepared)
                if progress:
                    total = max(total, done + self._unsent() - len(self._unrecorded()))
                    progress(done, total)
        finally:
            try:
                self._flush_deferred()
            finally:
                self._recorder = None
                prefetcher, self._prefetcher, self._prefetched = self._prefetcher, None, None
                if prefetcher is not None:
                    prefetcher.shutdown(wait=True)
                if recorder is not None:
                    recorder.close()

    def _prefetch(self, in_flight: Sequence[str]) -> None:
        """Choose and check the next batch in the background while `in_flight` travels.

        Reading only: the items stay as they are until `_send` marks them. The choice is the
        one `_next_batch` makes once the batch in flight awaits its record, and it is thrown
        away unless that batch ends normally (no failure, bisection or held-back card)."""
        if self._prefetcher is None:
            return
        excluded = frozenset(in_flight)

        def prepare() -> _Prepared:
            items = self._next_batch(excluded)
            refusals: dict[str, str] = {}
            sendable: list[OutboxItemLike] = []
            for item in items:
                reason = local_refusal(item)
                if reason is not None:
                    refusals[item.id] = reason
                else:
                    sendable.append(item)
            return _Prepared(items, refusals, encode_batch(sendable))

        self._prefetch_spoiled = False
        self._prefetched = self._prefetcher.submit(prepare)

    def _take_prefetched(self) -> _Prepared | None:
        """The batch prepared in the background, if it is still the right one."""
        future, self._prefetched = self._prefetched, None
        if future is None:
            return None
        try:
            prepared: _Prepared = future.result()
        except Exception:  # the batch is simply chosen again in the foreground
            log.warning("preparing the next batch failed; choosing it again")
            return None
        return None if self._prefetch_spoiled else prepared

    def _unrecorded(self) -> frozenset[str]:
        """Ids answered by the central whose answers are not in the outbox yet."""
        ids = self._recorder.ids if self._recorder is not None else frozenset()
        if self._deferred is not None:
            ids = ids | frozenset(self._deferred[1])
        return ids

    def _flush_deferred(self, first: Callable[[], None] | None = None) -> None:
        """Start recording the last batch's answers (in the background when pipelining),
        after `first` (the next batch's `sending` marks) on the same thread, in that order."""
        deferred, self._deferred = self._deferred, None
        if deferred is None:
            if first is not None:
                if self._recorder is not None:
                    self._recorder.submit(first, ())
                else:
                    first()
            return
        record, ids = deferred
        if first is not None:
            then = record

            def record() -> None:
                first()
                then()

        if self._recorder is not None:
            self._recorder.submit(record, ids)
        else:
            record()

    def _settle(self) -> None:
        """Wait for the background work (this batch's marks) before recording a failure."""
        if self._recorder is not None:
            self._recorder.wait()

    def _next_batch(self, in_flight: frozenset[str] = frozenset()) -> list[OutboxItemLike]:
        """The next items to send: oldest first, none awaiting its record, no held-back card."""
        in_recording = self._unrecorded() | in_flight
        limit = self.batch_size + len(in_recording) + len(self._held_back) * 4
        batch: list[OutboxItemLike] = []
        for item in self.outbox.sendable(limit):
            if item.id in in_recording:
                continue
            if item.holder_id in self._held_back:
                continue  # keep the card's order: its earlier item waits for the next run
            batch.append(item)
            if len(batch) >= self.batch_size:
                break
        return batch

    def _push_batch(
        self,
        batch: list[OutboxItemLike],
        summary: SyncSummary,
        cancel: threading.Event,
        prepared: _Prepared | None = None,
    ) -> int:
        """Send one batch (quarantining what can never go); the number of items answered.
        `prepared`: the local checks and the push body, when already made while the previous
        batch travelled."""
        refusals = prepared.refusals if prepared is not None else None
        quarantined: list[RecordedAnswer] = []
        sendable: list[OutboxItemLike] = []
        for item in batch:
            reason = refusals.get(item.id) if refusals is not None else local_refusal(item)
            if reason is None:
                sendable.append(item)
            else:
                quarantined.append(self._quarantine_result(item.id, reason, "checked locally"))
        if quarantined:
            self.outbox.record_results(quarantined)
            summary.outcomes[Outcome.REJECTED] += len(quarantined)
            log.warning("quarantined %d unreadable outbox items", len(quarantined))
        if sendable:
            self._send(sendable, summary, cancel, prepared.body if prepared else None)
        return len(batch)

    def _send(
        self,
        items: list[OutboxItemLike],
        summary: SyncSummary,
        cancel: threading.Event,
        encoded: bytes | None = None,
    ) -> None:
        """Send `items` as one push and keep the answers to record. `encoded`: the body
        (`encode_batch(items)`), when made in the background while the previous batch
        travelled."""
        ids = [item.id for item in items]
        commands = WireCommands(items)
        if encoded is None:
            encoded = encode_batch(items)

        def mark() -> None:
            self.outbox.mark_sending(ids)

        on_sent: Callable[[], None] | None = None
        #: A failure of the background work met while the request was being sent (the previous
        #: batch's recording, say a full disk): raised once the request is over, not inside the
        #: HTTP client.
        deferred_error: list[BaseException] = []
        if self._recorder is None:
            mark()
        else:
            started = False

            def start_background(prefetch: bool = True) -> None:
                """Once the batch is written: its marks (kept in memory: `sending` and
                `pending` are sent alike, a crash loses nothing) and the previous batch's
                answers, in that order on the recording thread (`_Recorder` runs one job at a
                time, so this batch's answers are recorded only after its marks); and the next
                batch prepared. Not before: two threads busy in Python while this thread writes
                the request would hold the interpreter from it for milliseconds at a time."""
                nonlocal started
                if started:
                    return
                started = True
                try:
                    self._flush_deferred(first=mark)
                except BaseException as exc:  # raised once the request is over
                    deferred_error.append(exc)
                    return
                if prefetch and len(items) >= self.batch_size:
                    # A full batch: more may wait behind it. A smaller one took everything
                    # sendable (what is queued meanwhile is chosen after it), so nothing is
                    # prepared in vain beside one teller's request.
                    self._prefetch(ids)

            on_sent = start_background
        try:
            try:
                answers = self._with_retries(
                    lambda: self.central.push(commands, encoded=encoded, on_sent=on_sent),
                    summary,
                    cancel,
                )
            except BaseException:
                self._prefetch_spoiled = True  # failure or bisection: choose the next batch anew
                if on_sent is not None:
                    start_background(prefetch=False)
                if deferred_error:
                    raise deferred_error[0] from None
                self._settle()  # the marks are written before any failure is recorded
                raise
            if on_sent is not None:
                start_background()  # the central answered without the write being seen
            if deferred_error:
                # The answers are dropped: the items stay unanswered here and are sent again,
                # and the central answers `duplicate` with these same answers.
                self._prefetch_spoiled = True
                raise deferred_error[0]
        except CentralAuthRejected:
            self.outbox.record_failure(ids, "sync.error.auth")
            raise
        except CentralRejected as exc:
            if exc.status not in BODY_REFUSALS:
                self.outbox.record_failure(ids, exc.key)
                raise
            if len(items) == 1:
                # This one command can never be accepted as it is: quarantine it, go on.
                self.outbox.record_results(
                    [self._quarantine_result(ids[0], exc.code or "rejected", exc.central_message)]
                )
                summary.outcomes[Outcome.REJECTED] += 1
                log.warning("central refused one command as malformed (%s); quarantined", exc.code)
                return
            middle = len(items) // 2
            self._send(items[:middle], summary, cancel)
            self._send(items[middle:], summary, cancel)
            return
        except SyncCancelled:
            self.outbox.record_failure(ids, "sync.cancelled")
            raise
        except CentralUnavailable as exc:
            self.outbox.record_failure(ids, exc.key)
            if cancel.is_set():
                raise SyncCancelled from None
            raise
        except CentralError as exc:  # not enrolled, no keyring: nothing was sent
            self.outbox.record_failure(ids, exc.key)
            raise
        # Only what decides the next batch is done here, before it is sent: which items were
        # not answered for good (their cards wait for the next run) and the outcomes' count.
        # The answers are turned into records on the recording thread.
        answered = {answer.id: answer for answer in answers if not _central_failed(answer)}
        missing = [item.id for item in items if item.id not in answered]
        if missing:  # not answered for good: send again next run
            by_item = {item.id: item for item in items}
            self._held_back.update(by_item[item_id].holder_id for item_id in missing)
            self._prefetch_spoiled = True  # it may hold a later item of these cards
        summary.outcomes.update(answered[item.id].outcome for item in items if item.id in answered)
        summary.sent += len(items)
        summary.batches += 1
        log.info(
            "batch of %d sent: %d answered, %d to send again",
            len(items),
            len(items) - len(missing),
            len(missing),
        )

        def record() -> None:
            results = [outbox_result(answered[item.id]) for item in items if item.id in answered]
            self.outbox.record_results(results)
            if missing:
                self.outbox.record_failure(missing, "sync.error.unanswered")
            # The central's record after an answer is the freshest view of the card. Only an
            # applied answer carries it (or an audited one, for a push with the maker's
            # session): a merged, conflict or duplicate answer carries none, and the pull brings
            # the card's changes for the cards the branch follows; a conflict is recorded for
            # the supervisor either way (whose screen looks the record up, audited).
            fresh = [
                (item.holder_id, answer.record)
                for item in items
                if (answer := answered.get(item.id)) is not None and answer.record is not None
            ]
            if fresh and self.pull_target is not None:
                self.pull_target.apply_changes(fresh)

        if self._recorder is not None:
            self._deferred = (record, ids)  # written while the next batch travels
        else:
            record()

    @staticmethod
    def _quarantine_result(item_id: str, reason: str, message: str) -> RecordedAnswer:
        return RecordedAnswer(
            id=item_id,
            status=OutboxStatus.REJECTED,
            outcome=Outcome.REJECTED,
            version=None,
            reason=reason,
            message=message,
            record=None,
        )

    # -- retries

    def _with_retries(
        self, call: Callable[[], T], summary: SyncSummary, cancel: threading.Event
    ) -> T:
        """`call()` retried on `CentralUnavailable` with backoff; the waits are cancellable."""
        policy = self.retry
        retry_number = 0
        started = time.monotonic()

        def backoff_hook(exc: Exception) -> bool | float:
            nonlocal retry_number
            if not isinstance(exc, CentralUnavailable) or cancel.is_set():
                return False
            # stamina asks us before it checks its own limits: do not wait for a retry it would
            # not make anyway.
            left = policy.timeout - (time.monotonic() - started)
            if retry_number + 1 >= policy.attempts or left <= 0:
                return False
            retry_number += 1
            if isinstance(exc, CentralBusy) and exc.retry_after is not None:
                delay = min(exc.retry_after, policy.retry_after_max, left)
            else:
                delay = min(policy.backoff(retry_number, self._rng), left)
            summary.retries += 1
            log.info("central unavailable (%s); retry %d in %.2fs", exc.key, retry_number, delay)
            if self._wait(cancel, delay):
                return False  # cancelled while waiting: give up now
            return 0.0  # we already waited; stamina keeps the count and the deadline

        for attempt in stamina.retry_context(
            on=backoff_hook,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=0.0,
            wait_max=0.0,
            wait_jitter=0.0,
        ):
            with attempt:
                return call()
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    # -- pull

    def _pull_page(self, since: int | None) -> Callable[[], ChangesResponse]:
        return lambda: self.central.changes(since, self.pull_page_size)

    def _pull_all(self, summary: SyncSummary, cancel: threading.Event) -> None:
        assert self.pull_target is not None
        cursor = self.pull_target.load_cursor()
        while True:
            if cancel.is_set():
                raise SyncCancelled
            since = cursor
            page = self._with_retries(self._pull_page(since), summary, cancel)
            changes = page.changes
            records = [(change.holder_id, change.record) for change in changes]
            if records:
                self.pull_target.apply_changes(records)
            next_cursor = page.next_cursor
            summary.pulled += len(changes)
            if next_cursor != cursor:
                self.pull_target.save_cursor(next_cursor)
                cursor = next_cursor
            if len(changes) < self.pull_page_size or next_cursor == since:
                break


def age_of(made_at: str, now: dt.datetime | None = None) -> dt.timedelta:
    """Age of an outbox item from its ISO 8601 `made_at` (for 'oldest unsent' on the status bar)."""
    made = dt.datetime.fromisoformat(made_at.replace("Z", "+00:00"))
    if made.tzinfo is None:
        made = made.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(dt.timedelta(0), now - made)
