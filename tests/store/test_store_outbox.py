"""The outbox contract: enqueue, per-card order, results, failures, archiving, sequence numbers."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branch_app.store import LocalStore, MemoryKeyring, OutboxStatus, UnknownItem
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS, loss_payload

A, B, C = (h["holder_id"] for h in HOLDERS)


def enqueue(store: LocalStore, holder_id: str, kind: str = "report_loss", version: int = 1):
    return store.outbox.enqueue(
        kind,
        holder_id,
        {"kind": kind, "channel": "card_bank_branch"},
        base_version=version,
        actor="T001",
        device="PC-07",
        branch="GZ-001",
    )


def test_enqueue_returns_the_item_and_it_survives_a_restart(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        item = store.outbox.enqueue(
            "report_loss",
            A,
            loss_payload(HOLDERS[0]),
            base_version=4,
            actor="T001",
            device="PC-07",
            branch="GZ-001",
        )
        assert len(item.id) == 32 and int(item.id, 16) >= 0
        assert item.status == OutboxStatus.PENDING
        assert item.seq == 1 and item.attempts == 0 and item.result is None
        assert item.made_at.startswith("2026-11-28T09:00:0") and item.made_at.endswith(".000Z")
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        again = store.outbox.get(item.id)
    assert again == item
    assert again.payload["applicant"]["name"] == "王秀英"


def test_sequence_numbers_keep_rising_across_restarts_and_archiving(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    seen: list[int] = []
    for _round in range(3):
        with LocalStore.open(
            data_dir, keyring=memory_keyring, clock=clock, archive_threshold=1
        ) as store:
            items = [enqueue(store, h) for h in (A, B)]
            seen += [i.seq for i in items]
            store.outbox.mark_sending([i.id for i in items])
            store.outbox.record_results(
                [{"id": i.id, "status": "accepted", "version": 2} for i in items]
            )
            assert len(store.outbox) == 0  # everything answered went to the archive
    assert seen == sorted(seen) and len(set(seen)) == len(seen) == 6


def test_sendable_keeps_each_cards_order_and_respects_the_limit(store: LocalStore) -> None:
    a1, b1, a2, c1, a3 = (enqueue(store, h) for h in (A, B, A, C, A))
    assert [i.id for i in store.outbox.sendable(10)] == [a1.id, b1.id, a2.id, c1.id, a3.id]
    assert [i.id for i in store.outbox.sendable(2)] == [a1.id, b1.id]
    assert store.outbox.sendable(0) == []
    store.outbox.mark_sending([a1.id, b1.id])
    # items left in `sending` by a crash are sent again, in their place
    assert [i.id for i in store.outbox.sendable(3)] == [a1.id, b1.id, a2.id]
    store.outbox.record_results(
        [{"id": a1.id, "status": "accepted", "version": 2}, {"id": b1.id, "status": "conflict"}]
    )
    assert [i.id for i in store.outbox.sendable(10)] == [a2.id, c1.id, a3.id]


def test_results_are_kept_with_their_answer(store: LocalStore) -> None:
    item = enqueue(store, A)
    store.outbox.mark_sending([item.id])
    assert store.outbox.get(item.id).status == "sending"
    record = {"holder_id": A, "version": 5}
    store.outbox.record_results(
        [
            {
                "id": item.id,
                "status": "rejected",
                "version": 5,
                "reason": "card_cancelled",
                "message": "the card was cancelled",
                "record": record,
            }
        ]
    )
    answered = store.outbox.get(item.id)
    assert answered.status == "rejected"
    assert answered.result == {
        "version": 5,
        "reason": "card_cancelled",
        "message": "the card was cancelled",
        "record": record,
    }
    # a repeated answer for an answered item changes nothing
    store.outbox.record_results([{"id": item.id, "status": "accepted"}])
    assert store.outbox.get(item.id).status == "rejected"
    assert store.outbox.items("rejected") == [answered]


def test_results_given_as_objects_are_accepted(store: LocalStore) -> None:
    class Result:
        def __init__(self, item_id: str) -> None:
            self.id, self.status, self.version = item_id, "merged", 3
            self.reason = self.message = self.record = None

    item = enqueue(store, A)
    store.outbox.record_results([Result(item.id)])
    assert store.outbox.get(item.id).status == "merged"
    assert store.outbox.get(item.id).result["version"] == 3


def test_unknown_status_or_id_is_refused(store: LocalStore) -> None:
    item = enqueue(store, A)
    with pytest.raises(ValueError, match="unknown result status"):
        store.outbox.record_results([{"id": item.id, "status": "applied"}])
    with pytest.raises(UnknownItem, match="no item"):
        store.outbox.record_results([{"id": "f" * 32, "status": "accepted"}])
    with pytest.raises(UnknownItem):
        store.outbox.get("0" * 32)
    with pytest.raises(UnknownItem):
        store.outbox.mark_sending(["0" * 32])
    assert store.outbox.get(item.id).status == "pending"


def test_failure_counts_attempts_and_returns_to_pending(store: LocalStore) -> None:
    item = enqueue(store, A)
    store.outbox.mark_sending([item.id])
    store.outbox.record_failure([item.id], "central unreachable")
    store.outbox.mark_sending([item.id])
    store.outbox.record_failure([item.id], "timed out")
    failed = store.outbox.get(item.id)
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 2, "timed out")


def test_counts_and_oldest_unsent_include_the_archive(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=2) as s:
        items = [enqueue(s, h) for h in (A, B, C, A)]
        assert s.outbox.oldest_unsent() == items[0]
        s.outbox.record_results(
            [
                {"id": items[0].id, "status": "accepted"},
                {"id": items[1].id, "status": "merged"},
                {"id": items[2].id, "status": "conflict", "reason": "replaced"},
            ]
        )
        assert s.outbox.oldest_unsent() == s.outbox.get(items[3].id)
        assert len(s.outbox) == 2  # the conflict and the pending one stay live
        counts = s.outbox.counts()
        assert counts == {
            "pending": 1,
            "sending": 0,
            "accepted": 1,
            "merged": 1,
            "conflict": 1,
            "rejected": 0,
        }
        # archived items are still found by id
        assert s.outbox.get(items[0].id).status == "accepted"
        assert s.archive.months() == ["2026-11"]
        # an answer repeated after archiving is ignored
        s.outbox.record_results([{"id": items[0].id, "status": "accepted"}])
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as s:
        assert s.outbox.counts() == counts


def test_for_holder_lists_a_cards_items(store: LocalStore) -> None:
    a1, _b1, a2 = (enqueue(store, h) for h in (A, B, A))
    assert [i.id for i in store.outbox.for_holder(A.lower())] == [a1.id, a2.id]


def test_bad_arguments_are_refused(store: LocalStore) -> None:
    with pytest.raises(ValueError):
        store.outbox.enqueue("", A, {}, base_version=1, actor="T", device="D", branch="B")
    with pytest.raises(ValueError):
        store.outbox.enqueue("unlock", "", {}, base_version=1, actor="T", device="D", branch="B")
    with pytest.raises(TypeError):
        store.outbox.enqueue("unlock", A, [], base_version=1, actor="T", device="D", branch="B")  # type: ignore[arg-type]
    assert len(store.outbox) == 0


operations = st.lists(
    st.tuples(
        st.sampled_from(["enqueue", "send", "answer", "fail"]),
        st.integers(0, 2),
        st.integers(1, 4),
        st.sampled_from(["accepted", "merged", "conflict", "rejected"]),
    ),
    max_size=25,
)


@settings(max_examples=40)
@given(operations)
def test_sendable_never_lets_a_later_command_overtake(tmp_path_factory, ops) -> None:
    """Whatever happened before, a card's later item never leaves without its earlier ones."""
    keyring = MemoryKeyring()
    folder = tmp_path_factory.mktemp("outbox")
    with LocalStore.open(folder, keyring=keyring, archive_threshold=3) as store:
        made: list[tuple[str, str]] = []  # (id, holder) in the order made
        for op, who, limit, status in ops:
            if op == "enqueue":
                made.append(
                    (enqueue(store, HOLDERS[who]["holder_id"]).id, HOLDERS[who]["holder_id"])
                )
                continue
            batch = store.outbox.sendable(limit)
            assert len(batch) <= limit
            chosen = {i.id for i in batch}
            unfinished = {i.id for i in store.outbox.items(["pending", "sending"])}
            for item in batch:
                earlier = [i for i, h in made if h == item.holder_id]
                earlier = earlier[: earlier.index(item.id)]
                assert all(e in chosen for e in earlier if e in unfinished)
            assert [i.seq for i in batch] == sorted(i.seq for i in batch)
            ids = [i.id for i in batch]
            if op == "send":
                store.outbox.mark_sending(ids)
            elif op == "answer":
                store.outbox.record_results([{"id": i, "status": status} for i in ids])
            else:
                store.outbox.record_failure(ids, "offline")
        total = sum(store.outbox.counts().values())
        assert total == len(made)


