"""The audit journal appends: one line per entry, a torn last line named, the old format migrated."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

import orjson
import pytest

from branch_app.cli import main
from branch_app.store import LocalStore, MemoryKeyring, StoreCorrupt, audit, storage
from branch_app.store.audit import GENESIS, read_month
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS

A = HOLDERS[0]["holder_id"]


class CountingFS(storage.FileSystem):
    """The store's IO seam, counting what goes to the disk."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, int]] = []

    def write(self, fd: int, data: bytes) -> None:
        self.ops.append(("write", len(data)))
        super().write(fd, data)

    def fsync(self, fd: int) -> None:
        self.ops.append(("fsync", 0))
        super().fsync(fd)

    def replace(self, source: Path, target: Path) -> None:
        self.ops.append(("replace", 0))
        super().replace(source, target)


def _record(store: LocalStore, n: int) -> None:
    store.audit.record("card.lookup", actor="T001", holder_id=A, reason=f"r{n}", device="PC-07")


def test_an_entry_costs_one_small_write_and_one_fsync_whatever_the_month_holds(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingFS()
    monkeypatch.setattr(storage, "FS", counting)
    path = store.audit.path_for("2026-11")
    cost: dict[int, list[tuple[str, int]]] = {}
    for n in range(1, 1001):
        counting.ops.clear()
        size = path.stat().st_size if path.exists() else 0
        _record(store, n)
        if n in (10, 1000):
            cost[n] = list(counting.ops)
            assert counting.ops[0] == ("write", path.stat().st_size - size)
    assert path.stat().st_size > 300_000  # the month holds a lot by the end
    for ops in cost.values():
        assert [kind for kind, _ in ops] == ["write", "fsync"]
        assert ops[0][1] < 1_000
    # the same bytes at 10 and at 1,000 entries (the line differs only by the digits of n)
    assert abs(cost[1000][0][1] - cost[10][0][1]) <= 8


def _torn_journal(data_dir: Path, keyring: MemoryKeyring, clock: StepClock) -> Path:
    with LocalStore.open(data_dir, keyring=keyring, clock=clock) as store:
        for n in range(1, 7):
            _record(store, n)
        path = store.audit.path_for("2026-11")
    whole = path.read_bytes()
    line = whole.splitlines()[-1]
    with path.open("ab") as file:  # a seventh append a power cut interrupted
        file.write(line.replace(b'"n":6', b'"n":7')[:57])
    return path


def test_a_torn_last_line_stops_the_store_and_is_named_by_check(
    data_dir: Path,
    memory_keyring: MemoryKeyring,
    clock: StepClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _torn_journal(data_dir, memory_keyring, clock)
    size = path.stat().st_size
    with pytest.raises(StoreCorrupt) as caught:
        LocalStore.open(data_dir, keyring=memory_keyring, clock=clock)
    assert caught.value.path == path and "cut short" in caught.value.detail
    assert path.stat().st_size == size, "never silently dropped or overwritten"
    month = read_month(path, strict=False)
    assert len(month.docs) == 6 and len(month.torn) == 57
    assert main(["--language", "en", "store", "check", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: damaged (its last line is cut short at byte {size - 57}" in out
    assert path.stat().st_size == size

    assert (
        main(
            [
                "--language",
                "en",
                "store",
                "recover",
                "--file",
                str(path),
                "--data-dir",
                str(data_dir),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "last line had been cut short" in out
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert store.audit.verify().ok and store.audit.head == 6
        assert [e.reason for e in store.audit.entries()][-1] == "r6"
        assert store.audit.record("store.recovered", actor="S1").n == 7
        assert store.audit.verify().ok


def _to_old_format(path: Path) -> Path:
    """Rewrite a `.jsonl` month as the earlier whole-document `.json` file."""
    header, *lines = path.read_bytes().splitlines()
    docs = [orjson.loads(line) for line in lines]
    meta = {"starts_after": orjson.loads(header)["starts_after"]}
    if docs:
        meta["head"] = {"n": docs[-1]["n"], "mac": docs[-1]["mac"]}
    envelope = {
        "format": "branch-app-store",
        "kind": "audit",
        "schema": 1,
        "meta": meta,
        "tables": {"entries": {str(doc["n"]): doc for doc in docs}},
    }
    old = path.with_suffix(".json")
    old.write_bytes(orjson.dumps(envelope))
    return old


@pytest.mark.parametrize("crashed_midway", [False, True], ids=["clean", "crash-after-new-file"])
def test_month_files_of_the_old_format_are_migrated_once(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock, crashed_midway: bool
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        _record(store, 1)
        clock.jump(days=5)
        _record(store, 2)
        _record(store, 3)
        paths = store.audit.files()
    olds = [_to_old_format(path) for path in paths]
    if not crashed_midway:
        for path in paths:
            path.unlink()
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert store.audit.files() == paths
        assert not any(old.exists() for old in olds)
        assert [e.reason for e in store.audit.entries()] == ["r1", "r2", "r3"]
        assert store.audit.verify().ok and store.audit.head == 3
        _record(store, 4)
        assert store.audit.verify().ok and store.audit.verify().checked == 4
    assert read_month(paths[0]).header["starts_after"] == {"n": 0, "mac": GENESIS}
    assert set(os.listdir(data_dir / "audit")) == {p.name for p in paths}


def test_the_appends_keyed_hashes_are_the_keysets(store: LocalStore) -> None:
    """The append computes the subject's pseudonym and the chain link with the audit key's pads
    hashed once; they must be the very values `KeySet` computes (and `verify()` checks)."""
    keys = store.keys
    mac = audit._AuditMac(keys.audit_key)
    for holder in (A, " 44010619900307002x ", HOLDERS[1]["holder_id"]):
        assert mac.pseudonym(holder) == keys.pseudonym(holder)
    for previous, canonical in ((GENESIS, b"{}"), ("ab" * 32, b"x" * 5000)):
        assert mac.chain_mac(previous, canonical) == keys.chain_mac(previous, canonical)
    long_key = audit._AuditMac(b"k" * 100)  # a key longer than a block is hashed first
    assert long_key.hex(b"m") == hmac.new(b"k" * 100, b"m", "sha256").hexdigest()
