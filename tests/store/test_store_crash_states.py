"""Power cuts, not just kills: every crash state of the store's workloads keeps the promise.

Each workload runs the real store on a temp folder while `tests/store/crash_states.py` records
every file-system operation through the store's seam; every state a power cut could leave
(bounded as that module says) is then opened, and the promise checked:

- every request acknowledged before the cut (the call had returned) is there, exactly once;
- nothing corrupt is served: the store opens and every field decrypts, the audit chain holds,
  `staff.json` and `sync-state.json` read; or the store refuses with a StoreCorrupt naming the
  damaged file, which `branch-app store check` names too, which the refusal left as it was, and
  after `store recover` of that file everything acknowledged is still there;
- no store file present in the state is dropped by opening it.

Run with -s to see the number of states per workload (also in docs/RELIABILITY.md).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from branch_app.store import LocalStore, StoreCorrupt, StoreError
from branch_app.store.recover import RecoveryReport, recover_file, structural_check
from sync.auth import StaffDirectory, StaffEntry
from sync.state import StorePullTarget, SyncState
from tests.store.conftest import StepClock
from tests.store.crash_states import (
    Exploration,
    Op,
    Plan,
    Recording,
    RecordingKeyring,
    apply_plan,
    explore,
    materialise,
    recording,
)
from tests.store.samples import HOLDERS, card_record, loss_payload

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="folder fsync and the model are POSIX"),
]

STAFF = ["T001", "T002", "S001"]
_TEMP = re.compile(r"^\..+\.tmp$")


def _enqueue(store: LocalStore, rec: Recording, n: int, *, holder: int = 0) -> list[str]:
    ids = []
    for i in range(n):
        person = HOLDERS[(holder + i) % len(HOLDERS)]
        item = store.outbox.enqueue(
            "report_loss",
            person["holder_id"],
            loss_payload(person),
            base_version=i + 1,
            actor="T001",
            device="PC-07",
            branch="GZ-001",
        )
        rec.ack("enqueued", item.id)
        ids.append(item.id)
    return ids


def _answer(store: LocalStore, rec: Recording, answers: list[tuple[str, str]]) -> None:
    store.outbox.record_results(
        [
            {"id": item_id, "status": status, "version": 2, "reason": None, "message": None}
            for item_id, status in answers
        ]
    )
    for item_id, status in answers:
        rec.ack("answered", item_id, status)


class Baseline:
    """Acknowledgements made before recording (they must hold in every state too)."""

    def __init__(self) -> None:
        self.ops: list[Op] = []

    def ack(self, *what: Any) -> None:
        self.ops.append(Op(-1, "ack", ack=tuple(what)))


# -- the workloads ---------------------------------------------------------------------------


def enqueue_setup(store: LocalStore, base: Any) -> None:
    _enqueue(store, base, 2)


def enqueue_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    _enqueue(store, rec, 6)
    made = store.outbox.enqueue_many(
        [
            {
                "kind": "unlock",
                "holder_id": person["holder_id"],
                "payload": loss_payload(person),
                "base_version": None,
                "actor": "T002",
                "device": "PC-07",
                "branch": "GZ-001",
            }
            for person in HOLDERS[:2]
        ]
    )
    for item in made:
        rec.ack("enqueued", item.id)
    _enqueue(store, rec, 3, holder=1)


def results_setup(store: LocalStore, base: Any) -> None:
    _enqueue(store, base, 9)


def results_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    ids = [item.id for item in store.outbox.items()]
    store.outbox.mark_sending(ids[:4])
    _answer(store, rec, [(ids[0], "accepted"), (ids[1], "merged"), (ids[2], "conflict")])
    store.outbox.record_failure([ids[3]], "timeout")
    # the third archivable answer reaches the threshold: archived inside record_results
    _answer(store, rec, [(ids[3], "accepted"), (ids[4], "accepted"), (ids[5], "rejected")])
    _enqueue(store, rec, 1)
    _answer(store, rec, [(ids[6], "merged"), (ids[7], "accepted"), (ids[8], "accepted")])


def archiving_setup(store: LocalStore, base: Any) -> None:
    ids = _enqueue(store, base, 6)
    store.outbox.record_results(
        [{"id": i, "status": "accepted", "version": 2} for i in ids[:4]]
        + [{"id": i, "status": "conflict", "version": 2} for i in ids[4:]]
    )


def archiving_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    moved, _ = store.archive_now()
    rec.ack("archived", moved)
    conflicts = [item.id for item in store.outbox.items("conflict")]
    store.outbox.close_quarantined(conflicts, actor="S001", note="decided by phone")
    rec.ack("closed", *conflicts)
    clock.jump(days=4)  # December: the next items archive into another month's part
    ids = _enqueue(store, rec, 3)
    _answer(store, rec, [(ids[0], "accepted"), (ids[1], "merged")])
    moved, _ = store.archive_now()
    rec.ack("archived", moved)


def rotation_setup(store: LocalStore, base: Any) -> None:
    ids = _enqueue(store, base, 5)
    store.outbox.record_results([{"id": i, "status": "accepted", "version": 2} for i in ids[:3]])
    for i, person in enumerate(HOLDERS):
        store.card_cache.put(card_record(person, 2 + i))
        base.ack("cached", person["holder_id"], 2 + i)
    for n in range(3):
        store.audit.record("enqueue", actor="T001", holder_id=HOLDERS[n]["holder_id"], reason="r")
        base.ack("audit", n + 1, "enqueue")
    directory = StaffDirectory.for_store(store)
    for n, staff_id in enumerate(STAFF):
        directory.put(staff_id, StaffEntry(name=f"staff {n}", role="teller", failures=n))
        base.ack("staff", staff_id, n)


def rotation_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    store.rotate_key()
    rec.ack("rotated", store.keys.data_current)
    _enqueue(store, rec, 1)
    entry = store.audit.record("rotate_key", actor="S001", reason="scheduled")
    rec.ack("audit", entry.n, "rotate_key")


def audit_setup(store: LocalStore, base: Any) -> None:
    for n in range(2):
        store.audit.record("login", actor="T001", reason="start of day")
        base.ack("audit", n + 1, "login")


def audit_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    for n in range(14):
        person = HOLDERS[n % len(HOLDERS)]
        entry = store.audit.record(
            "enqueue",
            actor="T001",
            holder_id=person["holder_id"],
            reason="applicant in person, documents seen " * (1 + n % 4),
            device="PC-07",
            branch="GZ-001",
            detail={"n": n},
        )
        rec.ack("audit", entry.n, "enqueue")
    clock.jump(days=4)  # a new month's file: its header written whole, then appends
    for _ in range(3):
        entry = store.audit.record("lookup", actor="T002", holder_id=HOLDERS[0]["holder_id"])
        rec.ack("audit", entry.n, "lookup")


def cache_setup(store: LocalStore, base: Any) -> None:
    store.card_cache.put(card_record(HOLDERS[0], 1))
    base.ack("cached", HOLDERS[0]["holder_id"], 1)


def cache_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    for version in (2, 3):
        for person in HOLDERS:
            store.card_cache.put(card_record(person, version), source="counter")
            rec.ack("cached", person["holder_id"], version)
    store.card_cache.put_many([card_record(person, 5) for person in HOLDERS], source="pull")
    for person in HOLDERS:
        rec.ack("cached", person["holder_id"], 5)
    store.card_cache.put(card_record(HOLDERS[1], 4))  # older: ignored, version 5 stays
    rec.ack("cached", HOLDERS[1]["holder_id"], 5)


def sync_setup(store: LocalStore, base: Any) -> None:
    StaffDirectory.for_store(store).put(STAFF[0], StaffEntry(name="staff 0", failures=0))
    base.ack("staff", STAFF[0], 0)


def sync_run(store: LocalStore, rec: Recording, clock: StepClock) -> None:
    directory = StaffDirectory.for_store(store)
    for failures in (1, 2):
        for staff_id in STAFF:
            directory.put(staff_id, StaffEntry(name="staff", role="teller", failures=failures))
            rec.ack("staff", staff_id, failures)
    state = SyncState.in_folder(store.data_dir)
    target = StorePullTarget(store.card_cache, state)
    for page in (1, 2, 3):
        # a page's records are durable in the cache before the cursor passes them
        target.apply_changes(
            [(p["holder_id"], card_record(p, page + 10)) for p in HOLDERS]  # version page+10
        )
        target.save_cursor(page)
        rec.ack("cursor", page)
    state.finished(ok=True, error=None, at=datetime(2026, 11, 28, 10, tzinfo=UTC))
    rec.ack("finished")


@dataclass(frozen=True)
class Workload:
    name: str
    setup: Callable[[LocalStore, Any], None]
    run: Callable[[LocalStore, Recording, StepClock], None]
    archive_threshold: int = 200
    minimum_states: int = 50


WORKLOADS = [
    Workload("enqueue", enqueue_setup, enqueue_run, minimum_states=60),
    Workload("record_results", results_setup, results_run, archive_threshold=3),
    Workload("archiving", archiving_setup, archiving_run),
    Workload("key rotation", rotation_setup, rotation_run),
    Workload("audit appends", audit_setup, audit_run, minimum_states=60),
    Workload("card cache", cache_setup, cache_run),
    Workload("staff.json and sync state", sync_setup, sync_run),
]


# -- the promise -----------------------------------------------------------------------------


def _store_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not _TEMP.match(p.name) and p.name != "store.lock"
    }


def verify_acks(store: LocalStore, folder: Path, acks: list[Op]) -> None:
    """Everything acknowledged is there, exactly once; everything there reads."""
    live = [item.id for item in store.outbox.items()]
    archived = store.archive.all_docs()
    copies = Counter(live + [doc["id"] for doc in archived])
    seqs = [item.seq for item in store.outbox.items()] + [doc["seq"] for doc in archived]
    assert len(seqs) == len(set(seqs)), "a sequence number is used twice"
    entries = {entry.n: entry for entry in store.audit.entries()}
    staff = StaffDirectory.for_store(store)  # reads and parses staff.json
    state = SyncState.in_folder(folder)  # reads and parses sync-state.json
    for staff_id in STAFF:
        staff.get(staff_id)  # every blob decrypts under the store's current keys
    cursor = state.load_cursor() or 0
    for person in HOLDERS:  # the cache is never behind the cursor (sync/state.py's promise)
        if cursor:
            cached = store.card_cache.get(person["holder_id"])
            assert cached is not None and cached.version >= cursor + 10, (
                f"the sync cursor {cursor} passed records the cache does not hold"
            )
    for op in acks:
        kind, *args = op.ack
        if kind == "enqueued":
            assert copies[args[0]] == 1, f"item {args[0]} acknowledged, found {copies[args[0]]}x"
        elif kind == "answered":
            assert store.outbox.get(args[0]).status == args[1], f"answer to {args[0]} lost"
        elif kind == "closed":
            for item_id in args:
                assert store.outbox.closing(item_id) is not None, f"closing of {item_id} lost"
        elif kind == "audit":
            assert args[0] in entries, f"acknowledged audit entry {args[0]} missing"
            assert entries[args[0]].action == args[1]
        elif kind == "cached":
            cached = store.card_cache.get(args[0])
            assert cached is not None and cached.version >= args[1], "a cached record went back"
        elif kind == "staff":
            assert staff.get(args[0]).failures >= args[1], "a staff entry went back"
        elif kind == "cursor":
            assert cursor >= args[0], "the sync cursor went back"
        elif kind == "finished":
            assert state.memory.last_sync_ok is True, "the end of the sync run was lost"
        elif kind == "rotated":
            assert store.keys.data_current == args[0] and not store.keys.rotating
        elif kind != "archived":
            raise AssertionError(f"unknown acknowledgement {kind}")


def _kind_of_refusal(detail: str) -> str:
    return re.sub(r"\d+", "N", detail)


def _nothing_left_out_silently(raw: bytes, recovery: RecoveryReport) -> None:
    """A recovered audit month says what it left out: every line of the damaged file that is
    not in the rebuilt one is a lost entry or the interrupted last append, named as such."""
    lines = [line for line in raw.split(b"\n")[1:] if line]
    left_out = len(lines) - recovery.from_damaged
    noted = len(recovery.lost_entries) + sum(
        1 for key, _ in recovery.notes if key == "store.recover.audit_torn"
    )
    assert left_out <= noted, f"recovery left out {left_out} line(s) and said so of {noted}"


def check_promise(
    workload: Workload, baseline: list[Op]
) -> Callable[[Path, Any, list[Op], Plan], str | None]:
    def check(folder: Path, keyring: Any, acks: list[Op], plan: Plan) -> str | None:
        clock = StepClock(datetime(2026, 12, 20, 9, tzinfo=UTC))
        before = _store_files(folder)
        refused: str | None = None
        for _attempt in range(4):
            try:
                store = LocalStore.open(
                    folder,
                    keyring=keyring,
                    clock=clock,
                    archive_threshold=workload.archive_threshold,
                )
                break
            except StoreError as exc:
                assert isinstance(exc, StoreCorrupt), f"refused without naming a file: {exc!r}"
                name = exc.path.relative_to(folder).as_posix()
                assert name in before, f"refused naming {name}, which the state does not hold"
                assert exc.path.read_bytes() == before[name], f"the refusal changed {name}"
                named = {
                    p.relative_to(folder).as_posix() for p, why in structural_check(folder) if why
                }
                assert name in named, f"store check does not name {name} ({exc.detail})"
                refused = (
                    (refused + "; " if refused else "") + f"{name}: " + _kind_of_refusal(exc.detail)
                )
                recovery = recover_file(folder, exc.path, clock=clock)
                if name.startswith("audit/"):
                    _nothing_left_out_silently(before[name], recovery)
                before = _store_files(folder)
        else:
            raise AssertionError(f"still refused after recovering: {refused}")
        with store:
            after = _store_files(folder)
            # an audit month of the earlier format goes once its `.jsonl` successor is whole
            dropped = sorted(n for n in set(before) - set(after) if f"{n}l" not in after)
            assert not dropped, f"opening dropped {dropped}"
            report = store.check()
            assert report.ok, f"the audit chain is broken: {report.audit}"
            verify_acks(store, folder, baseline + acks)
        return refused

    return check


def record(workload: Workload, folder: Path) -> tuple[Recording, list[Op]]:
    """Set the workload up, then record its run (and the store's close)."""
    keyring = RecordingKeyring()
    clock = StepClock()
    store = LocalStore.open(
        folder, keyring=keyring, clock=clock, archive_threshold=workload.archive_threshold
    )
    base = Baseline()
    try:
        workload.setup(store, base)
        with recording(folder, keyring) as rec:
            workload.run(store, rec, clock)
            store.close()
    finally:
        store.close()
    return rec, base.ops


def report(result: Exploration, minimum: int) -> None:
    print("\n" + result.summary())
    for detail, count in sorted(result.refused.items()):
        print(f"    refused {count}x: {detail}")
    assert result.states >= minimum, "the explorer did not explore what it claims"
    assert result.opened > 0


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_every_crash_state_keeps_the_promise(workload: Workload, tmp_path: Path) -> None:
    rec, baseline = record(workload, tmp_path / "data")
    result = explore(rec, workload.name, check_promise(workload, baseline), tmp_path)
    report(result, workload.minimum_states)


def _cut_in_rotation(rec: Recording) -> int:
    """Just after the first file re-sealed under the new key (the keyring holds both)."""
    rotating = next(op.index for op in rec.ops if op.kind == "keyring")
    return next(op.index for op in rec.ops[rotating:] if op.kind == "fsync_dir") + 1


def _cut_in_archiving(rec: Recording) -> int:
    """Just after an archive part is durable, before the live file without its items is."""
    return next(op.index for op in rec.ops if op.kind == "fsync_dir" and op.folder == "archive") + 1


REOPENED = [
    ("open finishing a rotation", WORKLOADS[3], _cut_in_rotation),
    ("open reconciling the archive", WORKLOADS[2], _cut_in_archiving),
]


@pytest.mark.parametrize("name, workload, cut", REOPENED, ids=[r[0] for r in REOPENED])
def test_the_open_that_repairs_a_crash_is_crash_safe_too(
    name: str, workload: Workload, cut: Callable[[Recording], int], tmp_path: Path
) -> None:
    """The work an open does after a crash (finishing an interrupted key rotation, taking out
    of the live file the items an archive part already holds) meets a power cut of its own."""
    source, baseline = record(workload, tmp_path / "source")
    plan = Plan(cut(source), frozenset(), {}, "the crash to repair")
    files, frozen = apply_plan(source, plan)
    folder = tmp_path / "data"
    keyring = RecordingKeyring.from_export(dict(frozen))
    materialise(source, files, frozen, folder)
    acks = baseline + [op for op in source.ops[: plan.cut] if op.kind == "ack"]
    clock = StepClock(datetime(2026, 12, 10, 9, tzinfo=UTC))
    with recording(folder, keyring) as rec:
        store = LocalStore.open(
            folder, keyring=keyring, clock=clock, archive_threshold=workload.archive_threshold
        )
        store.close()
    assert any(op.kind == "rename" for op in rec.ops), "the open had nothing to repair"
    result = explore(rec, name, check_promise(workload, acks), tmp_path)
    report(result, 20)


def _downgrade(folder: Path) -> None:
    """Make the folder one of the earlier version: outbox schema 1, audit months as `.json`."""
    outbox = folder / "outbox.json"
    envelope = orjson.loads(outbox.read_bytes())
    envelope["schema"] = 1
    envelope["meta"] = {}
    for doc in envelope["tables"]["items"].values():
        del doc["attempts"], doc["last_error"]
    outbox.write_bytes(orjson.dumps(envelope))
    for path in sorted((folder / "audit").glob("*.jsonl")):
        header, *lines = path.read_bytes().splitlines()
        docs = [orjson.loads(line) for line in lines]
        meta = {"starts_after": orjson.loads(header)["starts_after"]}
        if docs:
            meta["head"] = {"n": docs[-1]["n"], "mac": docs[-1]["mac"]}
        old = {
            "format": "branch-app-store",
            "kind": "audit",
            "schema": 1,
            "meta": meta,
            "tables": {"entries": {str(doc["n"]): doc for doc in docs}},
        }
        path.with_suffix(".json").write_bytes(orjson.dumps(old))
        path.unlink()
    os.sync()


def test_the_migration_at_open_is_crash_safe(tmp_path: Path) -> None:
    """An earlier version's folder (outbox schema 1, audit months of the whole-document
    format) is migrated by the first open: a power cut anywhere in it loses nothing, and the
    outbox's original is kept as `outbox.json.schema1.bak` whenever the migrated file is there."""
    folder = tmp_path / "data"
    keyring = RecordingKeyring()
    clock = StepClock()
    base = Baseline()
    with LocalStore.open(folder, keyring=keyring, clock=clock) as store:
        _enqueue(store, base, 3)
        for _ in range(2):
            entry = store.audit.record("enqueue", actor="T001", reason="before the upgrade")
            base.ack("audit", entry.n, "enqueue")
            clock.jump(days=5)
    _downgrade(folder)
    original = (folder / "outbox.json").read_bytes()
    with recording(folder, keyring) as rec:
        LocalStore.open(folder, keyring=keyring, clock=clock).close()
    workload = Workload("migration at open", enqueue_setup, enqueue_run)
    promise = check_promise(workload, base.ops)

    def check(where: Path, state_keyring: Any, acks: list[Op], plan: Plan) -> str | None:
        envelope = orjson.loads((where / "outbox.json").read_bytes())
        if envelope["schema"] == 2:
            backup = where / "outbox.json.schema1.bak"
            assert backup.exists() and backup.read_bytes() == original, "the original is lost"
        return promise(where, state_keyring, acks, plan)

    report(explore(rec, "migration at open", check, tmp_path), 20)
