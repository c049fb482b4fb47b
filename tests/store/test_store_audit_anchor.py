"""An audit journal that cannot be cut short (issue 10, finding 7).

The chain head is anchored in the keyring beside the keys, shortly after every append (from a
background writer) and at close, so each of the five truncations of the finding (and whole lines cut off the newest month after a restart) is
refused at open and named by `branch-app store verify-audit` and `store check`. Each runs with
the in-memory keyring and with a real Secret Service (gnome-keyring-daemon)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import orjson
import pytest
from keyring.backend import KeyringBackend

from branch_app.cli import main
from branch_app.store import LocalStore, MemoryKeyring, StoreCorrupt, audit
from branch_app.store.audit import AUDIT_DIR
from branch_app.store.crypto import KEYRING_SERVICE, AuditHead, anchor_username
from tests.store.conftest import StepClock


def store_cmd(data_dir: Path, *args: str) -> list[str]:
    return ["--language", "en", "store", *args, "--data-dir", str(data_dir)]


def _journal(data_dir: Path, backend: KeyringBackend) -> tuple[Path, Path]:
    """Five entries in November, four in December (the newest month); both month files."""
    clock = StepClock()
    with LocalStore.open(data_dir, keyring=backend, clock=clock) as store:
        for n in range(5):
            store.audit.record("card.lookup", actor="T001", reason=f"november {n}")
        clock.jump(days=5)
        for n in range(4):
            store.audit.record("card.lookup", actor="T001", reason=f"december {n}")
        november, december = store.audit.files()
        assert store.audit.head == 9
    return november, december


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _drop_last_entry_and_edit_header(november: Path, december: Path) -> None:
    lines = _lines(december)
    header = orjson.loads(lines[0])
    header["head"] = orjson.loads(lines[-2])  # "edited to match": the earlier format's head
    header["head"] = {"n": header["head"]["n"], "mac": header["head"]["mac"]}
    december.write_bytes(orjson.dumps(header) + b"\n" + b"".join(lines[1:-1]))


def _roll_back_to_first_entry(november: Path, december: Path) -> None:
    december.write_bytes(b"".join(_lines(december)[:2]))


def _delete_newest_month(november: Path, december: Path) -> None:
    december.unlink()


def _empty_entries(november: Path, december: Path) -> None:
    december.write_bytes(_lines(december)[0])


def _delete_audit_folder(november: Path, december: Path) -> None:
    shutil.rmtree(december.parent)


TRUNCATIONS = {
    "last entry dropped, header edited to match": (
        _drop_last_entry_and_edit_header,
        8,
        "truncated",
    ),
    "newest month rolled back to its first entry": (_roll_back_to_first_entry, 6, "truncated"),
    "newest month's file deleted": (_delete_newest_month, 5, "month_missing"),
    "newest month's entries emptied": (_empty_entries, 5, "emptied"),
    "whole audit folder deleted": (_delete_audit_folder, 0, "journal_missing"),
}


@pytest.mark.parametrize("cut", list(TRUNCATIONS))
def test_each_truncation_is_refused_at_open_and_named_by_verify_audit(
    cut: str,
    data_dir: Path,
    any_keyring: KeyringBackend,
    capsys: pytest.CaptureFixture[str],
) -> None:
    damage, left, problem = TRUNCATIONS[cut]
    november, december = _journal(data_dir, any_keyring)
    damage(november, december)

    with pytest.raises(StoreCorrupt) as refused:
        LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock())
    assert "anchor" in refused.value.detail and "entry 9" in refused.value.detail

    with LocalStore.open(data_dir, keyring=any_keyring, inspect=True) as store:
        result = store.audit.verify()
        assert not result.ok
        assert (result.problem, result.checked, result.first_bad) == (problem, left, left + 1)
        assert result.anchored == 9
        expected_file = data_dir / AUDIT_DIR if problem == "journal_missing" else december
        assert result.file == expected_file
        with pytest.raises(StoreCorrupt):  # nothing is appended to a journal cut short
            store.audit.record("card.lookup", actor="T001", reason="after the cut")

    capsys.readouterr()
    assert main(store_cmd(data_dir, "verify-audit")) == 1
    out = capsys.readouterr().out
    assert f"entry {left + 1} was" in out
    assert "entries " + f"{left + 1} to 9 are missing" in out
    assert main(store_cmd(data_dir, "check")) == 1
    assert f"entries {left + 1} to 9 are missing" in capsys.readouterr().out


def test_lines_cut_off_the_newest_month_after_a_restart_are_caught(
    data_dir: Path, any_keyring: KeyringBackend
) -> None:
    """The append-only journal reads its head from its last line: cutting whole lines off after
    a restart used to leave a journal that verified as intact."""
    _november, december = _journal(data_dir, any_keyring)
    with LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock()) as store:
        store.audit.record("card.lookup", actor="T001", reason="after the restart")
        assert store.audit.verify().ok
    december.write_bytes(b"".join(_lines(december)[:-2]))  # two whole lines
    with pytest.raises(StoreCorrupt):
        LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock())
    with LocalStore.open(data_dir, keyring=any_keyring, inspect=True) as store:
        result = store.audit.verify()
    assert (result.ok, result.problem, result.checked, result.anchored) == (
        False,
        "truncated",
        8,
        10,
    )


def _anchored(backend: KeyringBackend, store_id: str) -> AuditHead | None:
    text = backend.get_password(KEYRING_SERVICE, anchor_username(store_id))
    return None if text is None else AuditHead.from_json(text)


def _wait_for_anchor(backend: KeyringBackend, store_id: str, head: AuditHead) -> None:
    """Poll the keyring until it holds `head` (the writer has `ANCHOR_AFTER` seconds)."""
    deadline = time.monotonic() + 30
    while _anchored(backend, store_id) != head:
        assert time.monotonic() < deadline, f"the anchor did not reach entry {head.n}"
        threading.Event().wait(0.01)


def test_the_anchor_follows_every_append_and_is_written_at_close(
    data_dir: Path, any_keyring: KeyringBackend
) -> None:
    with LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock()) as store:
        for n in range(1, 4):
            entry = store.audit.record("card.lookup", actor="T001", reason="r")
            assert store.audit_head == AuditHead(n, store.audit_head.mac, entry.at[:7])
            _wait_for_anchor(any_keyring, store.store_id, store.audit_head)
        store.audit.record("card.lookup", actor="T001", reason="r")
        store.audit.anchor_now()  # at once, without waiting for the writer
        assert _anchored(any_keyring, store.store_id) == store.audit_head
        assert store.audit.anchored == store.audit_head
        store.audit.record("card.lookup", actor="T001", reason="last")
        last, store_id = store.audit_head, store.store_id
    assert last.n == 5
    assert _anchored(any_keyring, store_id) == last  # close writes the head before returning


class _SlowKeyring(MemoryKeyring):
    """An in-memory keyring whose anchor writes wait until released (a slow Secret Service),
    and that keeps every anchor written, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.release.set()
        self.anchors: list[AuditHead] = []

    def set_password(self, service: str, username: str, password: str) -> None:
        if username.endswith(":audit-head"):
            assert self.release.wait(30), "the anchor write was never released"
            self.anchors.append(AuditHead.from_json(password))
        super().set_password(service, username, password)


