"""Personal data at rest: encrypted, keys only in an acceptable keyring, rotation."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from branch_app.store import KeyMissing, KeyringRefused, LocalStore, MemoryKeyring
from branch_app.store.crypto import KEYRING_SERVICE, KeySet, refusal_reason
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS, card_record, loss_payload


class PlaintextKeyring(KeyringBackend):
    """Stands in for keyrings.alt.file.PlaintextKeyring (not installed here)."""

    priority = 0.5

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        pass

    def delete_password(self, service, username):
        pass


class ForgetfulKeyring(MemoryKeyring):
    """An allowed (in-memory) keyring that keeps nothing it is given."""

    def set_password(self, service, username, password):
        pass


def _fill(store: LocalStore, clock: StepClock) -> None:
    """Put every holder everywhere: outbox (live and archived), cache, audit, errors, results."""
    for holder in HOLDERS:
        item = store.outbox.enqueue(
            "report_loss",
            holder["holder_id"],
            loss_payload(holder),
            base_version=1,
            actor="T001",
            device="PC-07",
            branch="GZ-001",
        )
        store.outbox.record_failure([item.id], f"could not send for {holder['name']}")
        store.card_cache.put(card_record(holder))
        store.audit.record(
            "card.lookup",
            actor="T001",
            holder_id=holder["holder_id"],
            reason=f"{holder['name']} at the counter, phone {holder['phone']}",
            detail={"address": holder["address"]},
        )
    answered = store.outbox.items()[0]
    store.outbox.record_results(
        [{"id": answered.id, "status": "accepted", "record": card_record(HOLDERS[0], 2)}]
    )
    store.archive_now()
    store.outbox.enqueue(
        "unlock",
        HOLDERS[1]["holder_id"],
        {"kind": "unlock", "note": HOLDERS[1]["name"]},
        base_version=1,
        actor="T001",
        device="PC-07",
        branch="GZ-001",
    )
    store.outbox.record_results(
        [{"id": store.outbox.items()[-1].id, "status": "rejected", "message": HOLDERS[1]["name"]}]
    )
    conflict = store.outbox.enqueue(
        "unlock",
        HOLDERS[2]["holder_id"],
        {"kind": "unlock"},
        base_version=1,
        actor="T001",
        device="PC-07",
        branch="GZ-001",
    )
    store.outbox.record_results([{"id": conflict.id, "status": "conflict"}])
    store.outbox.close_quarantined(
        [conflict.id], actor="S001", note=f"called {HOLDERS[2]['name']} on {HOLDERS[2]['phone']}"
    )


def _forms(text: str) -> list[bytes]:
    """The ways a string could appear in a file: UTF-8, JSON escapes, GBK."""
    forms = {text.encode("utf-8"), json.dumps(text)[1:-1].encode("ascii")}
    with contextlib.suppress(UnicodeEncodeError):
        forms.add(text.encode("gbk"))
    return sorted(forms)


def test_no_personal_data_appears_in_any_file(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        _fill(store, clock)
        assert store.archive.files(), "the test must cover an archive file"
        assert store.outbox.items("rejected")
        # everything is readable back through the store
        assert store.card_cache.get(HOLDERS[2]["holder_id"]).record["name"] == "Li Meiling"
        store.rotate_key()  # leaves no plain copy either
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert len(files) >= 6
    blob = b"\n".join(p.read_bytes() for p in files)
    for holder in HOLDERS:
        for value in holder.values():
            for form in _forms(value):
                assert form not in blob, f"{value!r} found in clear"
        # nor the number without its check character, nor the lower-case x
        assert holder["holder_id"][:17].encode() not in blob
    assert b"11010519491231002x" not in blob


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        (fail.Keyring(), "no usable system keyring"),
        (null.Keyring(), "forgets every secret"),
        (PlaintextKeyring(), "not a known secure keyring"),
    ],
)
def test_unsafe_keyrings_are_refused_with_a_clear_message(
    data_dir: Path, backend: KeyringBackend, why: str
) -> None:
    with pytest.raises(KeyringRefused) as caught:
        LocalStore.open(data_dir, keyring=backend)
    assert why in str(caught.value)
    assert "keyring" in str(caught.value) and "密钥环" in caught.value.message("zh")
    # refused before anything was written, and the lock was released
    assert not (data_dir / "outbox.json").exists()


def test_the_system_keyring_is_used_by_default(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(data_dir) as store:
        assert store.keyring_is_memory
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(KeyringRefused):
        LocalStore.open(data_dir)


def test_a_keyring_that_keeps_nothing_is_refused(data_dir: Path) -> None:
    with pytest.raises(KeyringRefused, match="did not keep"):
        LocalStore.open(data_dir, keyring=ForgetfulKeyring())


def test_a_chainer_is_judged_by_what_it_chains() -> None:
    class Chain(chainer.ChainerBackend):
        def __init__(self, backends):
            self._backends = backends

        @property
        def backends(self):
            return self._backends

    assert "none of the chained" in refusal_reason(Chain([fail.Keyring(), null.Keyring()]))
    assert "not a known secure" in refusal_reason(Chain([MemoryKeyring(), PlaintextKeyring()]))
    assert refusal_reason(Chain([fail.Keyring(), MemoryKeyring()])) is None


def test_a_missing_key_is_named_not_silently_replaced(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        store.outbox.enqueue(
            "unlock", "440106198001011234", {}, base_version=1, actor="T", device="D", branch="B"
        )
    with pytest.raises(KeyMissing, match="not in this computer's keyring"):
        LocalStore.open(data_dir, keyring=MemoryKeyring())


def test_rotation_reencrypts_everything_and_forgets_the_old_key(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        _fill(store, clock)
        before_items = store.outbox.items()
        before_audit = store.audit.entries()
        old = KeySet.from_json(
            memory_keyring.get_password(KEYRING_SERVICE, f"store:{store.store_id}:keys")
        )
        report = store.rotate_key()
        assert report.outbox_items == len(before_items) and report.archived_items == 2
        assert report.cached_records >= len(HOLDERS) and report.audit_entries == len(HOLDERS)
        assert store.outbox.items() == before_items
        assert store.audit.verify().ok
    new = KeySet.from_json(
        memory_keyring.get_password(KEYRING_SERVICE, f"store:{store.store_id}:keys")
    )
    assert set(new.data_keys).isdisjoint(old.data_keys)
    assert set(new.card_keys).isdisjoint(old.card_keys)
    assert new.audit_key == old.audit_key  # the journal's chain and pseudonyms stay valid
    text = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for key_id in [*old.data_keys, *old.card_keys]:
        assert key_id.encode() not in text
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert store.outbox.items() == before_items
        assert store.audit.entries() == before_audit
        assert store.card_cache.get(HOLDERS[1]["holder_id"]).version == 1
        assert store.check().ok


def test_an_interrupted_rotation_is_finished_on_open(
    data_dir: Path, memory_keyring: MemoryKeyring, clock: StepClock
) -> None:
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        _fill(store, clock)
        store._keys.begin_rotation()
        from branch_app.store.crypto import save_keyset

        save_keyset(memory_keyring, store.store_id, store._keys)
        store.outbox.reencrypt()  # ...and the power went before the other files
    with LocalStore.open(data_dir, keyring=memory_keyring, clock=clock) as store:
        assert not store._keys.rotating
        assert store.card_cache.get(HOLDERS[0]["holder_id"]) is not None
        assert len(store.outbox.for_holder(HOLDERS[1]["holder_id"])) == 2
        assert store.check().ok


def test_a_blob_moved_to_another_record_does_not_decrypt() -> None:
    keys = KeySet.generate()
    blob = keys.encrypt("11010519491231002X", "outbox:aaa:holder")
    assert keys.decrypt(blob, "outbox:aaa:holder") == "11010519491231002X"
    with pytest.raises(ValueError):
        keys.decrypt(blob, "outbox:bbb:holder")
    assert keys.card_key("11010519491231002x ") == keys.card_key("11010519491231002X")


def test_rotation_reseals_files_other_parts_keep_with_the_data_key(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    """sync keeps offline staff verifiers in staff.json, sealed with `store.keys`."""
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        blob = store.keys.encrypt({"verifier": "argon2id..."}, "staff:abc")
        (data_dir / "staff.json").write_bytes(
            json.dumps({"format": "branch-app-staff", "staff": {"abc": blob}}).encode()
        )
        report = store.rotate_key()
        assert report.other_sealed == 1
        resealed = json.loads((data_dir / "staff.json").read_text())["staff"]["abc"]
        assert resealed != blob
        assert store.keys.decrypt(resealed, "staff:abc") == {"verifier": "argon2id..."}


def test_the_demo_starts_afresh_and_never_clears_a_real_store(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    from branch_app.store import NotADemoFolder

    demo = tmp_path / "demo"
    with LocalStore.open_demo(demo) as store:
        assert store.keyring_is_memory
        store.outbox.enqueue(
            "unlock", HOLDERS[0]["holder_id"], {}, base_version=1, actor="T", device="D", branch="B"
        )
    with LocalStore.open_demo(demo) as store:  # a second `make demo`: keys gone, data cleared
        assert len(store.outbox) == 0 and store.check().ok
    real = tmp_path / "real"
    with LocalStore.open(real, keyring=memory_keyring) as store:
        item = store.outbox.enqueue(
            "unlock", HOLDERS[0]["holder_id"], {}, base_version=1, actor="T", device="D", branch="B"
        )
    with pytest.raises(NotADemoFolder, match="holds a real store"):
        LocalStore.open_demo(real)
    with LocalStore.open(real, keyring=memory_keyring) as store:
        assert store.outbox.get(item.id).status == "pending"
