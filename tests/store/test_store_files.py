"""Files: atomic writes, leftover temp files, damaged files left alone, migrations, the lock."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from branch_app.store import (
    LocalStore,
    MemoryKeyring,
    StoreCorrupt,
    StoreLocked,
    StoreTooNew,
    StoreWriteFailed,
)
from branch_app.store.lock import FolderLock
from branch_app.store.storage import AtomicJSONStorage, write_atomically
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS

A = HOLDERS[0]["holder_id"]
ROOT = Path(__file__).resolve().parents[2]


def _enqueue(store: LocalStore) -> str:
    return store.outbox.enqueue(
        "unlock", A, {"kind": "unlock"}, base_version=1, actor="T", device="D", branch="B"
    ).id


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_file_carries_its_kind_and_schema(store: LocalStore) -> None:
    _enqueue(store)
    store.card_cache.put({"holder_id": A, "version": 1})
    store.audit.record("card.lookup", actor="T001", holder_id=A, reason="counter")
    for path in store.files():
        # an audit month is lines: its first line is the header
        envelope = orjson.loads(path.read_bytes().split(b"\n", 1)[0])
        assert envelope["format"] == "branch-app-store"
        assert isinstance(envelope["schema"], int) and envelope["kind"]
    if os.name == "posix":
        assert (store.outbox.path.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b'{"format": "branch-app-store", "kind": "outbox", "schema": 2, "tab',
        b"\x00\x00\x00\x00",
        b'{"format": "branch-app-store", "kind": "card-cache", "schema": 1, "meta": {}, "tables": {}}',
        b'{"format": "branch-app-store", "kind": "outbox", "schema": 2, "meta": {}, '
        b'"tables": {"items": {"1": {"id": "x"}}}}',
    ],
    ids=["empty", "cut-short", "zeros", "wrong-kind", "damaged-item"],
)
def test_a_damaged_file_is_refused_and_left_untouched(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock, damage: bytes
) -> None:
    LocalStore.open(data_dir, keyring=memory_keyring, clock=clock).close()
    outbox = data_dir / "outbox.json"
    outbox.write_bytes(damage)
    before = _digest(outbox)
    with pytest.raises(StoreCorrupt) as caught:
        LocalStore.open(data_dir, keyring=memory_keyring, clock=clock)
    message = str(caught.value)
    assert str(outbox) in message
    assert f"branch-app store recover --file {outbox}" in message
    assert "恢复" in caught.value.message("zh")
    assert _digest(outbox) == before
    # the lock was released: the supervisor's recovery can take it
    with FolderLock(data_dir) as lock:
        assert lock.held


def test_a_file_from_a_newer_version_is_refused(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    LocalStore.open(data_dir, keyring=memory_keyring).close()
    outbox = data_dir / "outbox.json"
    envelope = orjson.loads(outbox.read_bytes())
    envelope["schema"] = 99
    outbox.write_bytes(orjson.dumps(envelope))
    with pytest.raises(StoreTooNew, match="newer version"):
        LocalStore.open(data_dir, keyring=memory_keyring)


def test_leftover_temp_files_are_removed_at_start(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    LocalStore.open(data_dir, keyring=memory_keyring).close()
    leftovers = [
        data_dir / ".outbox.json.4242.0badf00d.tmp",
        data_dir / "archive" / ".outbox-2026-11.json.17.deadbeef.tmp",
        data_dir / "audit" / ".audit-2026-11.json.1.00000000.tmp",
    ]
    for path in leftovers:
        path.write_bytes(b'{"half": ')
    keep = data_dir / "notes.tmp"
    keep.write_text("a supervisor's note")
    LocalStore.open(data_dir, keyring=memory_keyring).close()
    assert not any(p.exists() for p in leftovers)
    assert keep.exists()


def test_write_atomically_replaces_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_failed_write_changes_nothing_in_memory_or_on_disk(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _enqueue(store)
    before = _digest(store.outbox.path)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("branch_app.store.storage.write_atomically", disk_full)
    with pytest.raises(StoreWriteFailed, match="No space left"):
        _enqueue(store)
    with pytest.raises(StoreWriteFailed):
        store.outbox.record_failure([first], "offline")
    monkeypatch.undo()
    assert _digest(store.outbox.path) == before
    assert [i.id for i in store.outbox.items()] == [first]
    assert store.outbox.get(first).status == "pending"
    assert store.outbox.get(first).attempts == 0
    second = _enqueue(store)  # and the store works on afterwards
    assert store.outbox.get(second).seq == 2


def test_an_old_schema_is_migrated_and_the_original_kept(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        ids = [_enqueue(store) for _ in range(3)]
    outbox = data_dir / "outbox.json"
    # Write the file as schema 1 had it: no retry fields, no stored next sequence number.
    envelope = orjson.loads(outbox.read_bytes())
    envelope["schema"] = 1
    envelope["meta"] = {}
    for doc in envelope["tables"]["items"].values():
        del doc["attempts"], doc["last_error"]
    old_bytes = orjson.dumps(envelope)
    outbox.write_bytes(old_bytes)

    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert [i.id for i in store.outbox.items()] == ids
        assert all(i.attempts == 0 and i.last_error is None for i in store.outbox.items())
        assert _enqueue(store) and store.outbox.next_seq == 5
    migrated = orjson.loads(outbox.read_bytes())
    assert migrated["schema"] == 2 and migrated["meta"]["next_seq"] == 5
    assert (data_dir / "outbox.json.schema1.bak").read_bytes() == old_bytes


def test_a_second_open_in_this_process_is_refused(
    store: LocalStore, memory_keyring: MemoryKeyring
) -> None:
    with pytest.raises(StoreLocked, match="Another copy"):
        LocalStore.open(store.data_dir, keyring=memory_keyring)


def test_a_second_instance_gets_a_clear_message(store: LocalStore) -> None:
    script = (
        "import sys\n"
        "from branch_app.store import LocalStore, MemoryKeyring, StoreLocked\n"
        "try:\n"
        "    LocalStore.open(sys.argv[1], keyring=MemoryKeyring())\n"
        "except StoreLocked as exc:\n"
        "    print(exc.message('zh')); print(exc); sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(store.data_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert "Another copy of the application is already using" in done.stdout
    assert "另一个程序实例" in done.stdout


def test_the_lock_is_released_on_close(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    LocalStore.open(data_dir, keyring=memory_keyring).close()
    LocalStore.open(data_dir, keyring=memory_keyring).close()


def test_a_missing_manifest_beside_data_is_damage(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        _enqueue(store)
    (data_dir / "store.json").unlink()
    with pytest.raises(StoreCorrupt, match="manifest is missing"):
        LocalStore.open(data_dir, keyring=memory_keyring)


def test_storage_reads_come_from_memory(tmp_path: Path) -> None:
    storage = AtomicJSONStorage.open(tmp_path / "x.json", "card-cache")
    storage.write({"records": {"1": {"a": 1}}})
    (tmp_path / "x.json").unlink()  # nobody else writes: memory is the truth while open
    assert storage.read() == {"records": {"1": {"a": 1}}}


def test_on_windows_a_held_file_is_retried_briefly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows refuses to replace a file another process (antivirus, backup) holds open."""
    import branch_app.store.storage as storage

    calls = []
    real_replace = os.replace

    def held_twice(source: Path, target: Path) -> None:
        calls.append(source)
        if len(calls) <= 2:
            raise PermissionError(13, "The process cannot access the file")
        real_replace(source, target)

    monkeypatch.setattr(storage, "_WINDOWS", True)
    monkeypatch.setattr(storage.os, "replace", held_twice)
    write_atomically(tmp_path / "f.json", b"{}")
    assert len(calls) == 3 and (tmp_path / "f.json").read_bytes() == b"{}"

    monkeypatch.setattr(storage, "_WINDOWS", False)  # elsewhere it is a real error at once
    calls.clear()
    with pytest.raises(PermissionError):
        write_atomically(tmp_path / "g.json", b"{}")
    assert len(calls) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_archive_months_past_retention_are_deleted(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    from datetime import date

    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        old = _enqueue(store)
        store.outbox.record_results([{"id": old, "status": "accepted"}])
        clock.jump(days=40)
        recent = _enqueue(store)
        store.outbox.record_results([{"id": recent, "status": "merged"}])
        pending = _enqueue(store)
        moved, pruned = store.archive_now()
        assert moved == 2 and pruned == []
        assert store.archive.months() == ["2027-01", "2026-11"]
        moved, pruned = store.archive_now(retention_months=24, today=date(2028, 12, 1))
        assert [p.name for p in pruned] == ["outbox-2026-11.000000001.json"]
        assert store.archive.months() == ["2027-01"]
        assert store.outbox.get(pending).status == "pending"  # never touched by retention
