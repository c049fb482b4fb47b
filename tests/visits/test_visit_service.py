"""The home-visit service's decisions: plan (checked, looked up, audited), start, record, end,
progress. The central is a stand-in here (the loopback test asks the real one)."""

from __future__ import annotations

import dataclasses

import pytest

from branch_app.domain.identity import parse_identity
from branch_app.domain.lifecycle import (
    ApplicationKind,
    CardRecord,
    ChangeContact,
    record_from_dict,
)
from branch_app.domain.vocabulary import LookupPurpose, Place, Role
from branch_app.services.counter import Accepted, Counter, Refusal
from branch_app.services.visits import (
    PlannedPerson,
    VisitRefusal,
    Visits,
    service_for,
)
from branch_app.store import LocalStore
from branch_app.store.visits import (
    CentralKnew,
    PresentPerson,
    VisitNeed,
    VisitReceipt,
    VisitStatus,
)
from sync.client import CentralUnavailable

from .conftest import ADDRESSES, CARED, ELDER, NAMES, NEWCOMER, TODAY, Clock, card_in_use, home_desk


class Central:
    """Knows ELDER and CARED; records every lookup's holder and purpose."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, LookupPurpose]] = []
        self.down = False

    def __call__(self, holder_id, purpose, note, holder_kind=None):
        self.asked.append((holder_id, purpose))
        if self.down:
            raise CentralUnavailable("offline")
        return card_in_use(holder_id, version=5) if holder_id in (ELDER, CARED) else None


def person(who: str, need: VisitNeed = VisitNeed.APPLICATION, **changes) -> PlannedPerson:
    typed = PlannedPerson(
        holder=who, name=NAMES[who], address=ADDRESSES[who], need=need, why="卧床"
    )
    return dataclasses.replace(typed, **changes)


@pytest.fixture
def central() -> Central:
    return Central()


@pytest.fixture
def visits(store: LocalStore, clock: Clock, central: Central) -> Visits:
    return Visits(store, home_desk(), clock=clock, central_lookup=central)


def test_planning_fetches_each_record_with_the_home_visit_purpose(
    visits: Visits, store: LocalStore, central: Central
) -> None:
    store.card_cache.put(card_in_use(ELDER, version=1))  # an old record: the central's is fresher
    first = visits.plan(person(ELDER))
    new = visits.plan(person(NEWCOMER, VisitNeed.APPLICATION))
    assert not isinstance(first, Refusal) and not isinstance(new, Refusal)
    assert central.asked == [
        (ELDER, LookupPurpose.HOME_VISIT),
        (NEWCOMER, LookupPurpose.HOME_VISIT),
    ]
    assert first.central is CentralKnew.RECORD and new.central is CentralKnew.NO_RECORD
    cached = store.card_cache.get(ELDER)
    assert cached is not None and cached.version == 5 and cached.source == "lookup"
    # the central's "no record" is kept as what it is: a person with no card yet
    unknown = store.card_cache.get(NEWCOMER)
    assert unknown is not None and unknown.version == 0 and unknown.source == "lookup"
    assert record_from_dict(unknown.record) == CardRecord.new(NEWCOMER)
    actions = [(e.action, e.reason) for e in store.audit.entries()]
    assert actions == [
        ("visit.lookup", "home_visit"),
        ("visit.planned", "application"),
        ("visit.lookup", "home_visit"),
        ("visit.planned", "application"),
    ]
    assert visits.progress() == (2, 0)
    assert service_for(first) == "apply_replacement" and service_for(new) == "apply_first"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ({"holder": ELDER[:-1] + ("0" if ELDER[-1] != "0" else "1")}, "identity."),
        ({"name": "  "}, VisitRefusal.NAME_REQUIRED.value),
        ({"address": ""}, VisitRefusal.ADDRESS_REQUIRED.value),
        ({"why": ""}, VisitRefusal.WHY_REQUIRED.value),
    ],
)
def test_what_was_typed_is_checked_before_anyone_is_looked_up(
    visits: Visits, store: LocalStore, central: Central, typed: dict, code: str
) -> None:
    refused = visits.plan(person(ELDER, **typed))
    assert isinstance(refused, Refusal) and refused.code.startswith(code)
    assert central.asked == [] and len(store.visits) == 0 and store.audit.head == 0


def test_without_the_central_nothing_is_planned(
    visits: Visits, store: LocalStore, central: Central, clock: Clock
) -> None:
    central.down = True
    refused = visits.plan(person(ELDER))
    assert isinstance(refused, Refusal) and refused.code == VisitRefusal.NO_CENTRAL.value
    assert refused.message_key == "sync.error.offline"
    assert len(store.visits) == 0
    unconfigured = Visits(store, home_desk(), clock=clock).plan(person(ELDER))
    assert isinstance(unconfigured, Refusal) and unconfigured.code == VisitRefusal.NO_CENTRAL.value


def test_only_home_visit_staff_and_supervisors_plan_and_nobody_twice_a_day(
    store: LocalStore, clock: Clock, central: Central
) -> None:
    teller = Visits(store, home_desk(Role.TELLER, "T001"), clock=clock, central_lookup=central)
    refused = teller.plan(person(ELDER))
    assert isinstance(refused, Refusal) and refused.code == VisitRefusal.NOT_A_PLANNER.value
    boss = Visits(store, home_desk(Role.SUPERVISOR, "S001"), clock=clock, central_lookup=central)
    assert not isinstance(boss.plan(person(ELDER)), Refusal)
    again = boss.plan(person(ELDER))
    assert isinstance(again, Refusal) and again.code == VisitRefusal.ALREADY_PLANNED.value


def test_a_visit_day_offline_start_record_take_a_request_and_end(
    visits: Visits, store: LocalStore, central: Central, clock: Clock
) -> None:
    visit = visits.plan(person(CARED, VisitNeed.DATA_CHANGE))
    other = visits.plan(person(ELDER))
    assert not isinstance(visit, Refusal) and not isinstance(other, Refusal)
    central.down = True  # out of the branch: offline from here on
    clock.later(60)
    started = visits.start(visit.ref)
    assert not isinstance(started, Refusal)
    assert started.status is VisitStatus.IN_PROGRESS and started.visited_address == ADDRESSES[CARED]
    busy = visits.start(other.ref)
    assert isinstance(busy, Refusal) and busy.code == VisitRefusal.ANOTHER_IN_PROGRESS.value
    recorded = visits.record(
        visit.ref,
        address="广州市海珠区江南大道200号5楼（女儿家）",
        present=[PresentPerson("女儿", "李小红"), PresentPerson("护工", "王阿姨")],
    )
    assert not isinstance(recorded, Refusal) and recorded.visited_address.endswith("（女儿家）")
    incomplete = visits.record(visit.ref, present=[PresentPerson("邻居", " ")])
    assert isinstance(incomplete, Refusal)

    # the counter takes the request on the record fetched at planning (offline)
    clock.later(5)
    counter = Counter(store, home_desk(), clock=clock)
    holder = parse_identity(CARED, today=TODAY)
    taken = counter.take(holder, ChangeContact(mobile="13800138000"), why="data_change:contact")
    assert isinstance(taken, Accepted), taken
    assert record_from_dict(store.card_cache.get(CARED).record).version == 5

    clock.later(10)
    receipt = VisitReceipt(taken.outbox_id, printed=False, where="/receipts/r.pdf")
    ended = visits.end(visit.ref, receipts=[receipt])
    assert not isinstance(ended, Refusal)
    assert ended.status is VisitStatus.DONE
    assert [r.outbox_id for r in ended.requests] == [taken.outbox_id]
    assert ended.requests[0].reference == taken.reference
    assert ended.requests[0].service == "change_contact"
    assert ended.receipts == (receipt,)
    assert ended.started_at < ended.ended_at
    assert visits.progress() == (2, 1)
    again = visits.end(visit.ref)
    assert isinstance(again, Refusal) and again.code == VisitRefusal.ALREADY_FINISHED.value

    nobody = visits.end(other.ref, status=VisitStatus.NOT_AT_HOME)
    assert not isinstance(nobody, Refusal) and nobody.requests == ()
    assert visits.progress() == (2, 2)
    ended_entries = [e for e in store.audit.entries() if e.action == "visit.ended"]
    assert [e.reason for e in ended_entries] == ["done", "not_at_home"]


def test_an_application_for_a_person_the_central_did_not_know_rests_on_its_answer(
    visits: Visits, store: LocalStore, central: Central, clock: Clock
) -> None:
    """Planning asked the central, which had no record: at the home (offline) the counter
    decides on that answer and does not say the central could not be asked."""
    planned = visits.plan(person(NEWCOMER))
    assert not isinstance(planned, Refusal)
    central.down = True
    started = visits.start(planned.ref)
    assert not isinstance(started, Refusal)
    counter = Counter(store, home_desk(), clock=clock)
    holder = parse_identity(NEWCOMER, today=TODAY)
    taken = counter.apply(holder, ApplicationKind.FIRST, photo_receipt="GZ000000000001")
    assert isinstance(taken, Accepted), taken
    assert not taken.awaits_central
    # a person this device never asked about still waits for the central's check
    unasked = parse_identity(ELDER, today=TODAY)
    assert store.card_cache.get(ELDER) is None
    refused_or_taken = counter.apply(unasked, ApplicationKind.FIRST, photo_receipt="GZ000000000002")
    assert getattr(refused_or_taken, "awaits_central", False)


def test_a_kept_no_record_is_asked_about_again_while_the_central_answers(
    visits: Visits, store: LocalStore, central: Central, clock: Clock
) -> None:
    planned = visits.plan(person(NEWCOMER))
    assert not isinstance(planned, Refusal)
    asked = len(central.asked)
    counter = Counter(store, home_desk(), clock=clock, central_lookup=central)
    holder = parse_identity(NEWCOMER, today=TODAY)
    taken = counter.apply(holder, ApplicationKind.FIRST, photo_receipt="GZ000000000001")
    assert isinstance(taken, Accepted) and not taken.awaits_central
    assert len(central.asked) == asked + 1  # online: the decision rests on a fresh answer


def test_a_visit_is_made_on_a_home_visit_laptop_only(
    store: LocalStore, clock: Clock, central: Central
) -> None:
    planned = Visits(store, home_desk(), clock=clock, central_lookup=central).plan(person(ELDER))
    assert not isinstance(planned, Refusal)
    at_branch = dataclasses.replace(home_desk(Role.SUPERVISOR, "S001"), place=Place.BRANCH)
    refused = Visits(store, at_branch, clock=clock).start(planned.ref)
    assert isinstance(refused, Refusal) and refused.code == VisitRefusal.NOT_ON_A_HOME_VISIT.value


def test_a_planning_mistake_is_taken_off_before_the_visit_only(
    visits: Visits, store: LocalStore
) -> None:
    first, second = visits.plan(person(ELDER)), visits.plan(person(CARED))
    assert not isinstance(first, Refusal) and not isinstance(second, Refusal)
    assert not isinstance(visits.unplan(first.ref), Refusal)
    assert not isinstance(visits.start(second.ref), Refusal)
    refused = visits.unplan(second.ref)
    assert isinstance(refused, Refusal)
    assert [v.ref for v in visits.day()] == [second.ref]
    assert store.audit.entries()[-2].action == "visit.removed"
