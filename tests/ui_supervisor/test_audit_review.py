"""The audit review service over a real store: search filters, a holder found by the keyed hash of
the typed number (and that search audited), the export's content (no ID number, name, address or
telephone number) and its own audit entry, and a broken chain reported where it breaks."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import orjson
import pytest

from branch_app.domain.identity import parse_identity
from branch_app.domain.lifecycle import ChangeContact
from branch_app.domain.roles import Place, Role
from branch_app.domain.vocabulary import LookupPurpose
from branch_app.services.audit_review import (
    EXPORT_FAILED,
    EXPORTED,
    HOLDER_SEARCHED,
    AuditReview,
    Period,
    ReviewRefused,
    Search,
)
from branch_app.services.counter import Counter, Desk
from branch_app.services.supervisor import SupervisorDesk
from branch_app.store import LocalStore
from branch_app.store.audit_search import JournalReader

from .conftest import NOW, holder
from .test_supervisor_local import card_in_use

SUPERVISOR = SupervisorDesk(staff_id="S900", device="PC-07", branch="GZ-001")
DAY = NOW.date()
NAME = "王小明"
MOBILE = "13912345678"
ADDRESS = "广州市天河区体育西路 1 号"


def review(store: LocalStore, **kwargs) -> AuditReview:
    reader = JournalReader(store.audit, store.keys)
    return AuditReview(store.audit, reader, SUPERVISOR, clock=lambda: NOW, **kwargs)


def identity(serial: int):
    return parse_identity(holder(serial), today=DAY)


def day_of_work(store: LocalStore) -> None:
    """What a day leaves in the journal: a real data change at the counter (its payload holds
    the new mobile and address), queries of two holders, a reveal of a name, a typed reason."""
    store.card_cache.put(card_in_use(holder(1)))
    counter = Counter(
        store, Desk("T001", Role.TELLER, Place.BRANCH, "GZ-001", "PC-07", "icbc"), clock=lambda: NOW
    )
    changed = counter.take(
        identity(1), ChangeContact(mobile=MOBILE, address=ADDRESS), why="data_change:contact"
    )
    assert changed.accepted, changed
    for serial, actor, at in ((1, "T001", "2025-03-13T17:00:00.000Z"), (2, "T002", None)):
        store.audit.record(
            "counter.query",
            actor=actor,
            holder_id=holder(serial),
            reason="holder_enquiry",
            device="PC-07",
            branch="GZ-001",
            detail={"note": f"{NAME} asked by phone {MOBILE}"},
            at=at,
        )
    store.audit.record(
        "counter.new_card_typed",
        actor="T002",
        holder_id=holder(2),
        reason=f"{NAME}'s card chip is unreadable",  # typed by a person
        device="PC-07",
        branch="GZ-001",
        detail={"card_number": "X00000019", "name": NAME},
        at="2025-03-12T03:00:00.000Z",  # 12 March, 11:00 in Guangzhou
    )


def test_search_filters_by_staff_action_and_days_of_the_counter(store: LocalStore) -> None:
    day_of_work(store)
    journal = review(store)
    everything = journal.search(Search())
    assert [row.n for row in everything.rows] == sorted(
        (row.n for row in everything.rows), reverse=True
    )
    assert everything.audit_n is None  # no holder searched: nothing recorded
    assert {row.actor for row in journal.search(Search(actor="t002")).rows} == {"T002"}
    queries = journal.search(Search(action="counter.query")).rows
    assert [row.actor for row in queries] == ["T002", "T001"]
    # 17:00 UTC on the 13th is 01:00 on the 14th in Guangzhou: the 14th's entries hold it
    on_the_14th = journal.search(Search(period=Period(DAY, DAY))).rows
    assert "T001" in {row.actor for row in on_the_14th if row.action == "counter.query"}
    on_the_12th = journal.search(Search(period=Period(DAY.replace(day=12), DAY.replace(day=12))))
    assert [row.action for row in on_the_12th.rows] == ["counter.new_card_typed"]
    assert "counter.query" in journal.actions()
    with pytest.raises(ReviewRefused) as refused:
        journal.search(Search(period=Period(DAY, DAY.replace(day=1))))
    assert refused.value.key == "audit_review.refused.period_backwards"


def test_a_holder_is_found_by_the_keyed_hash_of_the_typed_number_and_the_search_is_audited(
    store: LocalStore,
) -> None:
    day_of_work(store)
    journal = review(store)
    before = store.audit.head
    with pytest.raises(ReviewRefused) as refused:
        journal.search(Search(holder=identity(2)))  # no purpose
    assert refused.value.key == "audit_review.refused.purpose_required"
    assert store.audit.head == before  # nothing searched, nothing recorded

    found = journal.search(
        Search(holder=identity(2), purpose=LookupPurpose.HOLDER_ENQUIRY, note="complaint 7")
    )
    assert found.audit_n == before + 1
    assert {row.action for row in found.rows} == {
        HOLDER_SEARCHED,  # the search itself is about the holder, and comes first
        "counter.query",
        "counter.new_card_typed",
    }
    assert found.rows[0].n == found.audit_n
    assert {row.holder for row in found.rows} == {"440106********0021"}
    assert holder(2) not in repr(found) and NAME not in repr(found)
    # the reason a member of staff typed is what a supervisor reviews: shown, never in a repr
    assert f"{NAME}'s card chip is unreadable" in {row.reason for row in found.rows}
    assert not any("note" in row.refs or "name" in row.refs for row in found.rows)
    entry = store.audit.entries(limit=1)[0]
    assert (entry.action, entry.actor, entry.reason) == (HOLDER_SEARCHED, "S900", "holder_enquiry")
    assert entry.subject == store.keys.pseudonym(holder(2))
    assert entry.detail == {"note": "complaint 7"}
    assert holder(2) not in Path(store.audit.files()[-1]).read_text("utf-8")


def test_the_export_holds_keyed_hashes_and_references_only_and_is_audited(
    store: LocalStore, tmp_path: Path
) -> None:
    day_of_work(store)
    done = review(store).export(Period(DAY.replace(day=1), DAY), tmp_path / "inspector")
    data = done.path.read_bytes()
    assert done.path.name == "audit-PC-07-2025-03-01-2025-03-14.jsonl"
    assert hashlib.sha256(data).hexdigest() == done.sha256
    text = data.decode("utf-8")
    for personal in (holder(1), holder(2), "0106199001010", NAME, MOBILE, ADDRESS, "体育西路"):
        assert personal not in text
    header, *lines = [orjson.loads(line) for line in data.splitlines()]
    assert header["entries"] == len(lines) == done.entries == 4
    assert (header["first"], header["last"], header["exported_by"]) == (
        "2025-03-01",
        "2025-03-14",
        "S900",
    )
    assert [line["n"] for line in lines] == sorted(line["n"] for line in lines)
    subjects = {line["subject"] for line in lines}
    assert subjects == {store.keys.pseudonym(holder(1)), store.keys.pseudonym(holder(2))}
    change = next(line for line in lines if line["action"] == "counter.change_contact")
    assert change["refs"]["kind"] == "change_contact" and "command" not in change["refs"]
    assert change["reason"] == "data_change:contact"
    typed = next(line for line in lines if line["action"] == "counter.new_card_typed")
    assert typed["reason_typed"] is True and "reason" not in typed

    entry = store.audit.entries(limit=1)[0]
    assert (entry.n, entry.action, entry.actor, entry.subject) == (
        done.audit_n,
        EXPORTED,
        "S900",
        None,
    )
    assert entry.detail == {
        "first": "2025-03-01",
        "last": "2025-03-14",
        "entries": 4,
        "sha256": done.sha256,
        "file": str(done.path),
    }
    again = review(store).export(Period(DAY.replace(day=1), DAY), tmp_path / "inspector")
    assert again.path.name == "audit-PC-07-2025-03-01-2025-03-14-2.jsonl"  # never overwritten
    assert again.entries == 5  # the first export's entry is in the period now


def test_an_export_needs_its_period_and_a_failed_write_is_audited(
    store: LocalStore, tmp_path: Path
) -> None:
    day_of_work(store)
    with pytest.raises(ReviewRefused) as refused:
        review(store).export(Period(None, DAY), tmp_path / "out")
    assert refused.value.key == "audit_review.refused.period_required"

    def full_disk(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        review(store, write=full_disk).export(Period(DAY, DAY), tmp_path / "out")
    exported, failed = store.audit.entries(limit=2)
    assert (exported.action, failed.action) == (EXPORTED, EXPORT_FAILED)
    assert failed.detail["export_n"] == exported.n
    assert failed.detail["sha256"] == exported.detail["sha256"]
    assert list((tmp_path / "out").iterdir()) == []


def test_verify_says_where_the_chain_breaks(store: LocalStore) -> None:
    day_of_work(store)
    assert review(store).verify().ok
    path = store.audit.files()[-1]
    lines = path.read_bytes().split(b"\n")
    second = orjson.loads(lines[2])  # the header, then entry 1, then entry 2
    second["actor"] = "T999"  # someone without the key rewrites who did it
    lines[2] = orjson.dumps(second)
    path.write_bytes(b"\n".join(lines))
    check = review(store).verify()
    assert not check.ok
    assert (check.first_bad, check.problem, check.checked, check.file) == (
        second["n"],
        "changed",
        second["n"] - 1,
        path.name,
    )


def test_period_bounds_are_the_counters_midnights() -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    since, until = Period(DAY, DAY).bounds(tz)
    assert since is not None and until is not None
    assert since.astimezone(dt.UTC).isoformat() == "2025-03-13T16:00:00+00:00"
    assert until - since == dt.timedelta(days=1)
    assert Period().bounds(tz) == (None, None)
