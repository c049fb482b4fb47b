"""The day's list and the end of the day: what one teller accepted today, where each request
stands, and the summary a supervisor confirms.

The list comes from the audit journal (each accepted request's `counter.<kind>` entry: who, when,
the command, the fee, the outbox id) joined with the outbox (live file or archive) for the status
and the holder's masked number. Statuses are worded for the counter:

    pending -> queued, sending -> sent, accepted | merged -> applied, rejected -> refused,
    conflict -> conflict, and once a supervisor has resolved it on this device -> upheld or
    corrected (the journal's `supervisor.resolve_conflict` entry, found by the holder's keyed hash)

A search by holder never decrypts everything: the typed ID number is turned into the journal's
keyed hash (`audit.entries(holder_id=...)` compares it before opening any entry) and the list is
filtered by the outbox ids found. A search by reference matches the reference's text.

The receipt of any row can be made again (`receipt`): from the receipt recorded when it was
printed or saved (`receipt.printed`/`receipt.saved` entries keep its data), else rebuilt from the
acceptance's own entry (the due date from the acceptance day on the same calendar). The end of
the day (`close_day`) is confirmed by a supervisor whose password the screen checked
(`services.counter.verify_approver`), and audited (`day.closed`) with the summary's figures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from branch_app.domain.vocabulary import ConflictDecision, OutboxStatus, Role
from branch_app.services.receipt import Receipt, service_of

if TYPE_CHECKING:
    from branch_app.services.counter import Desk
    from branch_app.services.ports import Clock, Store
    from branch_app.store.audit import AuditEntry
    from branch_app.store.outbox import OutboxItem

#: The audit actions this module writes.
RECEIPT_PRINTED = "receipt.printed"
RECEIPT_SAVED = "receipt.saved"
DAY_CLOSED = "day.closed"


class DayStatus(StrEnum):
    """Where a request of the day stands, as the counter says it."""

    QUEUED = "queued"
    SENT = "sent"
    APPLIED = "applied"
    REFUSED = "refused"
    CONFLICT = "conflict"
    UPHELD = "upheld"  # a conflict the supervisor closed: the central's record stands
    CORRECTED = "corrected"  # a conflict the supervisor closed with a correcting request


STATUS_OF: Mapping[str, DayStatus] = {
    OutboxStatus.PENDING: DayStatus.QUEUED,
    OutboxStatus.SENDING: DayStatus.SENT,
    OutboxStatus.ACCEPTED: DayStatus.APPLIED,
    OutboxStatus.MERGED: DayStatus.APPLIED,
    OutboxStatus.REJECTED: DayStatus.REFUSED,
    OutboxStatus.CONFLICT: DayStatus.CONFLICT,
}
#: Not answered by the central yet.
UNSENT_DAY = frozenset({DayStatus.QUEUED, DayStatus.SENT})
#: Answered, but not taken (also once a supervisor has decided what happens instead).
REFUSED_DAY = frozenset(
    {DayStatus.REFUSED, DayStatus.CONFLICT, DayStatus.UPHELD, DayStatus.CORRECTED}
)
#: The journal's entry of a supervisor's decision on a conflict (`services.supervisor.resolve`).
RESOLVED_CONFLICT = "supervisor.resolve_conflict"
DECIDED: Mapping[str, DayStatus] = {
    ConflictDecision.UPHELD: DayStatus.UPHELD,
    ConflictDecision.CORRECTED: DayStatus.CORRECTED,
}


def reference_of(outbox_id: str, seq: int) -> str:
    """What the teller read to the holder (as `Accepted.reference`)."""
    return f"{seq}-{outbox_id[:8].upper()}"


@dataclass(frozen=True)
class DayRow:
    """One request of the day."""

    outbox_id: str
    reference: str
    service: str  # receipt.service.<code>
    holder_masked: str
    status: DayStatus
    made_at: dt.datetime  # local
    fee_yuan: int
    teller: str


@dataclass(frozen=True)
class DaySummary:
    """The end-of-day figures of one teller's day."""

    day: dt.date
    teller: str
    total: int
    by_service: Mapping[str, int]
    fees_yuan: int
    unsent: tuple[str, ...]  # references
    refused: tuple[str, ...]  # references
    by_status: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "teller": self.teller,
            "total": self.total,
            "by_service": dict(self.by_service),
            "by_status": dict(self.by_status),
            "fees_yuan": self.fees_yuan,
            "unsent": list(self.unsent),
            "refused": list(self.refused),
        }


def summarise(rows: Sequence[DayRow], day: dt.date, teller: str) -> DaySummary:
    """Counts by service and status, the fees taken in cash, what is unsent or refused. The
    summary names the tellers whose requests it sums up (`teller`, the desk's member of staff,
    when there are none: a supervisor's list holds the tellers' requests, not their own)."""
    tellers = sorted({row.teller for row in rows})
    by_service = Tally(row.service for row in rows)
    by_status = Tally(row.status.value for row in rows)
    return DaySummary(
        day=day,
        teller=", ".join(tellers) if tellers else teller,
        total=len(rows),
        by_service=dict(sorted(by_service.items())),
        fees_yuan=sum(row.fee_yuan for row in rows),
        unsent=tuple(row.reference for row in rows if row.status in UNSENT_DAY),
        refused=tuple(row.reference for row in rows if row.status in REFUSED_DAY),
        by_status=dict(sorted(by_status.items())),
    )


