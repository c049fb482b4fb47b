"""A batch's `sending` marks are written on the recording thread while the batch travels: they
must still come before its answers, and before a failure is recorded for it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sync.client import CentralRejected
from sync.engine import SyncEngine
from sync.protocol import PushCommand, PushResult
from tests.sync.fakes import FakeOutbox
from tests.sync.test_sync_engine_unit import FAST, ScriptedCentral, fill


class _LoggingOutbox(FakeOutbox):
    """Notes, in order, which ids were marked sending and which were answered."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, frozenset[str]]] = []

    def mark_sending(self, ids: Sequence[str]) -> None:
        with self.lock:
            self.calls.append(("mark", frozenset(ids)))
            super().mark_sending(ids)

    def record_results(self, results: Sequence[Mapping[str, Any]]) -> None:
        with self.lock:
            self.calls.append(("answer", frozenset(str(r["id"]) for r in results)))
            super().record_results(results)


def test_every_batch_is_marked_before_its_answers_are_recorded() -> None:
    outbox, central = _LoggingOutbox(), ScriptedCentral()
    fill(outbox, 23, cards=4)
    engine = SyncEngine(outbox, central, batch_size=5, retry=FAST, pipeline=True)
    summary = engine.run()
    assert summary.ok and outbox.counts() == {"accepted": 23}
    marked_at: dict[str, int] = {}
    answered_at: dict[str, int] = {}
    for position, (call, ids) in enumerate(outbox.calls):
        for item_id in ids:
            (marked_at if call == "mark" else answered_at).setdefault(item_id, position)
    assert set(marked_at) == set(answered_at) == set(outbox.items)
    assert all(marked_at[i] < answered_at[i] for i in outbox.items)


class _SlowMarks(FakeOutbox):
    """Marks the second batch only once its push has started (the marks of a batch after the
    first run on the recording thread, with the previous batch's answers)."""

    def __init__(self, pushed: threading.Event) -> None:
        super().__init__()
        self.pushed = pushed
        self.marked = 0

    def mark_sending(self, ids: Sequence[str]) -> None:
        self.marked += 1
        if self.marked > 1:
            assert self.pushed.wait(10), "the push never started"
        super().mark_sending(ids)


class _RefusingSecond(ScriptedCentral):
    """Applies the first batch, refuses the second."""

    def __init__(self, pushed: threading.Event) -> None:
        super().__init__()
        self.pushed = pushed

    def push(
        self,
        commands: Sequence[PushCommand],
        *,
        encoded: bytes | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> list[PushResult]:
        if not self.batches:
            return super().push(commands, encoded=encoded, on_sent=on_sent)
        if on_sent is not None:
            on_sent()  # written, then refused
        self.pushed.set()
        raise CentralRejected(404, "not_found", "no such endpoint")


def test_a_failed_push_leaves_its_items_pending_even_when_marked_late() -> None:
    pushed = threading.Event()
    outbox, central = _SlowMarks(pushed), _RefusingSecond(pushed)
    fill(outbox, 4, cards=4)
    engine = SyncEngine(outbox, central, batch_size=2, retry=FAST, pipeline=True)
    summary = engine.run()
    assert summary.error == "sync.error.rejected"
    assert outbox.marked == 2
    # The first batch accepted; the second's failure was recorded after its marks.
    assert outbox.counts() == {"accepted": 2, "pending": 2}
    second = [i for i in outbox.items.values() if i.status == "pending"]
    assert all(item.attempts == 1 for item in second)


class _FullDisk(FakeOutbox):
    """Cannot write answers while `full` (as a full disk refuses the outbox's write)."""

    def __init__(self) -> None:
        super().__init__()
        self.full = True

    def record_results(self, results: Sequence[Mapping[str, Any]]) -> None:
        if self.full:
            raise OSError(28, "No space left on device")
        super().record_results(results)


def test_a_recording_that_fails_while_a_batch_is_sent_stops_the_run_and_loses_nothing() -> None:
    """The first batch's answers are written while the second is on the wire; when that write
    fails, the error comes out of the run once the second request is over (not from inside the
    HTTP client), nothing is recorded as answered, and the next run gets the central's first
    answers again as duplicates."""
    outbox, central = _FullDisk(), ScriptedCentral()
    fill(outbox, 10, cards=10)
    engine = SyncEngine(outbox, central, batch_size=5, retry=FAST, pipeline=True)
    try:
        engine.run()
    except OSError as error:
        assert error.errno == 28
    else:
        raise AssertionError("the failed write must come out of the run")
    assert len(central.batches) == 2  # the second batch was sent, then the error came out
    assert outbox.counts().get("accepted", 0) == 0
    outbox.full = False
    summary = engine.run()
    assert summary.ok and outbox.counts() == {"accepted": 10}
    assert summary.outcomes == {"duplicate": 10}
