"""The data change (信息变更) end to end: the domain rule, the counter, the screen, the offline queue,
the real central and its conflict rule. The first service built on the one admission path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from branch_app.domain.identity import mask_contact, parse_identity
from branch_app.domain.lifecycle import (
    CancellationReason,
    CardRecord,
    CardState,
    ChangeContact,
    Contact,
    FunctionStatus,
    command_from_dict,
    record_from_dict,
)
from branch_app.domain.vocabulary import OutboxStatus, Outcome, Place, RefusalReason, Role
from branch_app.services.counter import Accepted, Counter, Desk, Preview, Refusal
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.ui.screens.data_change import DataChangeScreen
from branch_app.ui.service_menu import menu_for
from sync.client import CentralClient, Timeouts
from sync.engine import RetryPolicy, SyncEngine
from sync.state import StorePullTarget, SyncState
from tests.sync.helpers import signed_in
from tests.ui.conftest import wait_until

from .conftest import ADULT, NOW, desk, make_counter
from .screens import SIZE, counter_app, shown

MOBILE, ADDRESS = "13800138000", "广州市天河区体育西路1号"


def card_in_use(version: int = 2) -> CardRecord:
    return CardRecord(
        holder_id=ADULT,
        version=version,
        card_number="X00000019",
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank="icbc",
        generation=3,
    )


def holder():
    return parse_identity(ADULT, today=NOW.date())


def change(
    counter: Counter, *, mobile: str = "", address: str = "", dry_run: bool = False
) -> Accepted | Preview | Refusal:
    """What the screen does: the command from the typed details, through the counter's `take`."""
    command = ChangeContact(mobile=mobile or None, address=address or None)
    return counter.take(holder(), command, why="data_change:contact", dry_run=dry_run)


# -- through the counter ------------------------------------------------------------------------


def test_a_contact_change_is_queued_encrypted_and_audited(store: LocalStore) -> None:
    store.card_cache.put(card_in_use())
    outcome = change(make_counter(store), mobile=MOBILE, address=ADDRESS)
    assert isinstance(outcome, Accepted)
    assert outcome.fee.amount_yuan == 0 and outcome.due is None  # no new card
    assert outcome.record_after.contact == Contact(MOBILE, ADDRESS)
    item = store.outbox.get(outcome.outbox_id)
    assert item.status == OutboxStatus.PENDING
    assert command_from_dict(item.payload) == ChangeContact(mobile=MOBILE, address=ADDRESS)
    entry = store.audit.entries()[-1]
    assert entry.action == "counter.change_contact" and entry.reason == "data_change:contact"
    for name in ("outbox.json", "card_cache.json"):  # encrypted at rest
        assert MOBILE not in (store.data_dir / name).read_text(encoding="utf-8")
    assert not any(MOBILE in p.read_text("utf-8") for p in (store.data_dir / "audit").iterdir())


def test_a_blank_detail_stays_and_the_same_details_merge(store: LocalStore) -> None:
    store.card_cache.put(card_in_use())
    counter = make_counter(store)
    assert isinstance(change(counter, mobile=MOBILE), Accepted)
    later = change(counter, address=ADDRESS)  # sees the queued mobile change
    assert isinstance(later, Accepted)
    assert later.record_after.contact == Contact(MOBILE, ADDRESS)
    again = change(counter, mobile=MOBILE, dry_run=True)
    assert isinstance(again, Preview) and again.merged


@pytest.mark.parametrize(
    ("mobile", "address", "reason"),
    [
        ("", "", RefusalReason.CONTACT_REQUIRED),
        ("1380013800", "", RefusalReason.MOBILE_MALFORMED),  # 10 digits
        ("23800138000", "", RefusalReason.MOBILE_MALFORMED),  # not a mobile prefix
    ],
)
def test_bad_details_are_refused_and_nothing_is_written(
    store: LocalStore, mobile: str, address: str, reason: RefusalReason
) -> None:
    store.card_cache.put(card_in_use())
    outcome = change(make_counter(store), mobile=mobile, address=address)
    assert isinstance(outcome, Refusal) and outcome.code == reason.value
    assert len(store.outbox) == 0 and store.audit.head == 0


