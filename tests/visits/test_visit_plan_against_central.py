"""Planning against the real central on loopback: each person's record is fetched with the
purpose "home visit", audited at the central (who, which device, why, whose keyed hash, found or
not) and on the device; the records land in the card cache, and the day's decisions are made on
them offline (the central stopped answering)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from branch_app.domain.identity import mask_identity, parse_identity, resident_check_character
from branch_app.domain.lifecycle import ChangeContact, record_from_dict
from branch_app.domain.vocabulary import Place, Role
from branch_app.services.counter import Accepted, Counter, Desk, Refusal, central_lookup_for
from branch_app.services.visits import PlannedPerson, VisitRefusal, Visits
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.store.visits import CentralKnew, VisitNeed, VisitStatus
from sync.client import CentralClient, Timeouts

from .conftest import ADDRESSES, CARED, ELDER, NAMES, NEWCOMER, Clock, card_in_use

pytestmark = pytest.mark.slow

STAFF, PASSWORD = "H300", "home-visit-password-3"


@pytest.fixture(scope="module")
def central() -> Iterator[object]:
    from central.dev.server import start_central

    with start_central() as running:
        running.add_staff(STAFF, PASSWORD, role="home_visit")
        yield running


def test_planning_is_an_audited_home_visit_lookup_at_the_central(
    central, tmp_path: Path, clock: Clock
) -> None:
    from central import models
    from central.service import CentralService

    database = central.database()
    service = CentralService(database, database.audit_key())
    for holder in (ELDER, CARED):
        service.put_record(card_in_use(holder, version=3))
    enrolled = central.enrol_device(place="home_visit", name="home-visit laptop")
    session = central.login(enrolled, STAFF, PASSWORD).session_token
    timeouts = Timeouts(connect=2.0, read=10.0, write=5.0, pool=5.0)
    reachable = True

    def client() -> CentralClient:
        url = central.url if reachable else "http://127.0.0.1:9"  # nothing listens: offline
        return CentralClient(
            url, device_token=enrolled.device_token, staff_session=session, timeouts=timeouts
        )

    desk = Desk(STAFF, Role.HOME_VISIT, Place.HOME_VISIT, enrolled.branch, enrolled.device_id)
    with LocalStore.open(tmp_path / "store", keyring=MemoryKeyring(), clock=clock) as store:
        lookup = central_lookup_for(SimpleNamespace(client=client))
        visits = Visits(store, desk, clock=clock, central_lookup=lookup)
        made = {}
        for holder, need in (
            (ELDER, VisitNeed.APPLICATION),
            (CARED, VisitNeed.DATA_CHANGE),
            (NEWCOMER, VisitNeed.APPLICATION),
        ):
            typed = PlannedPerson(holder, NAMES[holder], ADDRESSES[holder], need, "卧床")
            planned = visits.plan(typed)
            assert not isinstance(planned, Refusal), planned
            made[holder] = planned
        assert made[ELDER].central is CentralKnew.RECORD
        assert made[NEWCOMER].central is CentralKnew.NO_RECORD
        for holder in (ELDER, CARED):
            cached = store.card_cache.get(holder)
            assert cached is not None and cached.version == 3 and cached.source == "lookup"
        local = [(e.action, e.reason) for e in store.audit.entries() if e.action == "visit.lookup"]
        assert local == [("visit.lookup", "home_visit")] * 3

        with database.read() as conn:
            rows = conn.execute(
                select(models.lookup_audit).order_by(models.lookup_audit.c.id)
            ).all()
        ours = [r for r in rows if r.device_id == enrolled.device_id]
        assert [r.purpose for r in ours] == ["home_visit"] * 3
        assert {r.staff_id for r in ours} == {STAFF}
        assert [r.subject_masked for r in ours] == [
            mask_identity(h) for h in (ELDER, CARED, NEWCOMER)
        ]
        keys = [r.subject_key for r in ours]  # keyed hashes: one per person, no number
        assert len(set(keys)) == 3 and not any(h in k for k in keys for h in (ELDER, CARED))
        assert [r.found for r in ours] == [True, True, False]

        # Out of the branch: the central cannot be reached. Planning says so and adds nothing;
        # the day's visit is made on the record fetched at planning.
        reachable = False
        late = "44010619450505504" + resident_check_character("44010619450505504")
        offline = visits.plan(
            PlannedPerson(late, "赵女士", "广州市荔湾区", VisitNeed.QUERY, "卧床")
        )
        assert isinstance(offline, Refusal) and offline.code == VisitRefusal.NO_CENTRAL.value
        assert offline.message_key.startswith("sync.error.")
        assert len(store.visits) == 3
        started = visits.start(made[CARED].ref)
        assert not isinstance(started, Refusal)
        counter = Counter(store, desk, clock=clock, central_lookup=lookup)
        holder = parse_identity(CARED, today=clock().date())
        taken = counter.take(holder, ChangeContact(mobile="13800138000"), why="data_change:contact")
        assert isinstance(taken, Accepted) and not taken.awaits_central, taken
        assert taken.record_before == record_from_dict(store.card_cache.get(CARED).record)
        clock.later(20)
        ended = visits.end(made[CARED].ref)
        assert not isinstance(ended, Refusal) and ended.status is VisitStatus.DONE
        assert [r.outbox_id for r in ended.requests] == [taken.outbox_id]
        assert visits.progress() == (3, 1)
        assert store.visits.progress(clock().date()) == (3, 1)
