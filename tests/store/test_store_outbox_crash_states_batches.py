"""Every power-cut state of the engine's pattern of outbox calls keeps the promise.

The engine marks a batch `sending` (kept in memory only), and records its answers; when the
archive takes them all, the archive part is the one durable write and the live file's removal of
them rides on its next write (here an enqueue) or the clean close, which also writes the marks
still in memory. The explorer checks every cut of that pattern (tests/store/crash_states.py)."""

from __future__ import annotations

from pathlib import Path

from branch_app.store import LocalStore
from tests.store.conftest import StepClock
from tests.store.crash_states import Recording, explore
from tests.store.test_store_crash_states import (
    Workload,
    _answer,
    _enqueue,
    check_promise,
    record,
    report,
)


def batches_setup(store: LocalStore, base: object) -> None:
    _enqueue(store, base, 8)  # type: ignore[arg-type]


def batches_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    ids = [item.id for item in store.outbox.items()]
    store.outbox.mark_sending(ids[:4])
    # four archivable answers: the archive part alone is written (threshold 3)
    _answer(store, rec, [(i, "accepted") for i in ids[:4]])
    store.outbox.mark_sending(ids[4:8])
    _enqueue(store, rec, 1)  # its write carries the removal of the archived four
    _answer(store, rec, [(ids[4], "merged"), (ids[5], "accepted"), (ids[6], "accepted")])
    # ids[7] stays `sending` in memory: written at the close that ends the recording


def test_every_crash_state_of_the_engines_batches_keeps_the_promise(tmp_path: Path) -> None:
    workload = Workload("sync batches", batches_setup, batches_run, archive_threshold=3)
    rec, baseline = record(workload, tmp_path / "data")
    result = explore(rec, workload.name, check_promise(workload, baseline), tmp_path)
    report(result, workload.minimum_states)
