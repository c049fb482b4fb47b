"""A home-visit laptop's limits and the supervisor's approval of its batch (issue 13).

A home-visit laptop works a day offline. To protect the holders whose requests it carries, the
branch sets two limits at the central (`central branch-limits`), which reach the device with its
configuration (sealed in its sync state, never a file its user edits):

- at most `max_unsent` requests in the **open batch**: the requests taken since the supervisor
  last approved this device's batch (the approval mark is an outbox sequence number);
- none once `max_offline_hours` have passed since the last successful sync.

Beyond either, the counter refuses a new request (`offline_limit_refusal`, pure) with one
sentence: sync, then ask the supervisor to approve the day's batch. Back at the branch, after a
sync, the supervisor reviews the batch (`VisitBatch.review`: each request, its status and what
the central answered, whether its receipt was printed or saved) and approves it
(`VisitBatch.approve`): refused while any request is unsent; audited
(`home_visit.batch_approved`, with the counts and the sequence range); the mark moves to the last
request reviewed, so the limit opens again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from branch_app.domain.vocabulary import CounterRefusal, Place, Role
from branch_app.services.day import (
    DECIDED,
    RECEIPT_PRINTED,
    RECEIPT_SAVED,
    REFUSED_DAY,
    RESOLVED_CONFLICT,
    STATUS_OF,
    UNSENT_DAY,
    DayStatus,
    reference_of,
)
from branch_app.services.receipt import service_of

if TYPE_CHECKING:
    from branch_app.services.counter import Approval, Desk, Refusal
    from branch_app.services.ports import Clock, OfflineAllowance, Store
    from branch_app.store.outbox import OutboxItem
    from sync.protocol import OfflineLimits

#: The audit action of an approval.
BATCH_APPROVED = "home_visit.batch_approved"


def offline_limit_refusal(
    place: Place,
    limits: OfflineLimits,
    *,
    batch_open: int,
    last_sync: dt.datetime | None,
    now: dt.datetime,
) -> CounterRefusal | None:
    """Why a new request may not be taken on this device now, or None.

    Only a home-visit device is limited. Its open batch already holding `max_unsent` requests
    refuses the next one; so does a last successful sync `max_offline_hours` ago or more, or
    none at all (a device that never synced since it learnt its limits)."""
    if place is not Place.HOME_VISIT:
        return None
    if batch_open >= limits.max_unsent:
        return CounterRefusal.HOME_VISIT_BATCH_FULL
    if last_sync is None or now - last_sync >= dt.timedelta(hours=limits.max_offline_hours):
        return CounterRefusal.HOME_VISIT_SYNC_OVERDUE
    return None


def limit_params(limits: OfflineLimits) -> dict[str, str | int]:
    """The refusal sentence's parameters."""
    return {"max_unsent": limits.max_unsent, "hours": limits.max_offline_hours}


@dataclass(frozen=True)
class BatchRow:
    """One request of the open batch, as the supervisor reviews it."""

    outbox_id: str
    seq: int
    reference: str
    service: str  # receipt.service.<code>
    holder_masked: str
    status: DayStatus
    #: What the central answered beyond the status: the reason code of a refusal or conflict.
    reason: str | None
    #: `printed`, `saved`, or None when the receipt was neither (as far as this device knows).
    receipt: str | None
    made_at: str
    maker: str


@dataclass(frozen=True)
class BatchReview:
    """The open batch: requests after `approved_through` up to `through` (outbox seqs)."""

    rows: tuple[BatchRow, ...]
    approved_through: int
    through: int
    limits: OfflineLimits
    last_sync: dt.datetime | None

    @property
    def unsent(self) -> tuple[str, ...]:
        return tuple(row.reference for row in self.rows if row.status in UNSENT_DAY)

    @property
    def can_approve(self) -> bool:
        """Something to approve and every request answered by the central."""
        return self.through > self.approved_through and not self.unsent

    def counts(self) -> dict[str, int]:
        """The figures the approval's audit entry keeps."""
        by_status = Tally(row.status.value for row in self.rows)
        return {
            "requests": len(self.rows),
            "applied": by_status.get(DayStatus.APPLIED.value, 0),
            "refused": sum(1 for row in self.rows if row.status in REFUSED_DAY),
            "receipts": sum(1 for row in self.rows if row.receipt is not None),
        }


@dataclass(frozen=True)
class BatchApproved:
    """The approval is audited and the mark moved: the limit is open again."""

    audit_n: int
    from_seq: int
    through_seq: int
    requests: int

    @property
    def accepted(self) -> bool:
        return True


