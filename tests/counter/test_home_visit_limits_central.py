"""End to end against the real central on 127.0.0.1 (issue 13): limits set with the admin CLI
reach the home-visit laptop at its log-in; the (N+1)th request is refused with the sentence; a
sync and the supervisor's approval open it again; nothing is applied twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from branch_app.config import AppConfig, BranchProfile, CentralConfig, DeviceKind, StoreConfig
from branch_app.domain.identity import parse_identity, resident_check_character
from branch_app.domain.vocabulary import ApplicationKind, CounterRefusal, Place, Role
from branch_app.i18n import t
from branch_app.services.counter import Accepted, Counter, Desk, Refusal
from branch_app.services.visit_batch import BATCH_APPROVED, BatchApproved, VisitBatch
from branch_app.store import LocalStore, MemoryKeyring
from central import models
from central.cli import main as central_main
from sync.engine import RetryPolicy
from sync.service import SyncService

pytestmark = pytest.mark.slow

BRANCH, VISITOR, SUPERVISOR, PASSWORD = "GZ-HV-001", "H501", "S501", "home-visit-pass-5"


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central() as running:
        running.add_staff(VISITOR, PASSWORD, role="home_visit", branch=BRANCH)
        running.add_staff(SUPERVISOR, PASSWORD, role="supervisor", branch=BRANCH)
        yield running


def holder(n: int):
    first17 = f"44010619850203{n:03d}"
    return parse_identity(first17 + resident_check_character(first17), today=dt.date.today())


def test_limits_refuse_then_sync_and_approval_open_again(
    central: Any, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    limits = ["branch-limits", "--branch", BRANCH, "--max-unsent", "2"]
    assert central_main([*limits, "--database-url", central.database_url]) == 0
    config = replace(
        AppConfig(),
        branch=BranchProfile(code=BRANCH, bank="icbc", device_kind=DeviceKind.HOME_VISIT),
        central=CentralConfig(url=central.url, timeout_seconds=5.0, auto_sync=False),
        store=StoreConfig(data_dir=str(tmp_path / "store")),
    )
    store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
    quick = RetryPolicy(attempts=3, timeout=5, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)
    sync = SyncService(config, store, retry=quick)
    try:
        device = sync.enrol(central.issue_enrolment_code(BRANCH, "home_visit"), "laptop 5")
        session = sync.authenticator().login(VISITOR, PASSWORD)
        sync.signed_in(session)
        assert sync.offline_limits().max_unsent == 2  # from the central, at the log-in

        desk = Desk(
            staff_id=VISITOR,
            role=Role.HOME_VISIT,
            place=Place.HOME_VISIT,
            branch=BRANCH,
            device=device.device_id,
            bank="icbc",
            signer=session.signer,
        )
        now = dt.datetime.now().astimezone()
        counter = Counter(store, desk, clock=lambda: now, allowance=sync)

        def apply(n: int) -> Any:
            return counter.apply(holder(n), ApplicationKind.FIRST, police_photo=True)

        assert isinstance(apply(1), Accepted) and isinstance(apply(2), Accepted)
        refused = apply(3)
        assert isinstance(refused, Refusal)
        assert refused.code == CounterRefusal.HOME_VISIT_BATCH_FULL
        sentence = t(refused.message_key, "en", **refused.params)
        assert sentence.startswith("This laptop already holds 2 requests")

        # Back at the branch: the supervisor may not approve before the sync...
        signed_in = sync.authenticator().login(SUPERVISOR, PASSWORD)
        sync.signed_in(signed_in)
        boss = replace(desk, staff_id=SUPERVISOR, role=Role.SUPERVISOR, signer=signed_in.signer)
        batch = VisitBatch(store, sync, boss, clock=lambda: now)
        early = batch.approve(batch.review())
        assert isinstance(early, Refusal)
        assert early.code == CounterRefusal.HOME_VISIT_BATCH_UNSENT

        # ...sync, review (each request applied at the central), approve: audited, opened.
        assert sync.run().ok
        review = batch.review()
        assert [row.status.value for row in review.rows] == ["applied", "applied"]
        assert review.can_approve
        approved = batch.approve(review)
        assert isinstance(approved, BatchApproved) and approved.requests == 2
        entry = next(e for e in store.audit.entries() if e.action == BATCH_APPROVED)
        assert entry.detail["from_seq"] == 1 and entry.detail["through_seq"] == 2
        assert entry.detail["approved_by"] == SUPERVISOR and entry.detail["applied"] == 2

        sync.signed_in(session)
        assert sync.batch_open() == 0
        assert isinstance(apply(3), Accepted)
        assert sync.run().ok
        assert sync.run().ok  # a second run sends nothing again

        with central.database().read() as conn:
            sent = conn.execute(
                select(func.count())
                .select_from(models.commands)
                .where(models.commands.c.device == device.device_id)
            ).scalar_one()
            applied = conn.execute(
                select(func.count())
                .select_from(models.changes)
                .where(models.changes.c.holder_id.in_([holder(n).number for n in (1, 2, 3)]))
            ).scalar_one()
            kept = conn.execute(
                select(models.device_states.c.batch_open).where(
                    models.device_states.c.device_id == device.device_id
                )
            ).scalar_one()
        assert sent == 3 and applied == 3  # each request once
        assert kept == 1  # the report after the last sync: one request since the approval
    finally:
        sync.close()
        store.close()
