"""Every accepted request has its audit entry (issue 10, finding 8).

The counter enqueues (durable) and then appends the audit entry; a crash between the two left
an accepted request without an entry, and nothing noticed. Now the item keeps its entry's
content sealed, and the next open writes the missing entry, marked `recovered`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from branch_app.domain.identity import parse_identity
from branch_app.domain.vocabulary import ApplicationKind
from branch_app.store import LocalStore, MemoryKeyring, storage
from branch_app.store.audit import AUDIT_DIR
from tests.counter.conftest import ADULT, NOW, make_counter
from tests.counter.test_counter_service import active_record
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS


class PowerCutAtTheAudit(storage.FileSystem):
    """Refuses every write to an audit month file (also through a descriptor opened before it
    was installed): the process 'dies' there."""

    def write(self, fd: int, data: bytes) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if path.parent.name == AUDIT_DIR:
            raise OSError("power cut between the enqueue and the audit entry")
        super().write(fd, data)


def _crash(store: LocalStore) -> None:
    """Leave as a killed process would: no clean close, the lock gone."""
    store._folder_lock.release()


def test_a_crash_between_the_enqueue_and_its_entry_is_mended_at_the_next_open(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    store = LocalStore.open(data_dir, keyring=memory_keyring, clock=StepClock())
    store.card_cache.put(active_record())
    counter = make_counter(store)
    adult = parse_identity(ADULT, today=NOW.date())
    first = counter.report_loss(adult)  # a whole one, with its entry
    assert first.accepted

    monkeypatch.setattr(storage, "FS", PowerCutAtTheAudit())
    # enqueued durably, then the append fails: accepted all the same, its entry owed
    answer = counter.apply(adult, ApplicationKind.REPLACEMENT, police_photo=True)
    assert answer.accepted and answer.audit_n == 0
    monkeypatch.undo()
    (lost,) = [i for i in store.outbox.items() if i.id != first.outbox_id]
    assert store.audit.head == 1  # the entry is not there
    _crash(store)

    with LocalStore.open(data_dir, keyring=memory_keyring, clock=StepClock()) as store:
        entries = store.audit.entries()
        assert store.audit.verify().ok
        by_ref = {entry.ref: entry for entry in entries}
        assert set(by_ref) == {first.outbox_id, lost.id}
        assert not by_ref[first.outbox_id].recovered
        recovered = by_ref[lost.id]
        assert recovered.recovered and recovered.action == f"counter.{lost.kind}"
        assert recovered.actor == lost.actor and recovered.device == lost.device
        assert recovered.detail["outbox_id"] == lost.id
        assert recovered.detail["made_at"] == lost.made_at
        assert recovered.detail["command"] == lost.payload
        # every accepted request has exactly one entry
        assert sorted(e.ref for e in entries if e.ref) == sorted(i.id for i in store.outbox.items())

    with LocalStore.open(data_dir, keyring=memory_keyring, clock=StepClock()) as store:
        assert len(store.audit.entries()) == 2  # recovered once, never again


def test_repeated_crashes_leave_no_accepted_request_without_its_entry(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash after every other enqueue, reopen, go on: at the end every item has one entry."""
    data_dir = tmp_path / "data"
    clock = StepClock()
    for round_ in range(6):
        store = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock)
        if round_ % 2:
            monkeypatch.setattr(storage, "FS", PowerCutAtTheAudit())
        _item, entry = store.accept(
            "report_loss",
            HOLDERS[round_ % len(HOLDERS)]["holder_id"],
            {"kind": "report_loss"},
            base_version=1,
            actor="T001",
            device="PC-07",
            branch="GZ-001",
            action="counter.report_loss",
            reason=f"round {round_}",
            detail={"round": round_},
        )
        assert (entry is None) == bool(round_ % 2)
        monkeypatch.undo()
        _crash(store)  # killed every round, with or without its entry
        clock.jump(days=12)  # the rounds span months
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=StepClock()) as store:
        refs = [e.ref for e in store.audit.entries() if e.ref]
        ids = [i.id for i in store.outbox.items()]
        assert sorted(refs) == sorted(ids) and len(ids) == 6
        assert sum(e.recovered for e in store.audit.entries()) == 3
        assert store.audit.verify().ok


def test_an_owed_entry_is_written_at_the_next_accept(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a crash, an entry whose append failed is written before the next request's."""
    with LocalStore.open(tmp_path / "data", keyring=memory_keyring, clock=StepClock()) as store:

        def accept(holder: str) -> tuple[object, object]:
            return store.accept(
                "report_loss",
                holder,
                {"kind": "report_loss"},
                base_version=1,
                actor="T001",
                device="PC-07",
                branch="GZ-001",
                action="counter.report_loss",
                reason="lost in the street",
                detail={},
            )

        monkeypatch.setattr(storage, "FS", PowerCutAtTheAudit())
        owed, entry = accept(HOLDERS[0]["holder_id"])
        assert entry is None
        monkeypatch.undo()
        later, _ = accept(HOLDERS[1]["holder_id"])
        refs = [(e.ref, e.recovered) for e in store.audit.entries()]
        assert refs == [(owed.id, True), (later.id, False)]  # type: ignore[attr-defined]
