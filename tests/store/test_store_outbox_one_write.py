"""Recording a batch's answers and archiving them costs one live-file write, and a crash between
the archive part and that write loses nothing and duplicates nothing."""

from __future__ import annotations

from pathlib import Path

from branch_app.store import LocalStore, MemoryKeyring
from branch_app.store.outbox import seal_meta
from tests.store.conftest import StepClock
from tests.store.test_store_outbox import A, B, C, enqueue


def test_answers_and_archiving_share_one_live_write(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=2) as s:
        items = [enqueue(s, h) for h in (A, B, C)]
        writes = s.outbox._storage.writes
        s.outbox.record_results([{"id": i.id, "status": "accepted"} for i in items[:2]])
        assert s.outbox._storage.writes == writes + 1
        assert [i.id for i in s.outbox.items()] == [items[2].id]
        assert s.outbox.get(items[0].id).status == "accepted"  # from the archive
        assert s.outbox.counts()["accepted"] == 2


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
