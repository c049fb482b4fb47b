"""The audit journal: append-only, chained, and a verify that names the first bad entry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from branch_app.store import LocalStore, MemoryKeyring
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS

A, B = HOLDERS[0]["holder_id"], HOLDERS[1]["holder_id"]


@pytest.fixture
def journal_dir(data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock) -> Path:
    """A journal of six entries, closed, ready to be tampered with."""
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        for n in range(1, 7):
            store.audit.record(
                "card.lookup" if n % 2 else "outbox.enqueue",
                actor=f"T00{n}",
                holder_id=A if n % 2 else B,
                reason=f"reason {n}",
                device="PC-07",
                branch="GZ-001",
                detail={"n": n},
            )
    return data_dir


def _verify(data_dir: Path, keyring: MemoryKeyring):
    with LocalStore.open(data_dir, keyring=keyring) as store:
        return store.audit.verify()


def _tamper(data_dir: Path, edit: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Edit the month's entries (keyed by their number, in file order) and write the lines back."""
    path = data_dir / "audit" / "audit-2026-11.jsonl"
    header, *lines = path.read_bytes().splitlines()
    entries = {str(doc["n"]): doc for doc in map(orjson.loads, lines)}
    edited = edit(entries).values()
    path.write_bytes(b"".join(line + b"\n" for line in [header, *map(orjson.dumps, edited)]))


def test_an_untouched_journal_verifies(journal_dir: Path, memory_keyring: MemoryKeyring) -> None:
    result = _verify(journal_dir, memory_keyring)
    assert result.ok and result.checked == 6 and result.first_bad is None


def test_entries_name_their_subject_by_keyed_hash_only(
    journal_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(journal_dir, keyring=memory_keyring) as store:
        about_a = store.audit.entries(holder_id=A)
        assert [e.n for e in about_a] == [1, 3, 5]
        assert about_a[0].reason == "reason 1" and about_a[0].detail == {"n": 1}
        assert about_a[0].subject.startswith("p:") and A not in about_a[0].subject
        assert [e.n for e in store.audit.entries(limit=2)] == [5, 6]
        assert store.audit.head == 6


def _change_actor(entries: dict[str, Any]) -> dict[str, Any]:
    entries["3"]["actor"] = "T999"
    return entries


def _swap_reasons(entries: dict[str, Any]) -> dict[str, Any]:
    entries["2"]["body"], entries["4"]["body"] = entries["4"]["body"], entries["2"]["body"]
    return entries


def _change_time(entries: dict[str, Any]) -> dict[str, Any]:
    entries["4"]["at"] = "2026-11-27T23:00:00.000Z"
    return entries


def _remove_third(entries: dict[str, Any]) -> dict[str, Any]:
    del entries["3"]
    return entries


def _swap_order(entries: dict[str, Any]) -> dict[str, Any]:
    order = ["1", "2", "4", "3", "5", "6"]
    return {k: entries[k] for k in order}


def _swap_numbers(entries: dict[str, Any]) -> dict[str, Any]:
    """Swap entries 2 and 3 and renumber them so that the numbers still run 1, 2, 3..."""
    two, three = entries["2"], entries["3"]
    three["n"], two["n"] = 2, 3
    entries["2"], entries["3"] = three, two
    return entries


@pytest.mark.parametrize(
    ("edit", "first_bad", "problem"),
    [
        (_change_actor, 3, "changed"),
        (_swap_reasons, 2, "changed"),
        (_change_time, 4, "changed"),
        (_remove_third, 3, "removed"),
        (_swap_order, 3, "reordered"),
        (_swap_numbers, 2, "changed"),
    ],
    ids=["actor", "reasons", "time", "remove", "reorder", "renumber"],
)
def test_tampering_is_found_at_the_first_bad_entry(
    journal_dir: Path,
    memory_keyring: MemoryKeyring,
    edit: Callable[[dict[str, Any]], dict[str, Any]],
    first_bad: int,
    problem: str,
) -> None:
    _tamper(journal_dir, edit)
    result = _verify(journal_dir, memory_keyring)
    assert not result.ok
    assert (result.first_bad, result.problem) == (first_bad, problem)
    assert result.file == journal_dir / "audit" / "audit-2026-11.jsonl"


def test_the_chain_runs_across_months(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        store.audit.record("card.lookup", actor="T1", holder_id=A, reason="November")
        clock.jump(days=5)
        store.audit.record("card.lookup", actor="T1", holder_id=A, reason="December")
        store.audit.record("card.lookup", actor="T1", holder_id=B, reason="December again")
        assert [p.name for p in store.audit.files()] == [
            "audit-2026-11.jsonl",
            "audit-2026-12.jsonl",
        ]
        assert store.audit.verify().ok
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        entry = store.audit.record("card.lookup", actor="T2", reason="after a restart")
        assert entry.n == 4 and store.audit.verify().checked == 4
    # a whole month removed: the chain breaks where it was
    (data_dir / "audit" / "audit-2026-11.jsonl").unlink()
    result = _verify(data_dir, memory_keyring)
    assert (result.ok, result.first_bad, result.problem) == (False, 1, "removed")


def test_an_entry_rewritten_by_someone_without_the_key_is_found(
    journal_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    """Recomputing a plain hash would not help a forger: the link is keyed."""
    import hashlib

    def forge(entries: dict[str, Any]) -> dict[str, Any]:
        entries["5"]["actor"] = "T000"
        entries["5"]["mac"] = hashlib.sha256(orjson.dumps(entries["5"])).hexdigest()
        return entries

    _tamper(journal_dir, forge)
    result = _verify(journal_dir, memory_keyring)
    assert (result.first_bad, result.problem) == (5, "changed")


def test_recording_needs_an_action_and_an_actor(store: LocalStore) -> None:
    with pytest.raises(ValueError):
        store.audit.record("", actor="T1")
    with pytest.raises(ValueError):
        store.audit.record("card.lookup", actor="")
    assert store.audit.head == 0 and store.audit.verify().ok
