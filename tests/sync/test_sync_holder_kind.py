"""The holder's document kind travels from the counter to the central (issue 11, finding 1's
holders): a passport number is read only with its kind, so the outbox keeps the kind, the wire
carries it, and the real central reads the number with it.

Against the central under uvicorn on 127.0.0.1: the counter takes the request into the real
store, the real sync engine sends it. And the outbox on its own: the kind is sealed and bound to
its item, an item queued before the kind was kept still reads, and `store check` and a key
rotation see the new field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest

from branch_app.domain.identity import (
    IdentityKind,
    IdentityNumber,
    parse_identity,
    resident_check_character,
)
from branch_app.domain.lifecycle import Applicant, ApplicationKind, Representative
from branch_app.domain.vocabulary import LookupPurpose, Place, Presenter, Role
from branch_app.services.counter import (
    Accepted,
    Counter,
    Desk,
    QueryAnswer,
    central_lookup_for,
    signing,
)
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.store.errors import DecryptionFailed, StoreCorrupt
from sync.client import CentralClient, CentralRejected, Timeouts
from sync.engine import RetryPolicy, SyncEngine, wire_command
from sync.protocol import LookupRequest
from sync.state import StorePullTarget, SyncState
from tests.sync.helpers import central_outcomes, registered_signer

TELLER, PASSWORD = "T300", "teller-password-3"
PHOTO = "GZ2026110200B5"
#: Beijing time now: the central decides on its own today, so the counter uses the same day.
CHINA = dt.timezone(dt.timedelta(hours=8))
#: Made-up documents: a passport, a 2017 permanent residence ID, an adult agent's resident ID.
PASSPORT = "E12345678"
PERMANENT_2017 = "CAN310119850505"
AGENT_ID = "44010619800202123" + resident_check_character("44010619800202123")
RESIDENT = "44010619910303123" + resident_check_character("44010619910303123")
QUICK_RETRY = RetryPolicy(
    attempts=20, timeout=30, wait_initial=0.05, wait_max=0.3, wait_jitter=0.05
)
TIMEOUTS = Timeouts(connect=2.0, read=10.0, write=5.0, pool=5.0)


def now() -> dt.datetime:
    return dt.datetime.now(CHINA)


@pytest.fixture(scope="module")
def central() -> Iterator[object]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(TELLER, PASSWORD, role="teller")
        yield running


class Branch:
    """One enrolled counter PC: its store, its counter service, its sync engine."""

    def __init__(self, central, folder: Path) -> None:
        self.central = central
        self.enrolled = central.enrol_device()
        self.store = LocalStore.open(folder, keyring=MemoryKeyring())
        self.client = CentralClient(
            central.url, device_token=self.enrolled.device_token, timeouts=TIMEOUTS
        )
        self.engine = SyncEngine(
            self.store.outbox,
            self.client,
            StorePullTarget(self.store.card_cache, SyncState.in_folder(self.store.data_dir)),
            batch_size=50,
            retry=QUICK_RETRY,
        )
        self.desk = Desk(
            staff_id=TELLER,
            role=Role.TELLER,
            place=Place.BRANCH,
            branch=self.enrolled.branch,
            device=self.enrolled.device_id,
            bank="icbc",
            signer=registered_signer(central, TELLER, self.enrolled.device_id),
        )
        self.counter = Counter(self.store, self.desk, clock=now)

    def staff_client(self) -> CentralClient:
        session = self.central.login(self.enrolled, TELLER, PASSWORD).session_token
        return CentralClient(
            self.central.url,
            device_token=self.enrolled.device_token,
            staff_session=session,
            timeouts=TIMEOUTS,
        )

    def close(self) -> None:
        self.client.close()
        self.store.close()


@pytest.fixture
def branch(central, tmp_path: Path) -> Iterator[Branch]:
    opened = Branch(central, tmp_path / "store")
    try:
        yield opened
    finally:
        opened.close()


def agent_for(holder_birth_date: dt.date) -> Applicant:
    """An adult agent with a valid resident ID applies for a holder whose number has no birth
    date (the birth date is read from the holder's document)."""
    return Applicant(
        presenter=Presenter.AGENT,
        holder_birth_date=holder_birth_date,
        representative=Representative(
            kind=IdentityKind.RESIDENT, number=AGENT_ID, name="Agent Chan"
        ),
    )


def applied_exactly_once(branch: Branch, item_id: str) -> None:
    """A sync sends the item, the central applies it; a second sync sends nothing again."""
    summary = branch.engine.run()
    assert summary.ok and summary.outcomes["applied"] == 1, summary
    assert branch.store.outbox.get(item_id).status == "accepted"
    again = branch.engine.run()
    assert again.ok and sum(again.outcomes.values()) == 0, again
    assert central_outcomes(branch.central, [item_id]) == {item_id: ["applied"]}


@pytest.mark.slow
def test_a_passport_holders_first_application_is_applied_at_the_central(branch: Branch) -> None:
    holder = branch.counter.identify(PASSPORT, IdentityKind.PASSPORT)
    assert isinstance(holder, IdentityNumber) and holder.kind is IdentityKind.PASSPORT
    accepted = branch.counter.apply(
        holder,
        ApplicationKind.FIRST,
        photo_receipt=PHOTO,
        applicant=agent_for(dt.date(1985, 5, 5)),
    )
    assert isinstance(accepted, Accepted), accepted
    item = branch.store.outbox.get(accepted.outbox_id)
    assert item.holder_id == PASSPORT and item.holder_kind is IdentityKind.PASSPORT
    assert wire_command(item).holder_kind is IdentityKind.PASSPORT

    applied_exactly_once(branch, accepted.outbox_id)
    record = branch.store.card_cache.get(PASSPORT)
    assert record is not None and record.record["application"]["kind"] == "first"


@pytest.mark.slow
def test_a_2017_permanent_residence_id_holders_application_is_applied(branch: Branch) -> None:
    holder = branch.counter.identify(PERMANENT_2017, IdentityKind.FOREIGN_PERMANENT_2017)
    assert isinstance(holder, IdentityNumber), holder
    accepted = branch.counter.apply(
        holder,
        ApplicationKind.FIRST,
        photo_receipt=PHOTO,
        applicant=Applicant(holder_birth_date=dt.date(1985, 5, 5)),  # the holder in person
    )
    assert isinstance(accepted, Accepted), accepted
    assert branch.store.outbox.get(accepted.outbox_id).holder_kind is (
        IdentityKind.FOREIGN_PERMANENT_2017
    )
    applied_exactly_once(branch, accepted.outbox_id)


@pytest.mark.slow
def test_a_lookup_of_a_passport_holder_finds_the_record(branch: Branch) -> None:
    passport = "P87654321"
    holder = parse_identity(passport, kind=IdentityKind.PASSPORT)
    accepted = branch.counter.apply(
        holder, ApplicationKind.FIRST, photo_receipt=PHOTO, applicant=agent_for(dt.date(1970, 1, 2))
    )
    assert isinstance(accepted, Accepted), accepted
    assert branch.engine.run().ok

    online = Counter(
        branch.store,
        branch.desk,
        clock=now,
        central_lookup=central_lookup_for(SimpleNamespace(client=branch.staff_client)),
    )
    answer = online.query(holder, LookupPurpose.HOLDER_ENQUIRY)
    assert isinstance(answer, QueryAnswer), answer
    assert answer.source == "central" and answer.central_problem is None, answer
    assert answer.record.holder_id == passport and answer.record.application is not None

    # Without its kind the number is no identity number: refused as a body, not "no record".
    with branch.staff_client() as client, pytest.raises(CentralRejected) as caught:
        client.lookup(LookupRequest(holder_id=passport, purpose=LookupPurpose.HOLDER_ENQUIRY))
    assert caught.value.status == 422 and caught.value.code == "invalid_body"


@pytest.mark.slow
def test_an_item_queued_without_a_kind_still_works_for_a_resident_id(branch: Branch) -> None:
    """As a device of the previous version queued it: no kind in the outbox or on the wire."""
    from branch_app.domain.lifecycle import Apply, IssuanceSpeed, command_to_dict

    command = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, now().date(), photo_receipt=PHOTO)
    item = branch.store.outbox.enqueue(
        command.kind,
        RESIDENT,
        command_to_dict(command),
        base_version=0,
        actor=TELLER,
        device=branch.enrolled.device_id,
        branch=branch.enrolled.branch,
        sign=signing(branch.desk.signer),
    )
    assert item.holder_kind is None
    assert b"holder_kind" not in wire_command(item).model_dump_json().encode()
    applied_exactly_once(branch, item.id)


