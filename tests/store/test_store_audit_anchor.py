"""An audit journal that cannot be cut short (issue 10, finding 7).

The chain head is anchored in the keyring beside the keys after every append, so each of the
five truncations of the finding (and whole lines cut off the newest month after a restart) is
refused at open and named by `branch-app store verify-audit` and `store check`. Each runs with
the in-memory keyring and with a real Secret Service (gnome-keyring-daemon)."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from keyring.backend import KeyringBackend

from branch_app.cli import main
from branch_app.store import LocalStore, StoreCorrupt
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


def test_the_anchor_is_in_the_keyring_after_every_append(
    data_dir: Path, any_keyring: KeyringBackend
) -> None:
    with LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock()) as store:
        for n in range(1, 4):
            entry = store.audit.record("card.lookup", actor="T001", reason="r")
            text = any_keyring.get_password(KEYRING_SERVICE, anchor_username(store.store_id))
            assert text is not None
            head = AuditHead.from_json(text)
            assert (head.n, head.month) == (n, entry.at[:7])
            assert head == store.audit_head


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