def _fee_reason(command: Mapping[str, Any], fee_yuan: int) -> str:
    """The fee's reason as admission decided it, read back from the command and the amount."""
    if command.get("kind") != "apply":
        return "not_charged_service"
    application = command.get("application")
    if application == "first":
        return "first_application"
    if application == "replacement":
        return "replacement"
    if command.get("exchange_reason") == "quality_problem":
        return (
            "quality_problem_within_one_year" if fee_yuan == 0 else "quality_problem_after_one_year"
        )
    return "exchange"


class DayBook:
    """The day's list, receipts again, and the end of the day for one desk."""

    def __init__(
        self,
        store: Store,
        desk: Desk,
        *,
        clock: Clock,
        calendar_overrides: Mapping[dt.date, bool] | None = None,
    ) -> None:
        self.store = store
        self.desk = desk
        self.clock = clock
        self.calendar_overrides = calendar_overrides
        self._final: dict[str, OutboxItem] = {}  # answered for good: never read again
        self._decided: dict[str, DayStatus] = {}  # resolved by a supervisor: for good too

    def today(self) -> dt.date:
        return self.clock().date()

    def _local(self, at: str) -> dt.datetime:
        moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        return moment.astimezone(self.clock().tzinfo)

    def _accepted_entries(self, day: dt.date, everyone: bool) -> list[AuditEntry]:
        found: list[AuditEntry] = []
        for entry in self.store.audit.entries():
            if not entry.action.startswith("counter.") or "outbox_id" not in entry.detail:
                continue
            if not everyone and entry.actor != self.desk.staff_id:
                continue
            if self._local(entry.at).date() == day:
                found.append(entry)
        return found

    def _item(self, outbox_id: str, live: Mapping[str, OutboxItem]) -> OutboxItem | None:
        item = live.get(outbox_id) or self._final.get(outbox_id)
        if item is not None:
            return item
        from branch_app.store.errors import UnknownItem

        try:
            item = self.store.outbox.get(outbox_id)
        except UnknownItem:
            return None
        if item.finished:
            self._final[outbox_id] = item
        return item

    def _status(self, item: OutboxItem) -> DayStatus:
        """The item's status in the counter's words; a conflict a supervisor resolved on this
        device says the decision (the teller sees how it ended, not only that it conflicted)."""
        status = STATUS_OF.get(item.status, DayStatus.QUEUED)
        if status is not DayStatus.CONFLICT:
            return status
        decided = self._decided.get(item.id)
        if decided is None:
            for entry in self.store.audit.entries(holder_id=item.holder_id):
                if entry.action == RESOLVED_CONFLICT and entry.detail.get("command_id") == item.id:
                    decided = DECIDED.get(str(entry.detail.get("decision")))
            if decided is not None:
                self._decided[item.id] = decided
        return decided or status

    def sees_everyone(self) -> bool:
        """A supervisor's list is the device's day (every teller's), so a supervisor who logs in
        after a teller (a shift change, the switch-user path) sees and sums up that day."""
        return self.desk.role is Role.SUPERVISOR

    def rows(self, day: dt.date | None = None, *, everyone: bool | None = None) -> list[DayRow]:
        """This teller's requests of `day` (today), oldest first; `everyone`: the device's
        (by default for a supervisor)."""
        from branch_app.domain.identity import mask_identity

        day = day or self.today()
        everyone = self.sees_everyone() if everyone is None else everyone
        live = {item.id: item for item in self.store.outbox.items()}
        rows: list[DayRow] = []
        for entry in self._accepted_entries(day, everyone):
            outbox_id = str(entry.detail["outbox_id"])
            item = self._item(outbox_id, live)
            if item is None:
                continue
            command = entry.detail.get("command", {})
            rows.append(
                DayRow(
                    outbox_id=outbox_id,
                    reference=reference_of(outbox_id, item.seq),
                    service=service_of(command),
                    holder_masked=mask_identity(item.holder_id),
                    status=self._status(item),
                    made_at=self._local(entry.at),
                    fee_yuan=int(entry.detail.get("fee_yuan", 0) or 0),
                    teller=entry.actor,
                )
            )
        return rows

    def refresh(self, rows: Iterable[DayRow]) -> list[DayRow]:
        """The same rows with their statuses read again (what the sync changed)."""
        live = {item.id: item for item in self.store.outbox.items()}
        fresh: list[DayRow] = []
        for row in rows:
            item = self._item(row.outbox_id, live)
            status = self._status(item) if item is not None else row.status
            fresh.append(row if status is row.status else _with_status(row, status))
        return fresh

    def search(self, rows: Sequence[DayRow], text: str) -> list[DayRow]:
        """Rows whose reference holds `text`, or whose holder is the typed ID number (matched by
        the journal's keyed hash: no other entry is opened)."""
        query = text.strip().upper()
        if not query:
            return list(rows)
        by_reference = [row for row in rows if query in row.reference]
        if by_reference:
            return by_reference
        ids = {
            str(entry.detail.get("outbox_id"))
            for entry in self.store.audit.entries(holder_id=query)
        }
        return [row for row in rows if row.outbox_id in ids]

    # -- receipts -----------------------------------------------------------------------------

    def receipt(self, outbox_id: str) -> Receipt | None:
        """The receipt of one accepted request: as recorded when it was last printed or saved,
        else rebuilt from the acceptance's audit entry; `None` for an unknown request."""
        from branch_app.domain.identity import mask_identity

        kept: Receipt | None = None
        accepted: AuditEntry | None = None
        for entry in self.store.audit.entries():
            if entry.detail.get("outbox_id") != outbox_id:
                continue
            if entry.action in (RECEIPT_PRINTED, RECEIPT_SAVED) and "receipt" in entry.detail:
                kept = Receipt.from_dict(entry.detail["receipt"])
            elif entry.action.startswith("counter."):
                accepted = entry
        if kept is not None:
            return kept
        if accepted is None:
            return None
        item = self._item(outbox_id, {})
        if item is None:
            return None
        return self._rebuilt(
            accepted, reference_of(outbox_id, item.seq), mask_identity(item.holder_id)
        )

    def _rebuilt(self, entry: AuditEntry, reference: str, masked: str) -> Receipt:
        from branch_app.domain.workdays import CANCELLATION_WORKING_DAYS, due_date

        command: Mapping[str, Any] = entry.detail.get("command", {})
        fee = int(entry.detail.get("fee_yuan", 0) or 0)
        made_at = self._local(entry.at)
        instant = command.get("kind") == "apply" and command.get("speed") == "instant"
        due = None
        accepted_on = command.get("accepted_on")
        if command.get("kind") == "apply" and not instant and isinstance(accepted_on, str):
            due = due_date(dt.date.fromisoformat(accepted_on), overrides=self.calendar_overrides)
        cancelled_by = None
        if command.get("kind") == "cancel":
            cancelled_by = due_date(
                made_at.date(), CANCELLATION_WORKING_DAYS, overrides=self.calendar_overrides
            ).date
        return Receipt(
            reference=reference,
            outbox_id=str(entry.detail["outbox_id"]),
            service=service_of(command),
            holder_masked=masked,
            fee_yuan=fee,
            fee_reason=_fee_reason(command, fee),
            due=due.date if due is not None else None,
            due_provisional=bool(due and due.provisional),
            instant=instant,
            branch=entry.branch,
            teller=entry.actor,
            made_at=made_at,
            cancelled_by=cancelled_by,
        )

    def record_receipt(self, receipt: Receipt, *, printed: bool, where: str = "") -> None:
        """Audit that a receipt was printed (`where`: the printer's job) or saved (the file)."""
        self.store.audit.record(
            RECEIPT_PRINTED if printed else RECEIPT_SAVED,
            actor=self.desk.staff_id,
            reason="receipt",
            device=self.desk.device,
            branch=self.desk.branch,
            detail={"outbox_id": receipt.outbox_id, "receipt": receipt.to_dict(), "where": where},
        )

    # -- the end of the day -------------------------------------------------------------------

    def summary(self, day: dt.date | None = None) -> DaySummary:
        day = day or self.today()
        return summarise(self.rows(day), day, self.desk.staff_id)

    def close_day(self, summary: DaySummary, *, supervisor: str, verified: bool) -> int:
        """The supervisor confirmed the day's summary: audited (`day.closed`); the entry's n."""
        entry = self.store.audit.record(
            DAY_CLOSED,
            actor=self.desk.staff_id,
            reason="end_of_day",
            device=self.desk.device,
            branch=self.desk.branch,
            detail={
                **summary.to_dict(),
                "confirmed_by": supervisor,
                "confirmation_verified": verified,
            },
        )
        return entry.n


def _with_status(row: DayRow, status: DayStatus) -> DayRow:
    from dataclasses import replace

    return replace(row, status=status)


def summary_lines(summary: DaySummary, language: str) -> list[tuple[str, str]]:
    """The summary as (label, value) rows in one language (screen and PDF)."""
    from branch_app.i18n import t

    rows = [
        (t("day.summary.day", language), summary.day.isoformat()),
        (t("day.summary.teller", language), summary.teller),
        (t("day.summary.total", language), str(summary.total)),
    ]
    for service, count in summary.by_service.items():
        rows.append((t(f"receipt.service.{service}", language), str(count)))
    rows.append(
        (
            t("day.summary.fees", language),
            t("receipt.fee_amount", language, amount=summary.fees_yuan),
        )
    )
    rows.append(
        (
            t("day.summary.unsent", language),
            ", ".join(summary.unsent) or t("receipt.none", language),
        )
    )
    rows.append(
        (
            t("day.summary.refused", language),
            ", ".join(summary.refused) or t("receipt.none", language),
        )
    )
    return rows
