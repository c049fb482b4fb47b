"""Recording a batch's answers that the archive takes costs the archive part's write alone (the
live file's removal of them waits for its next write), an answer that stays live is written at
once, and a crash or a failed write between the archive part and the live file loses nothing and
duplicates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from branch_app.store import LocalStore, MemoryKeyring
from branch_app.store.errors import StoreWriteFailed
from branch_app.store.outbox import seal_meta
from tests.store.conftest import StepClock
from tests.store.test_store_outbox import A, B, C, enqueue


def test_answers_the_archive_takes_cost_the_archive_part_alone(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=2) as s:
        items = [enqueue(s, h) for h in (A, B, C)]
        writes = s.outbox._storage.writes
        s.outbox.record_results([{"id": i.id, "status": "accepted"} for i in items[:2]])
        # recorded durably in the archive part; the live file's removal waits for its next write
        assert s.outbox._storage.writes == writes
        assert [i.id for i in s.outbox.items()] == [items[2].id]
        assert s.outbox.get(items[0].id).status == "accepted"  # from the archive
        assert s.outbox.counts()["accepted"] == 2
        fourth = enqueue(s, A)  # the enqueue's one write carries the removal
        assert s.outbox._storage.writes == writes + 1
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as s:
        assert [i.id for i in s.outbox.items()] == [items[2].id, fourth.id]
        assert s.outbox.counts()["accepted"] == 2


def test_an_answer_that_stays_live_is_written_with_the_others_at_once(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=2) as s:
        items = [enqueue(s, h) for h in (A, B, C)]
        writes = s.outbox._storage.writes
        s.outbox.record_results(
            [
                {"id": items[0].id, "status": "accepted"},
                {"id": items[1].id, "status": "accepted"},
                {"id": items[2].id, "status": "conflict", "reason": "r"},
            ]
        )
        assert s.outbox._storage.writes == writes + 1  # the conflict lives in the live file
        s._folder_lock.release()  # killed: no close
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as s:
        assert [i.status for i in s.outbox.items()] == ["conflict"]
        assert s.outbox.counts()["accepted"] == 2


def test_answers_below_the_threshold_are_written_to_the_live_file_at_once(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=5) as s:
        items = [enqueue(s, h) for h in (A, B, C)]
        writes = s.outbox._storage.writes
        s.outbox.record_results([{"id": items[0].id, "status": "accepted"}])
        assert s.outbox._storage.writes == writes + 1  # nothing archived: the live file has it
        s._folder_lock.release()
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as s:
        assert s.outbox.get(items[0].id).status == "accepted"
        assert [i.id for i in s.outbox.sendable(5)] == [items[1].id, items[2].id]


def test_a_crash_before_the_live_write_keeps_archived_answers_once_and_unsent(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    store = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=2)
    items = [enqueue(store, h) for h in (A, B, C, A, B)]
    store.outbox.mark_sending([i.id for i in items])
    store.outbox.record_results([{"id": i.id, "status": "accepted"} for i in items[:2]])
    store.outbox.record_results([{"id": i.id, "status": "merged"} for i in items[2:4]])
    store._folder_lock.release()  # killed: the live file on disk still holds all five, pending
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert [i.id for i in store.outbox.sendable(10)] == [items[4].id]
        archived = sorted(d["id"] for d in store.archive.all_docs())
        assert archived == sorted(i.id for i in items[:4])
        assert [store.outbox.get(i.id).status for i in items] == [
            "accepted",
            "accepted",
            "merged",
            "merged",
            "pending",
        ]
        counts = store.outbox.counts()
        assert (counts["accepted"], counts["merged"], counts["pending"]) == (2, 2, 1)
        assert store.check().ok


def test_a_failed_live_write_after_archiving_does_not_bring_archived_items_back(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock, monkeypatch
) -> None:
    store = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=2)
    items = [enqueue(store, h) for h in (A, B, C)]
    store.outbox.record_results([{"id": i.id, "status": "accepted"} for i in items[:2]])

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("branch_app.store.storage.write_atomically", disk_full)
    with pytest.raises(StoreWriteFailed):
        enqueue(store, C)  # memory goes back to the file, which still holds the archived two
    monkeypatch.undo()
    assert [i.id for i in store.outbox.sendable(10)] == [items[2].id]
    assert [i.id for i in store.outbox.items()] == [items[2].id]
    assert store.outbox.counts()["accepted"] == 2
    store.close()
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert [i.id for i in store.outbox.items()] == [items[2].id]
        assert store.outbox.counts()["accepted"] == 2
        assert sorted(d["id"] for d in store.archive.all_docs()) == sorted(i.id for i in items[:2])


def test_a_crash_after_the_part_before_the_live_write_keeps_each_answer_once(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    store = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=99)
    items = [enqueue(store, h) for h in (A, B, C)]
    store.outbox.mark_sending([i.id for i in items])
    # What record_results writes to the archive part first: the items with their answers...
    answered = []
    for doc in list(store.outbox._raw().values())[:2]:
        answer = {**doc, "status": "accepted", "result": None}
        seal_meta(answer, store.keys)  # as the outbox does with every change
        answered.append(answer)
    assert store.archive.add(answered) == 2
    # ...and the process dies before the live file (still without the answers) is written.
    store._folder_lock.release()
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        live = [i.id for i in store.outbox.items()]
        archived = [d["id"] for d in store.archive.all_docs()]
        assert live == [items[2].id]
        assert sorted(archived) == sorted(i.id for i in items[:2])
        assert store.outbox.get(items[0].id).status == "accepted"
        assert store.outbox.counts()["accepted"] == 2
        assert [i.id for i in store.outbox.sendable(10)] == [items[2].id]
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert [i.id for i in store.outbox.items()] == [items[2].id]
        assert store.outbox.counts()["accepted"] == 2