def test_no_change_for_a_deceased_holder_nor_an_unknown_person(store: LocalStore) -> None:
    counter = make_counter(store)
    unknown = change(counter, mobile=MOBILE)
    assert isinstance(unknown, Refusal) and unknown.code == RefusalReason.NO_RECORD.value
    store.card_cache.put(
        CardRecord(
            holder_id=ADULT,
            version=5,
            card_state=CardState.CANCELLED,
            social_security=FunctionStatus.CLOSED,
            financial=FunctionStatus.CLOSED,
            cancellation_reason=CancellationReason.DEATH,
        )
    )
    deceased = change(counter, mobile=MOBILE)
    assert isinstance(deceased, Refusal) and deceased.code == RefusalReason.HOLDER_DECEASED.value


def test_on_a_home_visit_and_at_the_counter(store: LocalStore) -> None:
    store.card_cache.put(card_in_use())
    visit = make_counter(store, desk(Role.HOME_VISIT, Place.HOME_VISIT, "H001"))
    assert isinstance(change(visit, mobile=MOBILE), Accepted)
    assert {e.service.id: e.blocked_by for e in menu_for(Role.HOME_VISIT, Place.HOME_VISIT)}[
        "data_change"
    ] is None
    assert "data_change" in {e.service.id for e in menu_for(Role.TELLER, Place.BRANCH)}


def test_the_new_details_are_masked_on_screen() -> None:
    assert mask_contact(MOBILE) == "138****8000"
    assert MOBILE[3:7] not in mask_contact(MOBILE)
    assert mask_contact(ADDRESS).startswith("广州市") and "体育西路" not in mask_contact(ADDRESS)


# -- through the screen -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_the_screen_takes_a_contact_change(store: LocalStore, language: str) -> None:
    store.card_cache.put(card_in_use())
    app = counter_app(store, language=language)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_service("data_change")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, DataChangeScreen)
                and bool(app.screen.query("#change-mobile"))
            ),
        )
        screen = app.screen
        for selector, text in (("#counter-holder", ADULT), ("#change-mobile", MOBILE)):
            field = screen.query_one(selector, Input)
            field.focus()
            await pilot.press(*text)
            await wait_until(pilot, lambda f=field, x=text: f.value == x)
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen is not screen)  # the confirm dialog
        dialog_text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "138****8000" in dialog_text and MOBILE not in dialog_text
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(screen.outcome, Accepted))
        result = shown(app, "#counter-result")
        assert ("Change of contact details" if language == "en" else "变更联系信息") in result
        assert MOBILE not in result
    assert store.outbox.items()[0].kind == "change_contact"


# -- with the real central ------------------------------------------------------------------------

TELLER, PASSWORD = "T300", "teller-password-3"
QUICK = RetryPolicy(attempts=20, timeout=30, wait_initial=0.05, wait_max=0.3, wait_jitter=0.05)


def central_service(central):
    from central.service import CentralService

    database = central.database()
    return CentralService(database, database.audit_key())


def record_at_central(central) -> CardRecord:
    import orjson
    from sqlalchemy import select

    from central import models

    with central.database().read() as conn:
        text = conn.execute(
            select(models.cards.c.record).where(models.cards.c.holder_id == ADULT)
        ).scalar_one()
    return record_from_dict(orjson.loads(text))


@pytest.fixture(scope="module")
def central() -> Iterator[object]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(TELLER, PASSWORD, role="teller")
        yield running


