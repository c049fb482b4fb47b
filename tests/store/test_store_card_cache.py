"""The card cache: encrypted records found by keyed hash, never replaced by an older version."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from branch_app.store import DecryptionFailed, LocalStore, MemoryKeyring
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS, card_record

A, B, C = (h["holder_id"] for h in HOLDERS)


def test_a_record_is_kept_and_found_by_id_number(store: LocalStore) -> None:
    kept = store.card_cache.put(card_record(HOLDERS[0], 3), source="counter")
    assert kept.version == 3 and kept.source == "counter" and kept.holder_id == A
    found = store.card_cache.get(A.lower())
    assert found == kept and found.record["card_state"] == "active"
    assert store.card_cache.get(B) is None
    assert len(store.card_cache) == 1


def test_an_older_version_never_replaces_a_newer_one(store: LocalStore) -> None:
    store.card_cache.put(card_record(HOLDERS[0], 5, "loss_reported"))
    kept = store.card_cache.put(card_record(HOLDERS[0], 4, "active"), source="pull")
    assert kept.version == 5 and kept.record["card_state"] == "loss_reported"
    newer = store.card_cache.put(card_record(HOLDERS[0], 6, "active"), source="pull")
    assert newer.version == 6 and newer.source == "pull"
    assert len(store.card_cache) == 1


def test_a_page_of_records_is_kept_in_one_write(store: LocalStore) -> None:
    writes = store.card_cache._storage.writes
    kept = store.card_cache.put_many(
        [card_record(h, 2) for h in HOLDERS] + [card_record(HOLDERS[0], 1)],
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert store.card_cache._storage.writes == writes + 1
    assert [k.version for k in kept] == [2, 2, 2, 2]
    assert {r.holder_id for r in store.card_cache.all()} == {A, B, C}


def test_a_page_naming_a_holder_several_times_keeps_the_one_left_standing(
    store: LocalStore,
) -> None:
    """A sync batch's answers carry a card's whole life: the highest version stays (the later
    of two equal ones), whatever the order, and only that one is encrypted and written."""
    store.card_cache.put(card_record(HOLDERS[1], 4, "loss_reported"))
    encrypted: list[str] = []
    keys = store.card_cache._keys
    real = keys.encrypt

    def counting(value, context):
        encrypted.append(context)
        return real(value, context)

    keys.encrypt = counting
    try:
        kept = store.card_cache.put_many(
            [
                card_record(HOLDERS[0], 1, "no_card"),
                card_record(HOLDERS[0], 3, "active"),
                card_record(HOLDERS[1], 3, "active"),  # older than the one kept before
                card_record(HOLDERS[0], 2, "issued"),
                card_record(HOLDERS[0], 3, "loss_reported"),  # equal: the later one stands
            ]
        )
    finally:
        del keys.encrypt
    assert len(encrypted) == 1  # A's standing record; B's older one is not written
    assert [(k.holder_id, k.version, k.record["card_state"]) for k in kept] == [
        (A, 3, "loss_reported"),
        (A, 3, "loss_reported"),
        (B, 4, "loss_reported"),
        (A, 3, "loss_reported"),
        (A, 3, "loss_reported"),
    ]
    assert store.card_cache.get(A).record["card_state"] == "loss_reported"
    assert store.card_cache.get(B).version == 4
    assert len(store.card_cache) == 2


def test_a_bad_record_in_a_page_changes_nothing(store: LocalStore) -> None:
    store.card_cache.put(card_record(HOLDERS[0], 1))
    writes = store.card_cache._storage.writes
    with pytest.raises(ValueError, match="version"):
        store.card_cache.put_many([card_record(HOLDERS[1], 2), {"holder_id": C, "version": None}])
    assert store.card_cache._storage.writes == writes
    assert store.card_cache.get(B) is None and len(store.card_cache) == 1


def test_records_survive_a_restart_and_can_be_pruned(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        store.card_cache.put(card_record(HOLDERS[0]), fetched_at=datetime(2026, 10, 1, tzinfo=UTC))
        store.card_cache.put(card_record(HOLDERS[1]))
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert store.card_cache.get(A).fetched_at == "2026-10-01T00:00:00.000Z"
        assert store.card_cache.prune(datetime(2026, 11, 1, tzinfo=UTC)) == 1
        assert store.card_cache.get(A) is None and store.card_cache.get(B) is not None
        assert store.card_cache.remove(B) and not store.card_cache.remove(B)
        assert len(store.card_cache) == 0


def test_a_record_without_holder_or_version_is_refused(store: LocalStore) -> None:
    with pytest.raises(ValueError, match="holder_id"):
        store.card_cache.put({"version": 1})
    with pytest.raises(ValueError, match="version"):
        store.card_cache.put({"holder_id": A, "version": "1"})
    assert len(store.card_cache) == 0


def test_a_record_moved_between_entries_does_not_decrypt(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        store.card_cache.put(card_record(HOLDERS[0]))
        store.card_cache.put(card_record(HOLDERS[1]))
    path = data_dir / "card_cache.json"
    envelope = orjson.loads(path.read_bytes())
    records = envelope["tables"]["records"]
    records["1"]["record"], records["2"]["record"] = records["2"]["record"], records["1"]["record"]
    path.write_bytes(orjson.dumps(envelope))
    with (
        LocalStore.open(data_dir, keyring=memory_keyring) as store,
        pytest.raises(DecryptionFailed, match=r"card_cache\.json"),
    ):
        store.card_cache.get(A)


def test_a_page_kept_without_reading_back_is_kept_alike(store: LocalStore) -> None:
    """`keep_page` (a sync batch's answers) writes what `put_many` writes, in one write."""
    store.card_cache.put(card_record(HOLDERS[1], 4, "loss_reported"))
    writes = store.card_cache._storage.writes
    store.card_cache.keep_page(
        [
            card_record(HOLDERS[0], 2, "issued"),
            card_record(HOLDERS[0], 3),
            card_record(HOLDERS[1], 3),
        ]
    )
    assert store.card_cache._storage.writes == writes + 1
    assert store.card_cache.get(A).version == 3 and store.card_cache.get(A).source == "pull"
    assert store.card_cache.get(B).record["card_state"] == "loss_reported"
