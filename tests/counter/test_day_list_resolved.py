"""The day's list says how a conflict ended once a supervisor resolved it on this device: upheld
or corrected, not "conflict" for ever (found by the tmux lost-card story: the teller could not
see the outcome of the unlock the supervisor had corrected)."""

from __future__ import annotations

from branch_app.domain.vocabulary import OutboxStatus
from branch_app.i18n import t
from branch_app.services.day import RESOLVED_CONFLICT, DayBook, DayStatus, summarise
from branch_app.store import LocalStore

from .conftest import NOW, desk
from .test_day_list import a_day, answer


def resolved(store: LocalStore, item_id: str, decision: str) -> None:
    """As `services.supervisor.resolve` records it: the journal, then the item closed."""
    item = store.outbox.get(item_id)
    store.audit.record(
        RESOLVED_CONFLICT,
        actor="S001",
        holder_id=item.holder_id,
        reason=decision,
        device=item.device,
        branch=item.branch,
        detail={"conflict_id": 7, "command_id": item_id, "decision": decision},
    )
    store.outbox.close_quarantined([item_id], actor="S001", note=f"conflict 7 {decision}: note")


def test_a_resolved_conflict_says_the_supervisors_decision(store: LocalStore, adult) -> None:
    loss, replacement = a_day(store, adult)
    for accepted in (loss, replacement):
        answer(store, accepted.outbox_id, OutboxStatus.CONFLICT)
    book = DayBook(store, desk(), clock=lambda: NOW)
    rows = book.rows()
    assert [row.status for row in rows] == [DayStatus.CONFLICT, DayStatus.CONFLICT]

    resolved(store, loss.outbox_id, "corrected")
    resolved(store, replacement.outbox_id, "upheld")

    assert [row.status for row in book.refresh(rows)] == [DayStatus.CORRECTED, DayStatus.UPHELD]
    assert [row.status for row in DayBook(store, desk(), clock=lambda: NOW).rows()] == [
        DayStatus.CORRECTED,
        DayStatus.UPHELD,
    ]
    # Still counted as not taken at the end of the day: the request itself was refused.
    summary = summarise(book.refresh(rows), NOW.date(), "T001")
    assert summary.refused == (loss.reference, replacement.reference)
    assert "corrected" in t("day.status.corrected", language="en")
