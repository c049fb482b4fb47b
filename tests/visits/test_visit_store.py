"""The home-visit list in the store: encrypted at rest, durable through the store's one IO seam,
refused whole when damaged (and left untouched), re-sealed by a key rotation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import orjson
import pytest

from branch_app.store import LocalStore, MemoryKeyring, StoreCorrupt, storage
from branch_app.store.errors import DecryptionFailed
from branch_app.store.lock import FolderLock
from branch_app.store.recover import file_problem, folder_keys, recover_file
from branch_app.store.visits import (
    CentralKnew,
    PresentPerson,
    VisitNeed,
    VisitStatus,
)

from .conftest import ADDRESSES, CARED, ELDER, NAMES, TODAY, Clock


def plan(store: LocalStore, holder: str, day: dt.date = TODAY, need=VisitNeed.APPLICATION):
    return store.visits.add(
        day,
        holder_id=holder,
        holder_kind="resident",
        name=NAMES[holder],
        address=ADDRESSES[holder],
        need=need,
        why="行动不便，无法到网点",
        central=CentralKnew.RECORD,
        planned_by="H001",
    )


def test_a_planned_day_is_kept_in_order_and_read_back_after_a_reopen(
    tmp_path: Path, clock: Clock
) -> None:
    keyring = MemoryKeyring()
    with LocalStore.open(tmp_path / "data", keyring=keyring, clock=clock) as store:
        first, second = plan(store, ELDER), plan(store, CARED, need=VisitNeed.LOSS_REPORT)
        plan(store, ELDER, TODAY + dt.timedelta(days=1))
        store.visits.save(
            dataclasses.replace(
                second,
                status=VisitStatus.DONE,
                present=(PresentPerson("女儿", "李小红"),),
            )
        )
        assert store.visits.progress(TODAY) == (2, 1)
    with LocalStore.open(tmp_path / "data", keyring=keyring, clock=clock) as store:
        day = store.visits.for_day(TODAY)
        assert [v.ref for v in day] == [first.ref, second.ref]
        assert [v.position for v in day] == [1, 2]
        assert day[0].holder_id == ELDER and day[0].address == ADDRESSES[ELDER]
        assert day[1].present == (PresentPerson("女儿", "李小红"),)
        assert store.visits.progress(TODAY) == (2, 1)
        assert store.visits.progress(TODAY + dt.timedelta(days=1)) == (1, 0)
        assert store.visits.progress(TODAY - dt.timedelta(days=1)) == (0, 0)
        assert store.visits.path in store.files()
        assert store.check().visits == 3


def test_nothing_personal_is_readable_in_the_file_nor_in_a_repr(store: LocalStore) -> None:
    visit = plan(store, ELDER)
    store.visits.save(dataclasses.replace(visit, present=(PresentPerson("护工", "王阿姨"),)))
    text = store.visits.path.read_text(encoding="utf-8")
    for secret in (ELDER, ELDER[:6] + ELDER[-4:], NAMES[ELDER], "越秀区", "行动不便", "王阿姨"):
        assert secret not in text
    for shown in (repr(visit), repr(store.visits.get(visit.ref)), repr(visit.present)):
        assert ELDER not in shown and NAMES[ELDER] not in shown and "越秀" not in shown


def test_the_writes_go_through_the_stores_one_io_seam(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash explorer swaps `storage.FS`: every write of the list must reach it."""
    replaced: list[Path] = []

    class Recording(storage.FileSystem):
        def replace(self, source: Path, target: Path) -> None:
            replaced.append(Path(target))
            super().replace(source, target)

    monkeypatch.setattr(storage, "FS", Recording())
    visit = plan(store, ELDER)
    store.visits.save(dataclasses.replace(visit, status=VisitStatus.IN_PROGRESS))
    store.visits.remove(visit.ref)
    assert replaced.count(store.visits.path) == 3


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b'{"format": "branch-app-store", "kind": "visits", "sch',
        b'{"format": "branch-app-store", "kind": "visits", "schema": 1, "meta": {}, '
        b'"tables": {"visits": {"1": {"ref": "x"}}}}',
    ],
    ids=["empty", "cut-short", "damaged-entry"],
)
def test_a_damaged_list_is_refused_with_its_recovery_and_left_untouched(
    tmp_path: Path, clock: Clock, damage: bytes
) -> None:
    keyring = MemoryKeyring()
    data = tmp_path / "data"
    with LocalStore.open(data, keyring=keyring, clock=clock) as store:
        plan(store, ELDER)
    path = data / "visits.json"
    path.write_bytes(damage)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StoreCorrupt) as caught:
        LocalStore.open(data, keyring=keyring, clock=clock)
    assert f"branch-app store recover --file {path}" in str(caught.value)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with FolderLock(data) as lock:  # released: the recovery can take it
        assert lock.held
    assert file_problem(data, path) is not None


def test_a_blob_moved_to_another_day_does_not_open_and_recovery_drops_it(
    tmp_path: Path, clock: Clock
) -> None:
    keyring = MemoryKeyring()
    data = tmp_path / "data"
    with LocalStore.open(data, keyring=keyring, clock=clock) as store:
        kept, moved = plan(store, ELDER), plan(store, CARED)
    path = data / "visits.json"
    envelope = orjson.loads(path.read_bytes())
    for doc in envelope["tables"]["visits"].values():
        if doc["ref"] == moved.ref:
            doc["day"] = (TODAY + dt.timedelta(days=1)).isoformat()
    path.write_bytes(orjson.dumps(envelope))
    with LocalStore.open(data, keyring=keyring, clock=clock) as store:
        with pytest.raises(DecryptionFailed):
            store.visits.for_day(TODAY + dt.timedelta(days=1))
        keys = store.keys
    assert file_problem(data, path, keys) is not None
    report = recover_file(data, path, keys=folder_keys(data) or keys)
    assert report.damaged and report.from_damaged == 1
    with LocalStore.open(data, keyring=keyring, clock=clock) as store:
        assert [v.ref for v in store.visits.all()] == [kept.ref]


def test_a_key_rotation_reseals_the_list(store: LocalStore) -> None:
    visit = plan(store, ELDER)
    before = store.visits.path.read_text(encoding="utf-8")
    report = store.rotate_key()
    assert report.visits == 1
    assert store.visits.path.read_text(encoding="utf-8") != before
    assert store.visits.get(visit.ref) == visit


def test_lists_of_days_past_the_retention_go_at_open(tmp_path: Path, clock: Clock) -> None:
    """Names, addresses and who was present are kept no longer than they serve."""
    keyring = MemoryKeyring()
    with LocalStore.open(tmp_path / "data", keyring=keyring, clock=clock) as store:
        plan(store, ELDER, TODAY - dt.timedelta(days=31))
        kept = plan(store, CARED, TODAY - dt.timedelta(days=30))
        plan(store, ELDER)
    with LocalStore.open(
        tmp_path / "data", keyring=keyring, clock=clock, visit_retention_days=30
    ) as store:
        assert store.visits.days() == [TODAY - dt.timedelta(days=30), TODAY]
        assert store.visits.get(kept.ref) == kept
