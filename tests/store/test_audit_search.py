"""The journal's reader for searches: filters on the fields in clear, newest first, reads only the
months that can hold the period, and decrypts only the entries it returns."""

from __future__ import annotations

from datetime import UTC, datetime

from branch_app.store import LocalStore
from branch_app.store.audit_search import AuditQuery, JournalReader

from .conftest import StepClock

HOLDER = "440106199001010013"
OTHER = "440106199001010021"


def reader(store: LocalStore) -> JournalReader:
    return JournalReader(store.audit, store.keys)


def journal_of_three_months(store: LocalStore) -> None:
    """Two entries in each of January, February and March 2026, by two tellers."""
    for month in (1, 2, 3):
        for day, actor, holder in ((3, "T001", HOLDER), (20, "T002", OTHER)):
            store.audit.record(
                "counter.query" if actor == "T001" else "counter.apply",
                actor=actor,
                holder_id=holder,
                reason="holder_enquiry",
                detail={"note": f"m{month}"},
                at=f"2026-{month:02d}-{day:02d}T02:00:00.000Z",
            )


def test_filters_by_holder_hash_staff_action_and_period_newest_first(store: LocalStore) -> None:
    journal_of_three_months(store)
    find = reader(store).find
    by_holder = find(AuditQuery(subject=reader(store).pseudonym(HOLDER))).entries
    assert [e.at[:10] for e in by_holder] == ["2026-03-03", "2026-02-03", "2026-01-03"]
    assert {e.subject for e in by_holder} == {store.keys.pseudonym(HOLDER)}
    assert [e.detail["note"] for e in by_holder] == ["m3", "m2", "m1"]  # decrypted
    assert [e.actor for e in find(AuditQuery(actor="t002")).entries] == ["T002"] * 3
    assert len(find(AuditQuery(action="counter.query")).entries) == 3
    february = AuditQuery(
        since=datetime(2026, 2, 1, tzinfo=UTC), until=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert [e.at[:10] for e in find(february).entries] == ["2026-02-20", "2026-02-03"]
    newest = find(AuditQuery(limit=2))
    assert [e.n for e in newest.entries] == [6, 5] and newest.more
    assert not find(AuditQuery(limit=6)).more
    assert reader(store).actions() == ["counter.apply", "counter.query"]


def test_a_period_reads_only_its_months_and_decrypts_only_what_it_returns(
    store: LocalStore, monkeypatch
) -> None:
    journal_of_three_months(store)
    search = reader(store)
    read: list[str] = []
    import branch_app.store.audit_search as module

    real_read = module.read_month
    monkeypatch.setattr(
        module, "read_month", lambda path, strict: read.append(path.name) or real_read(path)
    )
    decrypted: list[str] = []
    real_decrypt = store.keys.decrypt
    monkeypatch.setattr(
        store.keys,
        "decrypt",
        lambda blob, context: decrypted.append(context) or real_decrypt(blob, context),
    )
    found = search.find(
        AuditQuery(since=datetime(2026, 2, 10, tzinfo=UTC), actor="T002", limit=10)
    ).entries
    assert [e.n for e in found] == [6, 4]
    assert read == ["audit-2026-03.jsonl", "audit-2026-02.jsonl"]  # January is never read
    assert decrypted == ["audit:6:body", "audit:4:body"]


def test_an_entry_written_after_the_clock_went_back_is_still_found(
    store: LocalStore, clock: StepClock
) -> None:
    store.audit.record("counter.query", actor="T001", at="2026-03-02T00:00:00.000Z")
    # the clock went back to February: the journal stays in its March file
    store.audit.record("counter.query", actor="T009", at="2026-02-27T00:00:00.000Z")
    assert store.audit.months() == ["2026-03"]
    found = reader(store).find(AuditQuery(since=datetime(2026, 2, 27, tzinfo=UTC), actor="T009"))
    assert [e.n for e in found.entries] == [2]


def test_a_line_being_appended_is_left_out(store: LocalStore) -> None:
    store.audit.record("counter.query", actor="T001")
    path = store.audit.files()[-1]
    with path.open("ab") as file:
        file.write(b'{"n": 2, "at": "20')  # an append caught half-way
    found = reader(store).find(AuditQuery())
    assert [e.n for e in found.entries] == [1]