@pytest.mark.slow
def test_queued_offline_then_applied_once_by_the_central(central, tmp_path: Path) -> None:
    enrolled = central.enrol_device()
    central_service(central).put_record(card_in_use(version=1))
    store = LocalStore.open(tmp_path / "store", keyring=MemoryKeyring())
    try:
        store.card_cache.put(card_in_use(version=1))
        # The teller logged in online earlier on this device: their signing key is here.
        signer = signed_in(central, enrolled, store, TELLER, PASSWORD).signer
        the_desk = Desk(
            TELLER, Role.TELLER, Place.BRANCH, enrolled.branch, enrolled.device_id, signer=signer
        )
        counter = Counter(store, the_desk, clock=lambda: NOW)
        taken = change(counter, mobile=MOBILE, address=ADDRESS)
        assert isinstance(taken, Accepted)  # offline: nothing has been sent yet

        client = CentralClient(
            central.url,
            device_token=enrolled.device_token,
            timeouts=Timeouts(connect=2.0, read=10.0, write=5.0, pool=5.0),
        )
        engine = SyncEngine(
            store.outbox,
            client,
            StorePullTarget(store.card_cache, SyncState.in_folder(store.data_dir)),
            retry=QUICK,
        )
        summary = engine.run()
        assert summary.ok and summary.outcomes[Outcome.APPLIED] == 1, summary
        assert engine.run().ok  # nothing sent twice
        assert store.outbox.get(taken.outbox_id).status == OutboxStatus.ACCEPTED
        at_central = record_at_central(central)
        assert at_central.contact == Contact(MOBILE, ADDRESS) and at_central.version == 2
        cached = record_from_dict(store.card_cache.get(ADULT).record)
        assert cached.contact == Contact(MOBILE, ADDRESS)

        # The conflict rule: the holder died meanwhile (another channel); a change queued on
        # the old record is refused by the central and goes to the supervisor.
        central_service(central).put_record(
            CardRecord(
                holder_id=ADULT,
                version=3,
                card_state=CardState.CANCELLED,
                social_security=FunctionStatus.CLOSED,
                financial=FunctionStatus.CLOSED,
                cancellation_reason=CancellationReason.DEATH,
            )
        )
        late = change(counter, address="广州市越秀区1号")
        assert isinstance(late, Accepted)
        summary = engine.run()
        assert summary.outcomes[Outcome.CONFLICT] == 1, summary
        item = store.outbox.get(late.outbox_id)
        assert item.status == OutboxStatus.CONFLICT
        assert item.result is not None and item.result.get("reason") == "holder_deceased"
        client.close()
    finally:
        store.close()


# -- a change of card-face data is an exchange on the police record's evidence --------------------


def test_a_card_face_change_is_an_exchange_resting_on_the_police_record(store: LocalStore) -> None:
    from branch_app.domain.vocabulary import ApplicationKind, ExchangeReason

    store.card_cache.put(card_in_use())
    counter = make_counter(store)
    asked = dict(exchange_reason=ExchangeReason.CARD_FACE_CHANGE, photo_receipt="GZ2025031400A7")
    missing = counter.apply(holder(), ApplicationKind.EXCHANGE, **asked)
    assert isinstance(missing, Refusal)
    assert missing.code == RefusalReason.CARD_FACE_EVIDENCE_REQUIRED.value
    taken = counter.apply(holder(), ApplicationKind.EXCHANGE, evidence="GA-2025-0001", **asked)
    assert isinstance(taken, Accepted)
    assert taken.fee.amount_yuan == 20  # an exchange's fee rules: not a quality problem
    assert command_from_dict(store.outbox.get(taken.outbox_id).payload).evidence == "GA-2025-0001"


async def test_the_exchange_form_asks_for_the_evidence_only_for_card_face_data(
    store: LocalStore,
) -> None:
    from textual.widgets import Select

    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_service("apply_exchange")
        await wait_until(pilot, lambda: bool(app.screen.query("#apply-evidence")))
        evidence = app.screen.query_one("#apply-evidence", Input)
        assert not evidence.display
        app.screen.query_one("#apply-reason", Select).value = "card_face_change"
        await wait_until(pilot, lambda: evidence.display)
        app.screen.query_one("#apply-reason", Select).value = "damage"
        await wait_until(pilot, lambda: not evidence.display)


# -- the worked example of docs/ARCHITECTURE.md ---------------------------------------------------


def test_the_data_change_lives_in_five_source_files_and_this_test() -> None:
    """A new counter service with a new command takes at most six files (docs/ARCHITECTURE.md,
    "Adding a counter service"): the domain rule, the vocabulary entry, its catalog, its screen,
    its menu entry, its test. Nothing in the outbox, the sync, the central or the counter service
    names it: they carry any command by its JSON form and `Counter.take`."""
    root = Path(__file__).resolve().parents[2]
    names = re.compile(
        r"ChangeContact|DataChangeScreen|MOBILE_MALFORMED|CONTACT_REQUIRED|mobile_malformed"
        r"|contact_required|\"counter\.intro\.data_change\""
    )
    defined_in = {
        path.relative_to(root).as_posix()
        for part in ("branch_app", "sync", "central", "readers")
        for path in (root / part).rglob("*.py")
        if names.search(path.read_text(encoding="utf-8"))
    }
    assert defined_in == {
        "branch_app/domain/lifecycle.py",
        "branch_app/domain/vocabulary.py",
        "branch_app/i18n/catalogs/data_change.py",
        "branch_app/ui/screens/data_change.py",
        "branch_app/ui/service_menu.py",
    }