class VisitBatch:
    """The review and approval of one home-visit device's batch (no Textual)."""

    def __init__(
        self, store: Store, allowance: OfflineAllowance, desk: Desk, *, clock: Clock
    ) -> None:
        self.store = store
        self.allowance = allowance
        self.desk = desk
        self.clock = clock

    def review(self) -> BatchReview:
        """The open batch as it stands now, oldest first."""
        mark = self.allowance.approved_through()
        through = mark + self.allowance.batch_open()
        return BatchReview(
            rows=tuple(self._rows(mark, through)),
            approved_through=mark,
            through=through,
            limits=self.allowance.offline_limits(),
            last_sync=self.allowance.last_successful_sync(),
        )

    def _rows(self, mark: int, through: int) -> list[BatchRow]:
        from branch_app.domain.identity import mask_identity
        from branch_app.store.errors import UnknownItem

        if through <= mark:
            return []
        made: dict[str, Mapping[str, Any]] = {}
        receipts: dict[str, str] = {}
        decided: dict[str, DayStatus] = {}  # a conflict a supervisor resolved: how it ended
        for entry in self.store.audit.entries():
            if entry.action == RESOLVED_CONFLICT:
                command_id = entry.detail.get("command_id")
                decision = DECIDED.get(str(entry.detail.get("decision")))
                if isinstance(command_id, str) and decision is not None:
                    decided[command_id] = decision
                continue
            outbox_id = entry.detail.get("outbox_id")
            if not isinstance(outbox_id, str):
                continue
            if entry.action.startswith("counter.") and "command" in entry.detail:
                made[outbox_id] = entry.detail["command"]
            elif entry.action == RECEIPT_PRINTED:
                receipts[outbox_id] = "printed"
            elif entry.action == RECEIPT_SAVED:
                receipts.setdefault(outbox_id, "saved")
        items: dict[str, OutboxItem] = {
            item.id: item for item in self.store.outbox.items() if mark < item.seq <= through
        }
        for outbox_id in made.keys() - items.keys():
            try:
                item = self.store.outbox.get(outbox_id)  # answered and archived
            except UnknownItem:
                continue
            if mark < item.seq <= through:
                items[outbox_id] = item
        rows = [
            BatchRow(
                outbox_id=item.id,
                seq=item.seq,
                reference=reference_of(item.id, item.seq),
                service=service_of(made.get(item.id, item.payload)),
                holder_masked=mask_identity(item.holder_id),
                status=_status(item, decided),
                reason=_reason(item),
                receipt=receipts.get(item.id),
                made_at=item.made_at,
                maker=item.actor,
            )
            for item in items.values()
        ]
        return sorted(rows, key=lambda row: row.seq)

    def approve(
        self, review: BatchReview, approval: Approval | None = None
    ) -> BatchApproved | Refusal:
        """Approve the reviewed batch: by the supervisor signed in, or the one whose password
        was checked (`approval`, from `services.counter.approve`). Refused while a request of it
        is unsent (read again now, not trusted from the review) and with nothing to approve.
        Audited; the mark moves to the last request reviewed (a request taken since waits)."""
        from branch_app.services.counter import Refusal

        if self.desk.role is Role.SUPERVISOR:
            supervisor, verified = self.desk.staff_id, True
        elif approval is not None:
            supervisor, verified = approval.staff_id, True
        else:
            return Refusal.of_counter(CounterRefusal.APPROVER_NOT_VERIFIED)
        if review.through <= review.approved_through:
            return Refusal.of_counter(CounterRefusal.HOME_VISIT_BATCH_EMPTY)
        fresh = self._rows(review.approved_through, review.through)
        unsent = [row.reference for row in fresh if row.status in UNSENT_DAY]
        if unsent:
            return Refusal.of_counter(
                CounterRefusal.HOME_VISIT_BATCH_UNSENT,
                count=len(unsent),
                first=", ".join(unsent[:3]),
            )
        now = self.clock()
        counted = BatchReview(
            rows=tuple(fresh),
            approved_through=review.approved_through,
            through=review.through,
            limits=review.limits,
            last_sync=review.last_sync,
        ).counts()
        entry = self.store.audit.record(
            BATCH_APPROVED,
            actor=self.desk.staff_id,
            reason="home_visit",
            device=self.desk.device,
            branch=self.desk.branch,
            detail={
                **counted,
                "from_seq": review.approved_through + 1,
                "through_seq": review.through,
                "approved_by": supervisor,
                "approval_verified": verified,
            },
        )
        self.allowance.approve_batch(review.through, now)
        return BatchApproved(
            audit_n=entry.n,
            from_seq=review.approved_through + 1,
            through_seq=review.through,
            requests=counted["requests"],
        )


def _reason(item: OutboxItem) -> str | None:
    """The central's reason for a refusal or conflict (a code), else None."""
    result = item.result or {}
    reason = result.get("reason")
    return str(reason) if reason else None


def _status(item: OutboxItem, decided: Mapping[str, DayStatus]) -> DayStatus:
    """As the day list says it: a conflict the supervisor resolved says the decision."""
    status = STATUS_OF.get(item.status, DayStatus.QUEUED)
    if status is DayStatus.CONFLICT:
        return decided.get(item.id, status)
    return status


def status_counts(rows: Sequence[BatchRow]) -> dict[str, int]:
    """Requests per status (the screen's summary line)."""
    return dict(Tally(row.status.value for row in rows))
