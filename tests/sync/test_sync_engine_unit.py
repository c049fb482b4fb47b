"""Unit tests of the engine's decisions against a fake outbox and a scripted central."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from branch_app.domain.vocabulary import OutboxStatus, Outcome
from sync.client import (
    CentralAuthRejected,
    CentralBusy,
    CentralConnectionLost,
    CentralRejected,
    CentralServerError,
    CentralTimeout,
)
from sync.engine import RetryPolicy, SyncEngine, outbox_result
from sync.protocol import ChangesResponse, PushCommand, PushResult
from tests.sync.fakes import FakeOutbox, FakePullTarget

FAST = RetryPolicy(attempts=5, timeout=30, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)


class ScriptedCentral:
    """Applies every command unless a scripted failure is queued for the next call."""

    def __init__(self) -> None:
        self.failures: list[Exception] = []
        self.batches: list[list[str]] = []
        self.seen: dict[str, dict[str, Any]] = {}
        self.refuse_if: Callable[[PushCommand], bool] | None = None
        self.pages: list[dict[str, Any]] = []
        self.change_calls: list[Any] = []
        self.failing_ids: set[str] = set()

    def push(
        self,
        commands: Sequence[PushCommand],
        *,
        encoded: bytes | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> list[PushResult]:
        if self.failures:
            raise self.failures.pop(0)  # as if the connection failed before the batch was written
        if on_sent is not None:
            on_sent()
        if self.refuse_if and any(self.refuse_if(c) for c in commands):
            raise CentralRejected(422, "invalid_command", "bad field")
        self.batches.append([c.id for c in commands])
        out = []
        for c in commands:
            if c.id in self.failing_ids:
                out.append({"id": c.id, "outcome": "rejected", "reason": "internal_error"})
                continue
            if c.id in self.seen:
                out.append({**self.seen[c.id], "outcome": "duplicate"})
                continue
            answer = {
                "id": c.id,
                "outcome": "applied",
                "version": 1,
                "reason": None,
                "message": None,
                "record": {"holder_id": c.holder_id, "version": 1},
            }
            self.seen[c.id] = answer
            out.append(answer)
        return [PushResult.model_validate(a) for a in out]

    def changes(self, since: int | None, limit: int = 500) -> ChangesResponse:
        self.change_calls.append(since)
        if self.pages:
            return ChangesResponse.model_validate(self.pages.pop(0))
        return ChangesResponse(changes=[], next_cursor=since or 0)


def make(outbox: FakeOutbox, central: ScriptedCentral, **kw: Any) -> tuple[SyncEngine, list[float]]:
    waits: list[float] = []

    def wait(cancel: threading.Event, seconds: float) -> bool:
        waits.append(seconds)
        return cancel.is_set()

    kw.setdefault("retry", FAST)
    return SyncEngine(outbox, central, wait=wait, **kw), waits


def fill(outbox: FakeOutbox, n: int, cards: int = 3) -> None:
    for i in range(n):
        outbox.enqueue(
            "report_loss", f"H{i % cards}", {"kind": "report_loss", "channel": "card_bank_branch"}
        )


@pytest.mark.parametrize("pipeline", [True, False])
def test_drains_everything_in_batches_keeping_per_card_order(pipeline: bool) -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 25, cards=4)
    engine, _ = make(outbox, central, batch_size=7, pipeline=pipeline)
    progress: list[tuple[int, int]] = []
    summary = engine.run(progress=lambda d, t: progress.append((d, t)))
    assert summary.ok and summary.outcomes["applied"] == 25
    assert outbox.counts() == {"accepted": 25}
    sent_order = [i for batch in central.batches for i in batch]
    for card in ("H0", "H1", "H2", "H3"):
        seqs = [outbox.items[i].seq for i in sent_order if outbox.items[i].holder_id == card]
        assert seqs == sorted(seqs)
    assert progress[0] == (0, 25) and progress[-1] == (25, 25)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


@pytest.mark.parametrize(
    "failure",
    [CentralTimeout("read"), CentralConnectionLost("reset"), CentralServerError(503)],
)
def test_transient_failures_are_retried_with_growing_backoff(failure: Exception) -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 3)
    central.failures = [failure, failure, failure]
    engine, waits = make(outbox, central)
    summary = engine.run()
    assert summary.ok and summary.retries == 3
    assert outbox.counts() == {"accepted": 3}
    assert len(waits) == 3 and all(0 < w <= FAST.wait_max for w in waits)


def test_retry_after_of_a_429_is_honoured() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 2)
    central.failures = [CentralBusy(2.5)]
    engine, waits = make(outbox, central)
    assert engine.run().ok
    assert waits == [2.5]


def test_giving_up_returns_items_to_pending_and_reports_the_error() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 4)
    central.failures = [CentralTimeout("read")] * 10
    engine, waits = make(outbox, central)
    summary = engine.run()
    assert summary.error == "sync.error.timeout"
    assert len(waits) == FAST.attempts - 1
    assert outbox.counts() == {"pending": 4}
    assert all(item.attempts == 1 for item in outbox.items.values())
    assert summary.remaining == 4


def test_a_refusal_is_never_retried() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 3)
    central.failures = [CentralRejected(404, "not_found", "no such endpoint")]
    engine, waits = make(outbox, central)
    summary = engine.run()
    assert waits == [] and summary.error == "sync.error.rejected"
    assert outbox.counts() == {"pending": 3}  # not quarantined: the batch was not at fault


def test_auth_refusal_stops_the_run_without_quarantine() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 3)
    central.failures = [CentralAuthRejected(401, "bad_token", "")]
    engine, waits = make(outbox, central)
    summary = engine.run()
    assert waits == [] and summary.error == "sync.error.auth"
    assert outbox.counts() == {"pending": 3}


def test_a_poisoned_command_is_quarantined_and_the_rest_goes_through() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 10, cards=10)
    poison = list(outbox.items)[6]
    central.refuse_if = lambda c: c.id == poison
    engine, waits = make(outbox, central, batch_size=10)
    summary = engine.run()
    assert summary.ok and waits == []
    assert outbox.items[poison].status == "rejected"
    assert outbox.items[poison].result["reason"] == "invalid_command"
    assert outbox.counts() == {"accepted": 9, "rejected": 1}
    assert summary.outcomes == {"applied": 9, "rejected": 1}


def test_an_unreadable_item_is_quarantined_locally_without_sending() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 2)
    bad = outbox.enqueue("report_loss", "", {"kind": "report_loss"})
    engine, _ = make(outbox, central)
    summary = engine.run()
    assert outbox.items[bad.id].status == "rejected"
    assert bad.id not in {i for b in central.batches for i in b}
    assert summary.outcomes["rejected"] == 1 and summary.outcomes["applied"] == 2


def test_items_left_sending_by_a_crash_are_resent_and_answered_once() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 6)
    first = [i.id for i in outbox.sendable(3)]
    outbox.mark_sending(first)
    central.push(
        [PushCommand.model_construct(id=i, holder_id=outbox.items[i].holder_id) for i in first]
    )  # landed, answer lost
    engine, _ = make(outbox, central)
    summary = engine.run()
    assert summary.outcomes == {"duplicate": 3, "applied": 3}
    assert outbox.counts() == {"accepted": 6}
    assert len(outbox.results_log) == 6


def test_cancel_during_a_wait_stops_promptly_and_loses_nothing() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 3)
    central.failures = [CentralTimeout("read")] * 10
    cancel = threading.Event()

    def wait(event: threading.Event, seconds: float) -> bool:
        cancel.set()
        return event.is_set()

    engine = SyncEngine(outbox, central, retry=FAST, wait=wait)
    summary = engine.run(cancel=cancel)
    assert summary.cancelled and not summary.ok
    assert outbox.counts() == {"pending": 3}


def test_cancel_between_batches() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 10, cards=10)
    cancel = threading.Event()
    engine, _ = make(outbox, central, batch_size=4)
    summary = engine.run(cancel=cancel, progress=lambda d, t: cancel.set() if d >= 4 else None)
    assert summary.cancelled
    assert outbox.counts() == {"accepted": 4, "pending": 6}


def test_pull_follows_the_cursor_and_stores_it() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    target = FakePullTarget()
    central.pages = [
        {
            "changes": [
                {"cursor": 1, "holder_id": "A", "record": {"version": 2}},
                {"cursor": 2, "holder_id": "B", "record": {"version": 5}},
            ],
            "next_cursor": 2,
        },
        {"changes": [{"cursor": 3, "holder_id": "A", "record": {"version": 3}}], "next_cursor": 3},
    ]
    engine, _ = make(outbox, central, pull_target=target, pull_page_size=2)
    summary = engine.run()
    assert summary.pulled == 3 and target.cursor == 3
    assert central.change_calls == [None, 2]
    assert target.records["A"]["version"] == 3


def test_duplicate_of_a_conflict_is_recorded_as_the_conflict() -> None:
    answer = {
        "id": "x",
        "outcome": "duplicate",
        "first_outcome": "conflict",
        "reason": "card_cancelled",
    }
    assert outbox_result(PushResult.model_validate(answer))["status"] == "conflict"
    merged = PushResult(id="y", outcome=Outcome.MERGED)
    assert outbox_result(merged)["status"] == OutboxStatus.MERGED


def test_second_run_while_one_is_running_is_refused() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    engine, _ = make(outbox, central)
    assert engine._lock.acquire()
    try:
        assert engine.run().error == "sync.error.busy_running"
    finally:
        engine._lock.release()


def test_a_run_asked_to_wait_follows_the_one_running() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 3)
    engine, _ = make(outbox, central)
    assert engine._lock.acquire()
    answers: list[Any] = []
    waiting = threading.Thread(target=lambda: answers.append(engine.run(wait_if_busy=True)))
    waiting.start()
    assert not answers  # it waits while the other run holds the engine ...
    engine._lock.release()
    waiting.join(10)
    assert answers and answers[0].ok and answers[0].answered == 3  # ... then runs


def test_a_cancelled_wait_runs_nothing() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 2)
    engine, _ = make(outbox, central)
    cancel = threading.Event()
    cancel.set()
    assert engine._lock.acquire()
    try:
        summary = engine.run(wait_if_busy=True, cancel=cancel)
    finally:
        engine._lock.release()
    assert summary.cancelled and summary.answered == 0 and central.batches == []


def test_not_enrolled_leaves_nothing_in_flight() -> None:
    from sync.client import NotEnrolled

    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 2)
    central.failures = [NotEnrolled("no token")]
    engine, waits = make(outbox, central)
    summary = engine.run()
    assert summary.error == "sync.error.not_enrolled" and waits == []
    assert outbox.counts() == {"pending": 2}


def test_a_command_the_central_keeps_failing_waits_for_the_next_run_with_its_card() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 12, cards=3)  # H0, H1, H2, H0, ...
    stuck = next(i for i in outbox.items.values() if i.holder_id == "H1")
    central.failing_ids = {stuck.id}
    engine, _ = make(outbox, central, batch_size=2)
    summary = engine.run()  # ends: no endless resending within one run
    assert summary.ok
    by_card = {
        card: {i.status for i in outbox.items.values() if i.holder_id == card}
        for card in ("H0", "H1", "H2")
    }
    assert by_card["H0"] == by_card["H2"] == {"accepted"}
    assert by_card["H1"] == {"pending"}  # the stuck one, and the later ones of its card
    assert outbox.items[stuck.id].last_error == "sync.error.unanswered"
    central.failing_ids.clear()
    assert engine.run().ok and outbox.counts() == {"accepted": 12}


class _SlowSync:
    """A sync service whose run lasts until it is cancelled (a central that hangs)."""

    def __init__(self) -> None:
        self.running = threading.Event()

    def ping(self) -> bool:
        return True

    def queue_status(self) -> Any:
        from sync.service import QueueStatus

        return QueueStatus(depth=3, oldest_age=None, conflicts=0, rejected=0)

    def last_sync(self) -> None:
        return None

    def run(self, *, cancel: threading.Event, **_kw: Any) -> Any:
        from sync.engine import SyncSummary

        self.running.set()
        cancel.wait(60)
        return SyncSummary(cancelled=cancel.is_set())


class _QuietApp:
    def post_message(self, _message: object) -> bool:
        return True


def test_closing_the_app_ends_a_background_sync_and_starts_no_other() -> None:
    """The app's worker threads are waited for at exit: a hanging sync must not hold it up."""
    from branch_app.ui.controllers.sync_monitor import SyncMonitor

    service = _SlowSync()
    monitor = SyncMonitor(_QuietApp(), service)  # type: ignore[arg-type]
    check = threading.Thread(target=monitor.check)
    check.start()
    assert service.running.wait(10)
    monitor.stop()
    check.join(10)
    assert not check.is_alive()
    service.running.clear()
    monitor.check()  # after stop: checks the connection, never starts a sync
    assert not service.running.is_set()
