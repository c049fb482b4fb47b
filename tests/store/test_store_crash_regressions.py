"""Crash states the explorer (tests/store/test_store_crash_states.py) found, kept as they were.

Each test builds the state by hand, so it stays a regression test whatever the explorer's model
becomes.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from branch_app.store import LocalStore, MemoryKeyring, StoreCorrupt, storage
from branch_app.store.recover import recover_file, structural_check
from tests.store.conftest import StepClock


def _journal_with_entries(data_dir: Path, keyring: MemoryKeyring, count: int) -> Path:
    """A month of `count` entries whose last append a power cut interrupted: the keyring's
    anchor, written only after an append is durable, still holds the entry before it."""
    with LocalStore.open(data_dir, keyring=keyring, clock=StepClock()) as store:
        for n in range(count):
            if n == count - 1:
                before = keyring.export()
            store.audit.record("enqueue", actor="T001", reason=f"entry {n} " * 20)
        (month,) = store.audit.files()
    keyring._secrets = MemoryKeyring.from_export(before)._secrets
    return month


@pytest.mark.parametrize(
    "damage",
    [
        # found: audit appends, cut after the first append of the run, "zero head": the append's
        # length reached the disk, its first 134 bytes (the blocks before a 512-byte boundary) not
        "zeros before a block boundary",
        "zeros after a block boundary",
        "cut short",
    ],
)
def test_recovery_says_it_left_out_the_append_a_power_cut_interrupted(
    damage: str, tmp_path: Path
) -> None:
    data_dir, keyring = tmp_path / "data", MemoryKeyring()
    month = _journal_with_entries(data_dir, keyring, 3)
    raw = month.read_bytes()
    start = raw.rstrip(b"\n").rfind(b"\n") + 1  # the last entry's line: the interrupted append
    line = raw[start:]
    if damage == "zeros before a block boundary":
        line = bytes(134) + line[134:]
    elif damage == "zeros after a block boundary":
        line = line[:134] + bytes(len(line) - 134)
    else:
        line = line[:134]
    month.write_bytes(raw[:start] + line)

    with pytest.raises(StoreCorrupt) as refused:
        LocalStore.open(data_dir, keyring=keyring, clock=StepClock())
    assert refused.value.path == month
    assert dict(structural_check(data_dir))[month] is not None  # store check names it

    report = recover_file(data_dir, month)
    assert report.from_damaged == 2
    assert ("store.recover.audit_torn", {}) in [(key, dict(p)) for key, p in report.notes]
    with LocalStore.open(data_dir, keyring=keyring, clock=StepClock()) as store:
        assert [entry.n for entry in store.audit.entries()] == [1, 2]
        assert store.audit.verify().ok


def test_a_last_line_whole_but_without_its_newline_is_kept_and_not_called_left_out(
    tmp_path: Path,
) -> None:
    """An append cut exactly before its newline: the entry reads whole, so recovery keeps it
    (and does not say it left it out)."""
    data_dir, keyring = tmp_path / "data", MemoryKeyring()
    month = _journal_with_entries(data_dir, keyring, 3)
    month.write_bytes(month.read_bytes()[:-1])

    report = recover_file(data_dir, month)
    assert report.from_damaged == 3
    assert "store.recover.audit_torn" not in [key for key, _ in report.notes]
    with LocalStore.open(data_dir, keyring=keyring, clock=StepClock()) as store:
        assert store.audit.verify().ok and store.audit.head == 3


class _NamingFS(storage.FileSystem):
    """Logs (operation, file name) for every write-side operation."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.names: dict[int, str] = {}

    def open(self, path: Path, flags: int, mode: int = 0o600) -> int:
        fd = super().open(path, flags, mode)
        self.names[fd] = Path(path).name
        return fd

    def fsync(self, fd: int) -> None:
        super().fsync(fd)
        self.log.append(("fsync", self.names[fd]))

    def replace(self, source: Path, target: Path) -> None:
        super().replace(source, target)
        self.log.append(("replace", Path(target).name))

    def fsync_folder(self, folder: Path) -> None:
        super().fsync_folder(folder)
        self.log.append(("fsync_folder", Path(folder).name))


def test_a_migrated_files_original_is_durable_before_the_migrated_file_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found: migration at open, cut after the migrated outbox.json's rename and folder fsync:
    the original's copy (`outbox.json.schema1.bak`, made with shutil.copy2, never fsynced) could
    be empty or missing while the migrated file is there, so the migration could not be undone.
    The copy now goes through the seam, whole and durable first."""
    data_dir, keyring = tmp_path / "data", MemoryKeyring()
    with LocalStore.open(data_dir, keyring=keyring, clock=StepClock()) as store:
        store.outbox.enqueue(
            "report_loss",
            "440106198001011234",
            {},
            base_version=1,
            actor="T",
            device="D",
            branch="B",
        )
    outbox = data_dir / "outbox.json"
    envelope = orjson.loads(outbox.read_bytes())
    envelope["schema"], envelope["meta"] = 1, {}
    for doc in envelope["tables"]["items"].values():
        del doc["attempts"], doc["last_error"]
    outbox.write_bytes(orjson.dumps(envelope))

    naming = _NamingFS()
    monkeypatch.setattr(storage, "FS", naming)
    LocalStore.open(data_dir, keyring=keyring, clock=StepClock()).close()

    backup_ready = naming.log.index(("replace", "outbox.json.schema1.bak"))
    migrated = naming.log.index(("replace", "outbox.json"))
    assert backup_ready < migrated
    assert ("fsync_folder", "data") in naming.log[backup_ready:migrated]
    assert any(op == "fsync" and ".schema1.bak." in name for op, name in naming.log[:backup_ready])
    assert (data_dir / "outbox.json.schema1.bak").read_bytes() == orjson.dumps(envelope)
