"""Real parts: what the counter queues is what the real central applies.

A device enrolled with the central under uvicorn on 127.0.0.1; the counter takes requests into
the real store, the real sync engine sends them, the central decides them with the same rules;
its record comes back through the pull and through an audited lookup with a staff session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from branch_app.domain import (
    ApplicationKind,
    ApplicationStatus,
    CardState,
    Place,
    Role,
    parse_identity,
    record_from_dict,
)
from branch_app.domain.vocabulary import LookupPurpose, Outcome
from branch_app.services.counter import (
    Accepted,
    Counter,
    Desk,
    QueryAnswer,
    Refusal,
    central_lookup_for,
)
from branch_app.store import LocalStore, MemoryKeyring
from sync.client import CentralClient, Timeouts
from sync.engine import RetryPolicy, SyncEngine
from sync.protocol import ChannelCardIssued
from sync.state import StorePullTarget, SyncState
from tests.sync.helpers import signed_in

from .conftest import ADULT, NOW, PHOTO

pytestmark = pytest.mark.slow

TELLER, PASSWORD = "T100", "teller-password-1"
QUICK_RETRY = RetryPolicy(
    attempts=20, timeout=30, wait_initial=0.05, wait_max=0.3, wait_jitter=0.05
)


@pytest.fixture(scope="module")
def central() -> Iterator[object]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(TELLER, PASSWORD, role="teller")
        yield running


def test_counter_requests_are_applied_by_the_central(central, tmp_path: Path) -> None:
    enrolled = central.enrol_device()
    store = LocalStore.open(tmp_path / "store", keyring=MemoryKeyring())
    try:
        desk = Desk(
            staff_id=TELLER,
            role=Role.TELLER,
            place=Place.BRANCH,
            branch=enrolled.branch,
            device=enrolled.device_id,
            bank="icbc",
            # The teller's online log-in gives the key every request is signed with.
            signer=signed_in(central, enrolled, store, TELLER, PASSWORD).signer,
        )
        timeouts = Timeouts(connect=2.0, read=10.0, write=5.0, pool=5.0)
        client = CentralClient(central.url, device_token=enrolled.device_token, timeouts=timeouts)
        engine = SyncEngine(
            store.outbox,
            client,
            StorePullTarget(store.card_cache, SyncState.in_folder(store.data_dir)),
            batch_size=50,
            retry=QUICK_RETRY,
        )
        counter = Counter(store, desk, clock=lambda: NOW)
        holder = parse_identity(ADULT, today=NOW.date())

        first = counter.apply(holder, ApplicationKind.FIRST, photo_receipt=PHOTO)
        assert isinstance(first, Accepted)
        summary = engine.run()
        assert summary.ok and summary.outcomes["applied"] == 1, summary
        assert store.outbox.get(first.outbox_id).status == "accepted"

        # The card agency issues the card (another channel); the pull brings it back.
        issued = client.channel_card_issued(
            ChannelCardIssued(holder_id=ADULT, card_number="X00000019", issued_on="2025-03-14")
        )
        assert issued.outcome is Outcome.APPLIED, issued
        assert engine.run().ok
        cached = record_from_dict(store.card_cache.get(ADULT).record)
        assert cached.application is not None
        assert cached.application.status is ApplicationStatus.READY

        taken = [
            counter.confirm_collection(holder),
            counter.report_loss(holder),
            counter.apply(holder, ApplicationKind.REPLACEMENT, police_photo=True),
        ]
        assert all(isinstance(outcome, Accepted) for outcome in taken), taken
        unlock = counter.unlock(holder)  # the replacement queued just now killed the old card
        assert isinstance(unlock, Refusal) and unlock.code == "replacement_applied"
        summary = engine.run()
        assert summary.ok and summary.outcomes["applied"] == 3, summary
        assert {store.outbox.get(o.outbox_id).status for o in taken} == {"accepted"}

        # An audited lookup with the teller's session sees what the counter predicted.
        session = central.login(enrolled, TELLER, PASSWORD).session_token

        def staff_client() -> CentralClient:
            return CentralClient(
                central.url,
                device_token=enrolled.device_token,
                staff_session=session,
                timeouts=timeouts,
            )

        online = Counter(
            store,
            desk,
            clock=lambda: NOW,
            central_lookup=central_lookup_for(SimpleNamespace(client=staff_client)),
        )
        answer = online.query(holder, LookupPurpose.HOLDER_ENQUIRY)
        assert isinstance(answer, QueryAnswer) and answer.source == "central", answer
        assert answer.central_problem is None and answer.pending == ()
        assert answer.record == taken[-1].record_after  # the device's prediction held
        assert answer.record.card_state is CardState.NO_CARD
        assert answer.record.application is not None
        assert answer.record.application.kind is ApplicationKind.REPLACEMENT
        client.close()
    finally:
        store.close()


def test_the_central_lookup_brings_the_holders_name_to_the_customer_session(
    central, tmp_path: Path
) -> None:
    """Issue 12: the name the central holds comes with the lookup, to the customer being served
    only: masked in the session's line, in full only through the audited reveal (Ctrl+N's
    path); never in the card cache. A person the central has no name for: "name not read"."""
    import threading

    from sqlalchemy import update

    from branch_app.domain.identity import resident_check_character
    from branch_app.i18n import t
    from branch_app.services.customer import HolderSource
    from branch_app.ui.controllers.customer_keeper import CustomerKeeper
    from central import models

    first, second = "44010619850203123", "44010619790815123"
    named_id, unnamed_id = (n + resident_check_character(n) for n in (first, second))
    enrolled = central.enrol_device()
    store = LocalStore.open(tmp_path / "store", keyring=MemoryKeyring())
    try:
        desk = Desk(
            staff_id=TELLER,
            role=Role.TELLER,
            place=Place.BRANCH,
            branch=enrolled.branch,
            device=enrolled.device_id,
            bank="icbc",
            signer=signed_in(central, enrolled, store, TELLER, PASSWORD).signer,
        )
        timeouts = Timeouts(connect=2.0, read=10.0, write=5.0, pool=5.0)
        client = CentralClient(central.url, device_token=enrolled.device_token, timeouts=timeouts)
        engine = SyncEngine(
            store.outbox,
            client,
            StorePullTarget(store.card_cache, SyncState.in_folder(store.data_dir)),
            batch_size=50,
            retry=QUICK_RETRY,
        )
        offline = Counter(store, desk, clock=lambda: NOW)
        named, unnamed = (parse_identity(h, today=NOW.date()) for h in (named_id, unnamed_id))
        for holder in (named, unnamed):
            taken = offline.apply(holder, ApplicationKind.FIRST, photo_receipt=PHOTO)
            assert isinstance(taken, Accepted), taken
        assert engine.run().ok
        with central.database().write() as conn:  # the registry's name for one of them
            conn.execute(
                update(models.cardholders)
                .where(models.cardholders.c.holder_id == named_id)
                .values(name="张三丰")
            )
        # The customer keeper as the app has it (the app's thread is this one here).
        app = SimpleNamespace(
            services=SimpleNamespace(clock=lambda: NOW),
            _thread_id=threading.get_ident(),
            refresh_bindings=lambda: None,
            clear_notifications=lambda: None,
            current_mode="home",
            screen_stack=[],
            _screen_stacks={},
            _modes={},
        )
        keeper = CustomerKeeper(app)  # type: ignore[arg-type]
        session = central.login(enrolled, TELLER, PASSWORD).session_token

        def staff_client() -> CentralClient:
            return CentralClient(
                central.url,
                device_token=enrolled.device_token,
                staff_session=session,
                timeouts=timeouts,
            )

        online = Counter(
            store,
            desk,
            clock=lambda: NOW,
            central_lookup=central_lookup_for(
                SimpleNamespace(client=staff_client), learn_name=keeper.learned_name
            ),
        )
        keeper.identified(named, HolderSource.TYPED)
        assert t("counter.customer.no_name") in keeper.bar_text()
        answer = online.query(named, LookupPurpose.HOLDER_ENQUIRY)
        assert isinstance(answer, QueryAnswer) and answer.source == "central", answer
        current = keeper.current
        assert current is not None and current.masked_name == "张**"
        assert "张**" in keeper.bar_text() and "张三丰" not in keeper.bar_text()
        assert "张三丰" not in repr(current)
        assert "张三丰" not in str(store.card_cache.get(named_id).record)  # never cached
        head = store.audit.head
        shown = keeper.desk.reveal_name(store.audit, actor=TELLER, why="counter_service")
        assert shown == "张三丰"
        assert store.audit.head == head + 1
        assert store.audit.entries(limit=1)[-1].action == "counter.name_revealed"

        # Another person, with no name at the central: the session says so, nothing to reveal.
        keeper.identified(unnamed, HolderSource.TYPED)
        answer = online.query(unnamed, LookupPurpose.HOLDER_ENQUIRY)
        assert isinstance(answer, QueryAnswer) and answer.source == "central", answer
        current = keeper.current
        assert current is not None and current.holder.number == unnamed_id and current.name is None
        assert t("counter.customer.no_name") in keeper.bar_text()
        assert keeper.desk.reveal_name(store.audit, actor=TELLER, why="counter_service") is None
        client.close()
    finally:
        store.close()