def test_enqueue_many_is_all_or_nothing(store: LocalStore) -> None:
    command = {
        "kind": "apply",
        "holder_id": A,
        "payload": {"kind": "apply"},
        "base_version": None,
        "actor": "T001",
        "device": "PC-07",
        "branch": "GZ-001",
    }
    writes = store.outbox._storage.writes
    made = store.outbox.enqueue_many([command, {**command, "kind": "fee"}])
    assert [i.seq for i in made] == [1, 2] and store.outbox._storage.writes == writes + 1
    with pytest.raises(TypeError):
        store.outbox.enqueue_many([command, {**command, "base_version": "2"}])
    assert len(store.outbox) == 2 and store.outbox.next_seq == 3


def test_the_counter_and_the_sync_worker_can_share_the_store(store: LocalStore) -> None:
    """The UI enqueues on its thread while the sync engine drains in a worker thread."""
    import threading

    made: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def counter() -> None:
        try:
            for n in range(40):
                made.append(enqueue(store, HOLDERS[n % 3]["holder_id"]).id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def sync_worker() -> None:
        try:
            while not done.is_set() or store.outbox.sendable(1):
                batch = [i.id for i in store.outbox.sendable(5)]
                if batch:
                    store.outbox.mark_sending(batch)
                    store.outbox.record_results([{"id": i, "status": "accepted"} for i in batch])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=counter), threading.Thread(target=sync_worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert len(made) == 40
    assert store.outbox.counts()["accepted"] == 40
    assert all(store.outbox.get(i).status == "accepted" for i in made)


def test_a_closed_conflict_leaves_the_live_file(store: LocalStore) -> None:
    conflict, rejected, pending = (enqueue(store, h) for h in (A, B, C))
    store.outbox.record_results(
        [
            {"id": conflict.id, "status": "conflict", "reason": "replacement_applied"},
            {"id": rejected.id, "status": "rejected", "reason": "card_cancelled"},
        ]
    )
    assert store.outbox.awaiting_supervisor() == 2
    with pytest.raises(ValueError):
        store.outbox.close_quarantined([conflict.id], actor="", note="x")
    closed = store.outbox.close_quarantined(
        [conflict.id, pending.id], actor="S001", note="holder asked for a replacement instead"
    )
    assert closed == 1  # the pending one is not quarantined and stays as it is
    assert [i.id for i in store.outbox.items()] == [rejected.id, pending.id]
    assert store.outbox.get(conflict.id).status == "conflict"  # found in the archive
    assert store.outbox.counts()["conflict"] == 1
    assert store.outbox.awaiting_supervisor() == 1  # counts stay all-time; this is what is open
    assert store.outbox.close_quarantined([rejected.id], actor="S001", note="done") == 1
    assert store.outbox.awaiting_supervisor() == 0
    assert [i.id for i in store.outbox.items()] == [pending.id]
    assert store.check().ok


def test_sending_marks_stay_in_memory_until_a_clean_close_and_are_harmless_to_lose(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    store = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock)
    first, second = enqueue(store, A), enqueue(store, B)
    writes = store.outbox._storage.writes
    store.outbox.mark_sending([first.id, second.id])
    assert store.outbox._storage.writes == writes  # no whole-file write for the marks
    assert store.outbox.get(first.id).status == "sending"
    store._folder_lock.release()  # killed before any other write
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert [i.status for i in store.outbox.items()] == ["pending", "pending"]
        assert [i.id for i in store.outbox.sendable(5)] == [first.id, second.id]  # sent again
        store.outbox.mark_sending([first.id])
        writes = store.outbox._storage.writes
        store.outbox.record_results([{"id": second.id, "status": "accepted"}])  # a real write
        assert store.outbox._storage.writes == writes + 1
        assert store.outbox.get(first.id).status == "sending"
        assert store.outbox.counts()["sending"] == 1
        assert [i.id for i in store.outbox.items("sending")] == [first.id]
        on_disk = orjson.loads(store.outbox.path.read_bytes())["tables"]["items"]
        assert on_disk[str(first.seq)]["status"] == "pending"  # the mark is not written
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert store.outbox.get(first.id).status == "sending"  # written at the clean close
        store.outbox.record_failure([first.id], "x")
        store.outbox.mark_sending([first.id])
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert store.outbox.get(first.id).status == "sending"  # written at the clean close


def test_a_crash_between_archive_and_live_write_leaves_each_item_once(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    store = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock, archive_threshold=99)
    items = [enqueue(store, h) for h in (A, B, C)]
    store.outbox.record_results([{"id": i.id, "status": "accepted"} for i in items[:2]])
    answered = [d for d in store.outbox._raw().values() if d["status"] == "accepted"]
    assert store.archive.add(answered) == 2  # the archive part is written...
    store._folder_lock.release()  # ...and the process dies before the live file shrinks
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        live = [i.id for i in store.outbox.items()]
        archived = [d["id"] for d in store.archive.all_docs()]
        assert live == [items[2].id]
        assert sorted(archived) == sorted(i.id for i in items[:2])
        assert len(store.archive.files()) == 1  # the same part, not a second copy
        assert store.outbox.counts()["accepted"] == 2
