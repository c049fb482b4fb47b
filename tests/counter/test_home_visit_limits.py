"""The home visit's offline limits at the counter (issue 13): the decision (pure), the counter's
refusal (one sentence, both languages, the preview too) on a real store and sync state, and the
supervisor's approval refused while a request is unsent or without a supervisor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from branch_app.config import AppConfig, BranchProfile, DeviceKind, StoreConfig
from branch_app.domain.identity import parse_identity, resident_check_character
from branch_app.domain.vocabulary import CounterRefusal, Place, Role
from branch_app.i18n import t
from branch_app.services.counter import Accepted, Counter, Refusal
from branch_app.services.visit_batch import (
    BATCH_APPROVED,
    VisitBatch,
    offline_limit_refusal,
)
from branch_app.store import LocalStore
from sync.protocol import OfflineLimits
from sync.service import SyncService
from tests.counter.conftest import NOW, desk
from tests.counter.test_counter_service import active_record

LIMITS = OfflineLimits(max_unsent=2, max_offline_hours=12)


def person(n: int, store: LocalStore | None = None):
    """A holder with a live card this device knows (cached), when `store` is given."""
    first17 = f"44010619900101{n:03d}"
    number = first17 + resident_check_character(first17)
    if store is not None:
        store.card_cache.put(active_record(number))
    return parse_identity(number, today=NOW.date())


@pytest.mark.parametrize(
    ("place", "batch", "hours_ago", "expected"),
    [
        (Place.HOME_VISIT, 0, 1, None),
        (Place.HOME_VISIT, 1, 11.9, None),
        (Place.HOME_VISIT, 2, 1, CounterRefusal.HOME_VISIT_BATCH_FULL),
        (Place.HOME_VISIT, 5, 30, CounterRefusal.HOME_VISIT_BATCH_FULL),
        (Place.HOME_VISIT, 0, 12, CounterRefusal.HOME_VISIT_SYNC_OVERDUE),
        (Place.HOME_VISIT, 0, None, CounterRefusal.HOME_VISIT_SYNC_OVERDUE),
        (Place.BRANCH, 99, None, None),
        (Place.INSTANT_BRANCH, 99, 99, None),
    ],
)
def test_the_decision(
    place: Place, batch: int, hours_ago: float | None, expected: CounterRefusal | None
) -> None:
    last = None if hours_ago is None else NOW - dt.timedelta(hours=hours_ago)
    assert (
        offline_limit_refusal(place, LIMITS, batch_open=batch, last_sync=last, now=NOW) == expected
    )


@pytest.fixture
def sync(store: LocalStore) -> Iterator[SyncService]:
    """A home-visit device's sync service (no central needed): its sealed state holds the
    branch's limits as an enrolment would have left them, synced an hour ago."""
    config = replace(
        AppConfig(),
        branch=BranchProfile(code="GZ-001", bank="icbc", device_kind=DeviceKind.HOME_VISIT),
        store=StoreConfig(data_dir=str(store.data_dir)),
    )
    service = SyncService(config, store)
    service.state.enrolled(LIMITS, approved_through=0, at=NOW - dt.timedelta(hours=1))
    yield service
    service.close()


def home_counter(store: LocalStore, sync: SyncService, now: dt.datetime = NOW) -> Counter:
    return Counter(
        store,
        desk(role=Role.HOME_VISIT, place=Place.HOME_VISIT, staff_id="H001"),
        clock=lambda: now,
        allowance=sync,
    )


def test_the_request_past_the_limit_is_refused_with_one_sentence(
    store: LocalStore, sync: SyncService
) -> None:
    counter = home_counter(store, sync)
    for n in (1, 2):
        assert isinstance(counter.report_loss(person(n, store), at_card_bank=True), Accepted)
    assert sync.batch_open() == 2

    preview = counter.report_loss(person(3, store), at_card_bank=True, dry_run=True)
    taken = counter.report_loss(person(3, store), at_card_bank=True)
    for refusal in (preview, taken):
        assert isinstance(refusal, Refusal)
        assert refusal.code == CounterRefusal.HOME_VISIT_BATCH_FULL
    assert len(store.outbox.items()) == 2  # nothing written
    english = t(taken.message_key, "en", **taken.params)
    chinese = t(taken.message_key, "zh", **taken.params)
    assert "2 requests" in english and "sync" in english and "supervisor" in english
    assert english.count(". ") == 0 and english.endswith(".")  # one sentence
    assert "主管" in chinese and "同步" in chinese

    # The supervisor's approval moves the mark: the limit opens.
    sync.approve_batch(store.outbox.next_seq - 1)
    assert isinstance(counter.report_loss(person(3, store), at_card_bank=True), Accepted)


