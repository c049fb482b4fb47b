"""Home visits as an application service: plan the day's visits online, make them offline.

No Textual here; the screens (`ui/screens/visits.py`, `visit_plan.py`) call it from a worker.

- **Plan** (at the branch, online): each person's ID number is checked (`parse_identity`); the
  central is asked for their record, an audited lookup with the purpose `home_visit` (written to
  this device's journal first, then to the central's), and the record goes into the card cache,
  so every decision on the day rests on a fresh record. A person the central does not know is
  kept with that said (a first application needs no record). When the central cannot be asked,
  nothing is planned: planning without the record would send the member of staff out on an old
  one. The visit is written to the encrypted visit list (`store.visits`) and audited.
- **Start** a visit (at the home, offline): it is in progress from now, at the planned address
  unless another is recorded; the screen opens the customer session for the person, and the
  counter's screens take the requests (the counter admits them on the cached record).
- **Record** where (the address visited), and who else was present (a relative, a carer).
- **End** it: the requests taken during the visit are its outbox items for that person made
  since it started; their receipts are printed or saved by the screen and recorded here.
  A visit where nobody was at home ends as `not_at_home`.

`progress(day)` is `(planned, finished)`, as the device's state reports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from branch_app.domain.identity import (
    IdentityError,
    IdentityKind,
    IdentityNumber,
    parse_identity,
)
from branch_app.domain.lifecycle import CardRecord
from branch_app.domain.vocabulary import (
    CentralKnew,
    LookupPurpose,
    Place,
    Role,
    VisitNeed,
    VisitStatus,
)
from branch_app.services.counter import Refusal
from branch_app.services.receipt import service_of
from branch_app.store.visits import PresentPerson, Visit, VisitReceipt, VisitRequest

if TYPE_CHECKING:
    from branch_app.services.counter import CentralLookup, Desk
    from branch_app.services.ports import Clock, VisitStore

#: The audit actions this module writes.
VISIT_LOOKUP = "visit.lookup"
VISIT_PLANNED = "visit.planned"
VISIT_REMOVED = "visit.removed"
VISIT_STARTED = "visit.started"
VISIT_ENDED = "visit.ended"

#: Who may plan a day's visits.
PLANNERS = frozenset({Role.HOME_VISIT, Role.SUPERVISOR})
#: The longest free texts kept (name, address, why, who was present).
MAX_TEXT = 200


class VisitRefusal(StrEnum):
    """Why a visit is not planned, started or changed (catalog `visits.refusal.<code>`)."""

    NOT_A_PLANNER = "not_a_planner"
    NAME_REQUIRED = "name_required"
    ADDRESS_REQUIRED = "address_required"
    WHY_REQUIRED = "why_required"
    NO_CENTRAL = "no_central"
    ALREADY_PLANNED = "already_planned"
    UNKNOWN_VISIT = "unknown_visit"
    NOT_ON_A_HOME_VISIT = "not_on_a_home_visit"
    ANOTHER_IN_PROGRESS = "another_in_progress"
    ALREADY_FINISHED = "already_finished"
    NOT_IN_PROGRESS = "not_in_progress"
    PRESENT_INCOMPLETE = "present_incomplete"


def refusal(code: VisitRefusal, **params: str | int) -> Refusal:
    return Refusal(code.value, f"visits.refusal.{code.value}", params)


#: The counter service (`service_menu` id) each need opens for a person the central knows, and
#: for one it does not (a first application).
NEED_SERVICE: dict[VisitNeed, str] = {
    VisitNeed.APPLICATION: "apply_replacement",
    VisitNeed.LOSS_REPORT: "report_loss",
    VisitNeed.DATA_CHANGE: "data_change",
    VisitNeed.QUERY: "query",
}


def service_for(visit: Visit) -> str:
    """The counter service a visit's need opens (an application: a first one for a person the
    central does not know, else a replacement, whose screen offers the exchange too)."""
    if visit.need is VisitNeed.APPLICATION and visit.central is CentralKnew.NO_RECORD:
        return "apply_first"
    return NEED_SERVICE[visit.need]


def stamp(moment: dt.datetime) -> str:
    """A moment as the outbox writes `made_at` (UTC, milliseconds, Z), so the two compare."""
    if moment.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class PlannedPerson:
    """What the planner typed for one visit (checked by `Visits.plan`)."""

    holder: str
    name: str
    address: str
    need: VisitNeed
    why: str
    holder_kind: IdentityKind | None = None

    def __repr__(self) -> str:  # personal data: never in logs
        return f"PlannedPerson({self.need.value})"


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_TEXT]


class Visits:
    """The home visits of one desk (the member of staff on duty, on this device)."""

    def __init__(
        self,
        store: VisitStore,
        desk: Desk,
        *,
        clock: Clock,
        central_lookup: CentralLookup | None = None,
    ) -> None:
        self.store = store
        self.desk = desk
        self.clock = clock
        self.central_lookup = central_lookup

    def today(self) -> dt.date:
        return self.clock().date()

    def _audit(self, action: str, visit: Visit, reason: str, **detail: str | int) -> None:
        self.store.audit.record(
            action,
            actor=self.desk.staff_id,
            holder_id=visit.holder_id,
            reason=reason,
            device=self.desk.device,
            branch=self.desk.branch,
            detail={"visit": visit.ref, **detail},
        )

    # -- reading ---------------------------------------------------------------------------------
    def day(self, day: dt.date | None = None) -> list[Visit]:
        return list(self.store.visits.for_day(day or self.today()))

    def progress(self, day: dt.date | None = None) -> tuple[int, int]:
        """(planned, finished) for the day (today by default)."""
        return self.store.visits.progress(day or self.today())

    def holder(self, visit: Visit) -> IdentityNumber:
        """The visited person's checked number (for the customer session)."""
        kind = IdentityKind(visit.holder_kind) if visit.holder_kind else None
        return parse_identity(visit.holder_id, kind=kind, today=self.today())

    # -- planning (online) -------------------------------------------------------------------------
    def plan(self, person: PlannedPerson, day: dt.date | None = None) -> Visit | Refusal:
        """Check what was typed, fetch the person's record from the central (audited, purpose
        `home_visit`) into the card cache, and add the visit to the day's list."""
        day = day or self.today()
        if self.desk.role not in PLANNERS:
            return refusal(VisitRefusal.NOT_A_PLANNER)
        try:
            holder = parse_identity(person.holder, kind=person.holder_kind, today=self.today())
        except IdentityError as error:
            return Refusal.of_identity(error)
        name, address, why = _clean(person.name), _clean(person.address), _clean(person.why)
        if not name:
            return refusal(VisitRefusal.NAME_REQUIRED)
        if not address:
            return refusal(VisitRefusal.ADDRESS_REQUIRED)
        if not why:
            return refusal(VisitRefusal.WHY_REQUIRED)
        if any(v.holder_id == holder.number for v in self.store.visits.for_day(day)):
            return refusal(VisitRefusal.ALREADY_PLANNED)
        if self.central_lookup is None:
            return refusal(VisitRefusal.NO_CENTRAL)
        from sync.client import CentralError  # loaded already: the lookup holds a client

        self.store.audit.record(
            VISIT_LOOKUP,
            actor=self.desk.staff_id,
            holder_id=holder.number,
            reason=LookupPurpose.HOME_VISIT.value,
            device=self.desk.device,
            branch=self.desk.branch,
        )
        try:
            found = self.central_lookup(
                holder.number, LookupPurpose.HOME_VISIT, None, holder_kind=holder.kind
            )
        except CentralError as error:
            return Refusal(VisitRefusal.NO_CENTRAL.value, error.key)
        # The central's "no record" is kept too, as what it is: a person with no card yet
        # (`CardRecord.new`, version 0, replaced by any record the central sends later). The
        # counter at the home then decides on what the central said, and says so.
        self.store.card_cache.put(
            found if found is not None else CardRecord.new(holder.number), source="lookup"
        )
        visit = self.store.visits.add(
            day,
            holder_id=holder.number,
            holder_kind=holder.kind.value,
            name=name,
            address=address,
            need=person.need,
            why=why,
            central=CentralKnew.RECORD if found is not None else CentralKnew.NO_RECORD,
            planned_by=self.desk.staff_id,
        )
        self._audit(VISIT_PLANNED, visit, person.need.value, day=day.isoformat())
        return visit

    def unplan(self, ref: str) -> Visit | Refusal:
        """Take a visit not started yet off the list (a planning mistake); audited."""
        visit = self.store.visits.get(ref)
        if visit is None:
            return refusal(VisitRefusal.UNKNOWN_VISIT)
        if visit.status is not VisitStatus.TO_DO:
            return refusal(VisitRefusal.ALREADY_FINISHED)
        self.store.visits.remove(ref)
        self._audit(VISIT_REMOVED, visit, visit.need.value)
        return visit

    # -- the day (offline) -------------------------------------------------------------------------
    def start(self, ref: str) -> Visit | Refusal:
        """The member of staff is at the person's home: the visit is in progress from now (a
        visit already in progress is simply taken up again)."""
        visit = self.store.visits.get(ref)
        if visit is None:
            return refusal(VisitRefusal.UNKNOWN_VISIT)
        if self.desk.place is not Place.HOME_VISIT:
            return refusal(VisitRefusal.NOT_ON_A_HOME_VISIT)
        if visit.finished:
            return refusal(VisitRefusal.ALREADY_FINISHED)
        if visit.status is VisitStatus.IN_PROGRESS:
            return visit
        for other in self.store.visits.for_day(visit.day):
            if other.status is VisitStatus.IN_PROGRESS:
                return refusal(VisitRefusal.ANOTHER_IN_PROGRESS, position=other.position)
        started = self.store.visits.save(
            replace(
                visit,
                status=VisitStatus.IN_PROGRESS,
                started_at=stamp(self.clock()),
                visited_address=visit.visited_address or visit.address,
                visited_by=self.desk.staff_id,
            )
        )
        self._audit(VISIT_STARTED, started, started.need.value)
        return started

    def record(
        self,
        ref: str,
        *,
        address: str | None = None,
        present: Sequence[PresentPerson] | None = None,
    ) -> Visit | Refusal:
        """Where the visit is made (the address visited) and who else is present; only while
        it is in progress. A person present needs both what they are and their name."""
        visit = self.store.visits.get(ref)
        if visit is None:
            return refusal(VisitRefusal.UNKNOWN_VISIT)
        if visit.status is not VisitStatus.IN_PROGRESS:
            return refusal(VisitRefusal.NOT_IN_PROGRESS)
        changed = visit
        if address is not None:
            where = _clean(address)
            if not where:
                return refusal(VisitRefusal.ADDRESS_REQUIRED)
            changed = replace(changed, visited_address=where)
        if present is not None:
            people = tuple(PresentPerson(_clean(p.kind), _clean(p.name)) for p in present)
            if any(not p.kind or not p.name for p in people):
                return refusal(VisitRefusal.PRESENT_INCOMPLETE)
            changed = replace(changed, present=people)
        return self.store.visits.save(changed) if changed != visit else visit

    def taken(self, visit: Visit) -> tuple[VisitRequest, ...]:
        """The requests taken during the visit: this device's outbox items for the person made
        since it started (and before it ended), oldest first."""
        if visit.started_at is None:
            return visit.requests
        found = []
        for item in self.store.outbox.for_holder(visit.holder_id):
            if item.made_at < visit.started_at:
                continue
            if visit.ended_at is not None and item.made_at > visit.ended_at:
                continue
            reference = f"{item.seq}-{item.id[:8].upper()}"
            found.append(VisitRequest(item.id, reference, service_of(item.payload)))
        known = {r.outbox_id for r in visit.requests}
        return visit.requests + tuple(r for r in found if r.outbox_id not in known)

    def end(
        self,
        ref: str,
        *,
        receipts: Sequence[VisitReceipt] = (),
        status: VisitStatus = VisitStatus.DONE,
    ) -> Visit | Refusal:
        """The visit is over: done (its requests and how their receipts were handed over are
        kept with it), or nobody was at home (`not_at_home`, also for a visit not started)."""
        visit = self.store.visits.get(ref)
        if visit is None:
            return refusal(VisitRefusal.UNKNOWN_VISIT)
        if visit.finished:
            return refusal(VisitRefusal.ALREADY_FINISHED)
        if status is VisitStatus.DONE and visit.status is not VisitStatus.IN_PROGRESS:
            return refusal(VisitRefusal.NOT_IN_PROGRESS)
        if status not in (VisitStatus.DONE, VisitStatus.NOT_AT_HOME):
            raise ValueError("a visit ends done or with nobody at home")
        now = stamp(self.clock())
        ended = replace(
            visit,
            status=status,
            started_at=visit.started_at or now,
            ended_at=now,
            visited_by=visit.visited_by or self.desk.staff_id,
            requests=self.taken(visit),
            receipts=visit.receipts + tuple(receipts),
        )
        ended = self.store.visits.save(ended)
        self._audit(
            VISIT_ENDED,
            ended,
            status.value,
            requests=len(ended.requests),
            receipts=len(ended.receipts),
            present=len(ended.present),
        )
        return ended
