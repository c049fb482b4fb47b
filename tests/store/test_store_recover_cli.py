"""The supervisor's commands: check, verify-audit, rotate-key, archive, and recovery of damage."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from branch_app.cli import main
from branch_app.store import LocalStore, MemoryKeyring
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS

A, B = HOLDERS[0]["holder_id"], HOLDERS[1]["holder_id"]
ROOT = Path(__file__).resolve().parents[2]


def store_cmd(data_dir: Path, *args: str) -> list[str]:
    return ["--language", "en", "store", *args, "--data-dir", str(data_dir)]


def _enqueue(store: LocalStore, holder: str = A) -> str:
    return store.outbox.enqueue(
        "report_loss",
        holder,
        {"kind": "report_loss"},
        base_version=1,
        actor="T",
        device="D",
        branch="B",
    ).id


def _crash(store: LocalStore) -> None:
    """Leave as a killed process would: no clean close, no backup, the lock gone."""
    store._folder_lock.release()


def test_the_memory_keyring_is_never_chosen_by_keyring_itself(tmp_path: Path) -> None:
    script = "import branch_app.store, keyring\nprint(type(keyring.get_keyring()).__name__)\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={
            **{k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"},
            "XDG_CONFIG_HOME": str(tmp_path),  # no keyringrc.cfg choosing for us
        },
    )
    assert done.returncode == 0, done.stderr
    assert "MemoryKeyring" not in done.stdout


def test_check_lists_every_file_and_decrypts_everything(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        _enqueue(store)
        store.card_cache.put({"holder_id": A, "version": 1})
        store.audit.record("card.lookup", actor="T1", holder_id=A, reason="counter")
    assert main(store_cmd(data_dir, "check")) == 0
    out = capsys.readouterr().out
    assert "outbox.json: sound" in out and "audit-" in out
    assert "Every encrypted field decrypts: 1 outbox items" in out
    assert "The audit journal is intact: 1 entries checked." in out


def test_check_names_a_damaged_file_and_the_recovery(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    LocalStore.open(data_dir, keyring=memory_keyring).close()
    (data_dir / "card_cache.json").write_bytes(b"{nonsense")
    assert main(store_cmd(data_dir, "check")) == 1
    out = capsys.readouterr().out
    assert "card_cache.json: damaged (not valid JSON at byte 1)" in out
    assert "branch-app store recover --file" in out


def test_check_of_an_empty_folder_creates_nothing(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(store_cmd(tmp_path / "none", "check")) == 1
    assert "There is no store" in capsys.readouterr().out
    assert not (tmp_path / "none").exists()


def test_commands_refuse_an_unsafe_keyring_with_its_sentence(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert main(store_cmd(data_dir, "verify-audit")) == 2
    finally:
        keyring.set_keyring(previous)
    assert "no usable system keyring was found" in capsys.readouterr().out


def test_verify_audit_and_rotate_key_and_archive(
    data_dir: Path,
    memory_keyring: MemoryKeyring,
    clock: StepClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        item = _enqueue(store)
        store.outbox.record_results([{"id": item, "status": "accepted"}])
        store.audit.record("card.lookup", actor="T1", holder_id=A, reason="counter")
        store.audit.record("card.lookup", actor="T1", holder_id=B, reason="counter")
    assert main(store_cmd(data_dir, "verify-audit")) == 0
    assert "intact: 2 entries" in capsys.readouterr().out
    assert main(store_cmd(data_dir, "rotate-key")) == 0
    assert "re-encrypted 0 outbox items, 1 archived items" in capsys.readouterr().out
    assert main(store_cmd(data_dir, "archive", "--retention-months", "0")) == 0
    out = capsys.readouterr().out
    assert "archive files older than 0 months deleted" in out

    path = data_dir / "audit" / "audit-2026-11.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"actor":"T1"', b'"actor":"T2"', 1))
    assert main(["--language", "zh", *store_cmd(data_dir, "verify-audit")[2:]]) == 1
    assert "第 1 条被修改" in capsys.readouterr().out


def test_recover_rebuilds_the_outbox_from_damage_and_backup(
    data_dir: Path,
    memory_keyring: MemoryKeyring,
    clock: StepClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with LocalStore.open(
        data_dir, keyring=memory_keyring, clock=clock, archive_threshold=1
    ) as store:
        early = [_enqueue(store, h["holder_id"]) for h in HOLDERS]
        done = _enqueue(store)
        store.outbox.record_results([{"id": done, "status": "accepted"}])  # archived
    store = LocalStore.open(data_dir, keyring=memory_keyring, clock=clock)  # backup: early
    late = [_enqueue(store) for _ in range(6)]
    old_next = store.outbox.next_seq
    _crash(store)
    outbox = data_dir / "outbox.json"
    raw = outbox.read_bytes()
    damaged = raw[: int(len(raw) * 0.6)]  # the tail of the file is gone
    outbox.write_bytes(damaged)
    with pytest.raises(Exception, match="recover --file"):
        LocalStore.open(data_dir, keyring=memory_keyring)

    assert main(store_cmd(data_dir, "recover", "--file", str(outbox))) == 0
    out = capsys.readouterr().out
    moved = list(data_dir.glob("outbox.json.damaged-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == damaged  # kept as it was
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        present = {i.id for i in store.outbox.items()}
        assert set(early) <= present  # from the damaged file or the backup
        assert store.outbox.get(done).status == "accepted"  # still in the archive, once
        assert done not in present
        lost = [i for i in late if i not in present]
        assert lost, "the cut must have cost something for this test to mean anything"
        assert store.outbox.next_seq >= old_next + 1000
        assert store.outbox.counts()["accepted"] == 1
    named = [i for i in lost if i.encode() in damaged]  # a half-cut item: its id is still seen
    assert f"{len(named)} commands seen in the damaged file could not be rebuilt" in out
    assert all(i in out for i in named)
    assert "cannot be named; ask the tellers to check their requests made since" in out


def test_recover_leaves_a_sound_file_alone(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        _enqueue(store)
    before = hashlib.sha256((data_dir / "outbox.json").read_bytes()).hexdigest()
    assert main(store_cmd(data_dir, "recover", "--file", str(data_dir / "outbox.json"))) == 0
    assert "reads correctly; nothing was changed" in capsys.readouterr().out
    assert hashlib.sha256((data_dir / "outbox.json").read_bytes()).hexdigest() == before


def test_recover_refuses_while_the_application_runs(
    store: LocalStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(store_cmd(store.data_dir, "recover", "--file", str(store.outbox.path))) == 2
    assert "Another copy of the application" in capsys.readouterr().out


def test_recover_refuses_a_file_outside_the_store(
    data_dir: Path,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    LocalStore.open(data_dir, keyring=memory_keyring).close()
    stray = tmp_path / "elsewhere.json"
    stray.write_text("{}")
    assert main(store_cmd(data_dir, "recover", "--file", str(stray))) == 2
    assert "is not a file of the store" in capsys.readouterr().out


def test_recover_an_audit_file_and_see_the_break(
    data_dir: Path,
    memory_keyring: MemoryKeyring,
    clock: StepClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        for n in range(5):
            store.audit.record("card.lookup", actor="T1", holder_id=A, reason=f"r{n}")
    path = data_dir / "audit" / "audit-2026-11.jsonl"
    raw = path.read_bytes()
    start = raw.index(b'{"n":3,')
    path.write_bytes(raw[:start] + b"\x00" * 40 + raw[start + 40 :])  # entry 3 scrambled
    assert main(store_cmd(data_dir, "recover", "--file", str(path))) == 0
    out = capsys.readouterr().out
    assert "Audit entries 3 could not be read." in out
    assert main(store_cmd(data_dir, "verify-audit")) == 1
    assert "entry 3 was removed" in capsys.readouterr().out
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert [e.reason for e in store.audit.entries()] == ["r0", "r1", "r3", "r4"]
        assert store.audit.record("store.recovered", actor="S1").n == 6


def test_recover_the_card_cache_and_the_manifest(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        store.card_cache.put({"holder_id": A, "version": 1})
        store.card_cache.put({"holder_id": B, "version": 2})
        item = _enqueue(store)
    cache = data_dir / "card_cache.json"
    raw = cache.read_bytes()
    cache.write_bytes(raw[: raw.rindex(b'{"ref":') + 20])  # the second record is cut
    (data_dir / "store.json").write_bytes(b"")
    assert main(store_cmd(data_dir, "recover", "--file", str(data_dir / "store.json"))) == 0
    assert main(store_cmd(data_dir, "recover", "--file", str(cache))) == 0
    out = capsys.readouterr().out
    assert "fetched again from the central service" in out
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        assert store.card_cache.get(A).version == 1
        assert store.card_cache.get(B) is None
        assert store.outbox.get(item).status == "pending"  # the keys were found again


def test_recover_takes_out_an_item_whose_fields_were_changed(
    data_dir: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    """A structurally sound file with a tampered blob: check names it, recover removes it."""
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        kept = _enqueue(store)
        spoiled = _enqueue(store, B)
    (data_dir / "backups" / "outbox.json.bak").unlink()  # no older copy to fall back on
    path = data_dir / "outbox.json"
    envelope = orjson.loads(path.read_bytes())
    items = envelope["tables"]["items"]
    items["2"]["payload"] = items["1"]["payload"]  # sealed for item 1, not for item 2
    path.write_bytes(orjson.dumps(envelope))

    assert main(store_cmd(data_dir, "check")) == 1
    assert "does not decrypt" in capsys.readouterr().out
    assert main(store_cmd(data_dir, "recover", "--file", str(path))) == 0
    out = capsys.readouterr().out
    assert (
        f"1 commands seen in the damaged file could not be rebuilt; ask the tellers to check them: {spoiled}"
        in out
    )
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        assert [i.id for i in store.outbox.items()] == [kept]
