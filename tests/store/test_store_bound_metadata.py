"""The outbox item's plain fields are bound to the data key (issue 10, finding 9).

Editing `outbox.json` to change who made a request (actor), its kind, device, branch, or to mark
it accepted (so it is never sent) is detected: the store refuses to open naming the item,
`branch-app store check` names it, nothing is sent. Items of an earlier version get their mac
once at open; from then on removing a mac is an edit too."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from keyring.backend import KeyringBackend

from branch_app.cli import main
from branch_app.store import LocalStore, StoreCorrupt
from branch_app.store.crypto import KEYRING_SERVICE, KeySet, keyring_username
from tests.store.conftest import StepClock
from tests.store.samples import HOLDERS


def store_cmd(data_dir: Path, *args: str) -> list[str]:
    return ["--language", "en", "store", *args, "--data-dir", str(data_dir)]


def _queue_two(data_dir: Path, backend: KeyringBackend) -> list[str]:
    with LocalStore.open(data_dir, keyring=backend, clock=StepClock()) as store:
        return [
            store.outbox.enqueue(
                "report_loss",
                holder["holder_id"],
                {"kind": "report_loss"},
                base_version=1,
                actor="T001",
                device="PC-07",
                branch="GZ-001",
            ).id
            for holder in HOLDERS[:2]
        ]


def _edit(data_dir: Path, item_id: str, **fields: object) -> None:
    path = data_dir / "outbox.json"
    document = orjson.loads(path.read_bytes())
    for doc in document["tables"]["items"].values():
        if doc["id"] == item_id:
            doc.update(fields)
    path.write_bytes(orjson.dumps(document))


@pytest.mark.parametrize(
    "edit",
    [
        {"actor": "S001"},  # who made it: a supervisor
        {"status": "accepted"},  # marked accepted: it would never be sent
        {"kind": "unlock"},
        {"device": "PC-99"},
        {"branch": "GZ-002"},
    ],
    ids=["actor", "status", "kind", "device", "branch"],
)
def test_an_edited_item_is_refused_and_named_by_store_check(
    edit: dict[str, str],
    data_dir: Path,
    any_keyring: KeyringBackend,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _queue_two(data_dir, any_keyring)
    _edit(data_dir, ids[1], **edit)

    with pytest.raises(StoreCorrupt) as refused:
        LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock())
    assert ids[1] in refused.value.detail and "changed" in refused.value.detail
    assert ids[0] not in refused.value.detail

    capsys.readouterr()
    assert main(store_cmd(data_dir, "check")) == 1
    out = capsys.readouterr().out
    assert "outbox.json: damaged" in out or "outbox.json" in out
    assert ids[1] in out and "were changed in the file" in out


def test_the_unedited_outbox_opens_and_its_items_go(
    data_dir: Path, any_keyring: KeyringBackend
) -> None:
    ids = _queue_two(data_dir, any_keyring)
    with LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock()) as store:
        assert [i.id for i in store.outbox.sendable(10)] == ids
        store.outbox.mark_sending(ids)
        store.outbox.record_results([{"id": ids[0], "status": "accepted", "version": 2}])
        store.rotate_key()  # the macs follow the new data key
    with LocalStore.open(data_dir, keyring=any_keyring, clock=StepClock()) as store:
        assert [i.id for i in store.outbox.sendable(10)] == [ids[1]]
        assert store.check().ok


def test_items_of_an_earlier_version_get_their_mac_once_then_a_removed_mac_is_an_edit(
    data_dir: Path, any_keyring: KeyringBackend
) -> None:
    ids = _queue_two(data_dir, any_keyring)
    # as an earlier version left them: no macs, and a key entry that does not say otherwise
    path = data_dir / "outbox.json"
    document = orjson.loads(path.read_bytes())
    for doc in document["tables"]["items"].values():
        del doc["mac"]
    path.write_bytes(orjson.dumps(document))
    store_id = orjson.loads((data_dir / "store.json").read_bytes())["meta"]["store_id"]
    username = keyring_username(store_id)
    entry = json.loads(any_keyring.get_password(KEYRING_SERVICE, username) or "{}")
    del entry["meta_macs"]
    any_keyring.set_password(KEYRING_SERVICE, username, json.dumps(entry))
    assert not KeySet.from_json(json.dumps(entry)).meta_macs

    with LocalStore.open(data_dir, keyring=any_keyring) as store:  # migrated here
        assert [i.id for i in store.outbox.items()] == ids
    stored = orjson.loads(path.read_bytes())["tables"]["items"].values()
    assert all("mac" in doc for doc in stored)
    assert KeySet.from_json(any_keyring.get_password(KEYRING_SERVICE, username) or "").meta_macs

    # now removing a mac (to edit the item unseen) is itself an edit
    document = orjson.loads(path.read_bytes())
    for doc in document["tables"]["items"].values():
        if doc["id"] == ids[0]:
            del doc["mac"]
            doc["actor"] = "S001"
    path.write_bytes(orjson.dumps(document))
    with pytest.raises(StoreCorrupt, match=ids[0]):
        LocalStore.open(data_dir, keyring=any_keyring)