def test_a_device_not_synced_for_the_hours_refuses(store: LocalStore, sync: SyncService) -> None:
    late = home_counter(store, sync, NOW + dt.timedelta(hours=11, minutes=1))
    refusal = late.report_loss(person(4, store), at_card_bank=True)
    assert isinstance(refusal, Refusal)
    assert refusal.code == CounterRefusal.HOME_VISIT_SYNC_OVERDUE
    assert "12 hours" in t(refusal.message_key, "en", **refusal.params)
    # A counter device of the branch is not limited by them.
    branch = Counter(store, desk(), clock=lambda: NOW + dt.timedelta(days=3), allowance=sync)
    assert isinstance(branch.report_loss(person(4, store), at_card_bank=True), Accepted)


def test_the_approval_is_refused_while_unsent_and_without_a_supervisor(
    store: LocalStore, sync: SyncService
) -> None:
    counter = home_counter(store, sync)
    assert isinstance(counter.report_loss(person(5, store), at_card_bank=True), Accepted)
    by_home_staff = VisitBatch(
        store, sync, desk(role=Role.HOME_VISIT, place=Place.HOME_VISIT), clock=lambda: NOW
    )
    review = by_home_staff.review()
    assert [row.holder_masked for row in review.rows] == [review.rows[0].holder_masked]
    assert "*" in review.rows[0].holder_masked and review.rows[0].receipt is None
    refused = by_home_staff.approve(review)
    assert isinstance(refused, Refusal) and refused.code == CounterRefusal.APPROVER_NOT_VERIFIED

    supervisor = VisitBatch(
        store,
        sync,
        desk(role=Role.SUPERVISOR, place=Place.HOME_VISIT, staff_id="S001"),
        clock=lambda: NOW,
    )
    review = supervisor.review()
    assert review.unsent and not review.can_approve
    refused = supervisor.approve(review)
    assert isinstance(refused, Refusal) and refused.code == CounterRefusal.HOME_VISIT_BATCH_UNSENT
    assert sync.batch_open() == 1
    assert not any(e.action == BATCH_APPROVED for e in store.audit.entries())


def test_an_empty_batch_has_nothing_to_approve(store: LocalStore, sync: SyncService) -> None:
    supervisor = VisitBatch(
        store, sync, desk(role=Role.SUPERVISOR, place=Place.HOME_VISIT), clock=lambda: NOW
    )
    refused = supervisor.approve(supervisor.review())
    assert isinstance(refused, Refusal) and refused.code == CounterRefusal.HOME_VISIT_BATCH_EMPTY


def test_the_built_in_limits_hold_for_a_device_that_was_never_sent_any(
    store: LocalStore, tmp_path: Path
) -> None:
    config = replace(
        AppConfig(),
        branch=BranchProfile(code="GZ-001", bank="icbc", device_kind=DeviceKind.HOME_VISIT),
        store=StoreConfig(data_dir=str(store.data_dir)),
    )
    older = SyncService(config, store)  # enrolled before the limits existed: nothing sealed
    try:
        refusal = home_counter(store, older).report_loss(person(6, store), at_card_bank=True)
        assert isinstance(refusal, Refusal)
        assert refusal.code == CounterRefusal.HOME_VISIT_SYNC_OVERDUE  # never synced since
        assert refusal.params == {"max_unsent": 30, "hours": 12}
    finally:
        older.close()


def test_the_batch_says_how_a_resolved_conflict_ended(store: LocalStore, sync: SyncService) -> None:
    """As the day list says it: upheld or corrected once the supervisor decided, not
    "conflict" for ever."""
    from branch_app.domain.vocabulary import OutboxStatus
    from branch_app.services.day import DayStatus
    from tests.counter.test_day_list import answer
    from tests.counter.test_day_list_resolved import resolved

    counter = home_counter(store, sync)  # two requests at most: LIMITS
    taken = [counter.report_loss(person(n, store), at_card_bank=True) for n in (6, 7)]
    assert all(isinstance(accepted, Accepted) for accepted in taken)
    ids = [accepted.outbox_id for accepted in taken if isinstance(accepted, Accepted)]
    for outbox_id in ids:
        answer(store, outbox_id, OutboxStatus.CONFLICT)
    resolved(store, ids[0], "corrected")
    supervisor = VisitBatch(
        store, sync, desk(role=Role.SUPERVISOR, place=Place.HOME_VISIT), clock=lambda: NOW
    )
    review = supervisor.review()
    assert [row.status for row in review.rows] == [DayStatus.CORRECTED, DayStatus.CONFLICT]
    assert not review.unsent
    resolved(store, ids[1], "upheld")
    assert [row.status for row in supervisor.review().rows] == [
        DayStatus.CORRECTED,
        DayStatus.UPHELD,
    ]