def test_an_append_does_not_wait_for_the_keyring_and_the_anchor_never_goes_back(
    data_dir: Path,
) -> None:
    keyring = _SlowKeyring()
    with LocalStore.open(data_dir, keyring=keyring, clock=StepClock()) as store:
        keyring.release.clear()  # from now on the keyring hangs until released
        first = store.audit.record("card.lookup", actor="T001", reason="r")
        # a burst: the writer is held in the keyring, the appends go on and are durable
        for _ in range(3 * audit.ANCHOR_EVERY):
            store.audit.record("card.lookup", actor="T001", reason="burst")
        assert store.audit.head == first.n + 3 * audit.ANCHOR_EVERY
        assert store.audit.verify().ok
        keyring.release.set()
        store.audit.anchor_now()
        assert store.audit.anchored == store.audit_head
        head = store.audit_head
    assert keyring.anchors[-1] == head
    numbers = [anchor.n for anchor in keyring.anchors]
    assert numbers == sorted(numbers)
    # the burst was coalesced: far fewer keyring writes than appends
    assert len(numbers) <= 1 + 3 * audit.ANCHOR_EVERY // 4


def test_an_anchor_behind_the_journal_after_a_crash_is_caught_up_at_open(
    data_dir: Path,
) -> None:
    """A crash between an append and its anchor leaves the anchor behind: the journal opens,
    verifies, and is anchored at open; a cut below that older anchor is still refused."""
    keyring = MemoryKeyring()
    with LocalStore.open(data_dir, keyring=keyring, clock=StepClock()) as store:
        for _ in range(3):
            store.audit.record("card.lookup", actor="T001", reason="r")
        store.audit.anchor_now()
        behind = keyring.export()  # the keyring as a crash after entry 3's anchor leaves it
        for _ in range(4):
            store.audit.record("card.lookup", actor="T001", reason="r")
        store_id, head = store.store_id, store.audit_head
    crashed = MemoryKeyring.from_export(behind)
    anchored = _anchored(crashed, store_id)
    assert anchored is not None and anchored.n == 3
    with LocalStore.open(data_dir, keyring=crashed, clock=StepClock()) as store:
        assert store.audit.verify().ok
        assert _anchored(crashed, store_id) == head
    # now cut the journal below the anchor the open wrote: refused
    (month,) = (data_dir / AUDIT_DIR).glob("*.jsonl")
    month.write_bytes(b"".join(_lines(month)[:-2]))
    with pytest.raises(StoreCorrupt):
        LocalStore.open(data_dir, keyring=crashed, clock=StepClock())


def test_a_journal_of_an_earlier_version_gets_its_anchor_at_open(
    data_dir: Path, any_keyring: KeyringBackend
) -> None:
    _journal(data_dir, any_keyring)
    with LocalStore.open(data_dir, keyring=any_keyring) as store:
        any_keyring.delete_password(KEYRING_SERVICE, anchor_username(store.store_id))
        store_id = store.store_id
    with LocalStore.open(data_dir, keyring=any_keyring) as store:
        assert store.audit.verify().ok
    text = any_keyring.get_password(KEYRING_SERVICE, anchor_username(store_id))
    assert text is not None and AuditHead.from_json(text).n == 9


def test_a_rewritten_entry_at_the_anchor_is_named(
    data_dir: Path, any_keyring: KeyringBackend
) -> None:
    """The anchored entry itself must be the one anchored (its chain link)."""
    _journal(data_dir, any_keyring)
    with LocalStore.open(data_dir, keyring=any_keyring) as store:
        username = anchor_username(store.store_id)
    text = any_keyring.get_password(KEYRING_SERVICE, username)
    assert text is not None
    head = AuditHead.from_json(text)
    any_keyring.set_password(
        KEYRING_SERVICE, username, AuditHead(head.n, "f" * 64, head.month).to_json()
    )
    with LocalStore.open(data_dir, keyring=any_keyring, inspect=True) as store:
        result = store.audit.verify()
    assert (result.ok, result.problem, result.first_bad) == (False, "changed", 9)