# The outbox on its own -------------------------------------------------------------------------


def _enqueue(store: LocalStore, holder_id: str, kind: IdentityKind | None) -> str:
    from branch_app.domain.lifecycle import Apply, IssuanceSpeed, command_to_dict

    command = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, now().date(), photo_receipt=PHOTO)
    return store.outbox.enqueue(
        command.kind,
        holder_id,
        command_to_dict(command),
        base_version=0,
        actor=TELLER,
        device="PC-01",
        branch="GZ-001",
        holder_kind=kind,
    ).id


def _items(data_dir: Path) -> tuple[Path, dict]:
    path = data_dir / "outbox.json"
    envelope = orjson.loads(path.read_bytes())
    return path, envelope


def test_the_outbox_keeps_the_kind_sealed_and_an_old_item_reads_without_it(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    data_dir = tmp_path / "data"
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        passport = _enqueue(store, PASSPORT, IdentityKind.PASSPORT)
        old = _enqueue(store, RESIDENT, IdentityKind.RESIDENT)
    path, envelope = _items(data_dir)
    text = path.read_text()
    assert PASSPORT not in text and '"passport"' not in text  # sealed like the number
    for doc in envelope["tables"]["items"].values():
        if doc["id"] == old:
            del doc["holder_kind"]  # as an item queued before the kind was kept
    path.write_bytes(orjson.dumps(envelope))

    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        assert store.outbox.get(passport).holder_kind is IdentityKind.PASSPORT
        assert store.outbox.get(old).holder_kind is None
        assert store.check().outbox_items == 2
        store.rotate_key()  # the kind is resealed with the rest
        assert store.outbox.get(passport).holder_kind is IdentityKind.PASSPORT
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        assert store.check().outbox_items == 2
        assert store.outbox.get(passport).holder_kind is IdentityKind.PASSPORT


def test_a_kind_moved_to_another_item_or_of_the_wrong_type_is_found(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    data_dir = tmp_path / "data"
    with LocalStore.open(data_dir, keyring=memory_keyring) as store:
        first = _enqueue(store, PASSPORT, IdentityKind.PASSPORT)
        _enqueue(store, RESIDENT, IdentityKind.RESIDENT)
    path, envelope = _items(data_dir)
    docs = envelope["tables"]["items"]
    a, b = docs["1"], docs["2"]
    assert a["id"] == first
    a["holder_kind"], b["holder_kind"] = b["holder_kind"], a["holder_kind"]
    path.write_bytes(orjson.dumps(envelope))
    with (
        LocalStore.open(data_dir, keyring=memory_keyring) as store,
        pytest.raises(DecryptionFailed),  # each kind is bound to its own item
    ):
        store.check()

    a["holder_kind"] = 7
    path.write_bytes(orjson.dumps(envelope))
    with pytest.raises(StoreCorrupt, match="holder_kind"):
        LocalStore.open(data_dir, keyring=memory_keyring)
