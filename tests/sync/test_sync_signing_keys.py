"""Every command proves its maker, on the device (issue 10, finding 4), against the real central.

A member of staff's online log-in makes a signing key on this device: its public half goes to
the central with the log-in, its private half stays in `staff.json` sealed under a key derived
from the password. The counter signs every request with it when queued, and a teller's
cancellation carries the approving supervisor's signature too, made with the supervisor's key
unlocked by the password they type at the counter. An offline log-in unlocks the key with the
password; a copy of the data folder (or of the key's sealed form) without it is useless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from branch_app.domain.identity import parse_identity
from branch_app.domain.lifecycle import CardRecord, CardState, FunctionStatus
from branch_app.domain.vocabulary import CancellationReason, Outcome, Place, Role
from branch_app.services.counter import Accepted, Approval, Counter, Desk, approve
from branch_app.store import LocalStore, MemoryKeyring
from sync.auth import (
    SIGNING_KEY,
    Authenticator,
    CommandSigner,
    FirstLoginNeedsCentral,
    SigningKeyLocked,
    StaffDirectory,
    StaffSession,
)
from sync.client import CentralClient, Timeouts
from sync.engine import RetryPolicy, SyncEngine
from sync.protocol import WithdrawnStaff
from sync.state import StorePullTarget, SyncState
from tests.counter.conftest import ADULT, NOW
from tests.sync.helpers import central_outcomes

pytestmark = pytest.mark.slow

TELLER, SUPERVISOR = "T400", "S400"
PASSWORD, SUPERVISOR_PASSWORD = "teller-password-4", "supervisor-password-4"
QUICK = RetryPolicy(attempts=20, timeout=30, wait_initial=0.05, wait_max=0.3, wait_jitter=0.05)
TIMEOUTS = Timeouts(connect=2.0, read=10.0, write=5.0, pool=5.0)


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(TELLER, PASSWORD, role="teller")
        running.add_staff(SUPERVISOR, SUPERVISOR_PASSWORD, role="supervisor")
        yield running


class Pc:
    """One enrolled counter PC: its store, its staff login, its sync engine."""

    def __init__(self, central: Any, folder: Path) -> None:
        self.central = central
        self.enrolled = central.enrol_device()
        self.store = LocalStore.open(folder, keyring=MemoryKeyring())
        self.online = True
        self.client = CentralClient(
            central.url, device_token=self.enrolled.device_token, timeouts=TIMEOUTS
        )
        self.engine = SyncEngine(
            self.store.outbox,
            self.client,
            StorePullTarget(self.store.card_cache, SyncState.in_folder(self.store.data_dir)),
            retry=QUICK,
        )

    def connect(self) -> CentralClient:
        return CentralClient(
            self.central.url, device_token=self.enrolled.device_token, timeouts=TIMEOUTS
        )

    def authenticator(self) -> Authenticator:
        """The staff login: the central when `online`, else the offline verifier."""
        return Authenticator(
            StaffDirectory.for_store(self.store), self.connect if self.online else None
        )

    def login(self, staff_id: str, password: str) -> StaffSession:
        return self.authenticator().login(staff_id, password)

    def counter(self, session: StaffSession) -> Counter:
        desk = Desk(
            staff_id=session.staff_id,
            role=session.role,
            place=Place.BRANCH,
            branch=self.enrolled.branch,
            device=self.enrolled.device_id,
            bank="icbc",
            signer=session.signer,
        )
        return Counter(self.store, desk, clock=lambda: NOW)

    def close(self) -> None:
        self.client.close()
        self.store.close()


@pytest.fixture
def pc(central: Any, tmp_path: Path) -> Iterator[Pc]:
    opened = Pc(central, tmp_path / "store")
    try:
        yield opened
    finally:
        opened.close()


def card_in_use(version: int = 1) -> CardRecord:
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


def put_card(central: Any, pc: Pc) -> None:
    """The card at the central, and as this PC knows it (its cache)."""
    from central.service import CentralService

    database = central.database()
    CentralService(database, database.audit_key()).put_record(card_in_use())
    pc.store.card_cache.put(card_in_use())


def holder() -> Any:
    return parse_identity(ADULT, today=NOW.date())


def answers(pc: Pc, ids: list[str]) -> list[tuple[str, str | None]]:
    """What the central recorded for each item, and the reason the outbox kept."""
    summary = pc.engine.run()
    assert summary.ok, summary
    outcomes = central_outcomes(pc.central, ids)
    kept = []
    for item_id in ids:
        item = pc.store.outbox.get(item_id)
        reason = (item.result or {}).get("reason")
        kept.append((outcomes[item_id][0], reason))
    return kept


def test_an_online_login_signs_the_counters_requests_and_the_central_applies_them(
    central: Any, pc: Pc
) -> None:
    put_card(central, pc)
    session = pc.login(TELLER, PASSWORD)
    assert session.signer is not None and not session.offline

    taken = pc.counter(session).report_loss(holder())

    assert isinstance(taken, Accepted)
    item = pc.store.outbox.get(taken.outbox_id)
    assert item.signature is not None and item.signature.startswith(session.signer.key_id)
    assert answers(pc, [taken.outbox_id]) == [(Outcome.APPLIED.value, None)]


def test_a_request_queued_without_a_key_is_rejected_as_not_proven(central: Any, pc: Pc) -> None:
    """The finding on the device's side: an outbox item with no signature is not taken."""
    put_card(central, pc)
    session = pc.login(TELLER, PASSWORD)
    unsigned = Counter(
        pc.store,
        Desk(
            TELLER,
            Role.TELLER,
            Place.BRANCH,
            pc.enrolled.branch,
            pc.enrolled.device_id,
            bank="icbc",
        ),
        clock=lambda: NOW,
    ).report_loss(holder())
    assert isinstance(unsigned, Accepted) and session.signer is not None

    assert answers(pc, [unsigned.outbox_id]) == [("rejected", "maker_not_proven")]


def test_an_offline_login_unlocks_the_key_and_offline_requests_are_applied_after_sync(
    central: Any, pc: Pc
) -> None:
    put_card(central, pc)
    pc.login(TELLER, PASSWORD)  # online once: the verifier and the key are kept here
    pc.online = False

    session = pc.login(TELLER, PASSWORD)

    assert session.offline and session.signer is not None
    taken = pc.counter(session).report_loss(holder())
    assert isinstance(taken, Accepted)
    pc.online = True
    assert answers(pc, [taken.outbox_id]) == [(Outcome.APPLIED.value, None)]


def test_a_teller_cancellation_carries_the_approvers_signature(central: Any, pc: Pc) -> None:
    """The supervisor types their password at the teller's counter (`approve`): their key on
    this device signs the request too. Named without it, the central refuses it."""
    put_card(central, pc)
    teller = pc.login(TELLER, PASSWORD)
    approval = approve(pc, SUPERVISOR, SUPERVISOR_PASSWORD)
    assert isinstance(approval, Approval) and approval.signer is not None
    counter = pc.counter(teller)

    unproven = counter.cancel(
        holder(),
        CancellationReason.DEATH,
        evidence="GZPOL-2026-000123",
        approved_by=SUPERVISOR,
        approval_verified=True,
    )
    assert isinstance(unproven, Accepted)
    assert answers(pc, [unproven.outbox_id]) == [("rejected", "approver_not_proven")]

    approved = counter.cancel(
        holder(),
        CancellationReason.DEATH,
        evidence="GZPOL-2026-000123",
        approved_by=SUPERVISOR,
        approval_verified=True,
        approver_signer=approval.signer,
    )
    assert isinstance(approved, Accepted)
    assert pc.store.outbox.get(approved.outbox_id).approver_signature is not None
    assert answers(pc, [approved.outbox_id]) == [(Outcome.APPLIED.value, None)]


def test_the_key_copied_without_the_password_is_useless(
    central: Any, pc: Pc, tmp_path: Path
) -> None:
    """The sealed key, even read with the data key (a copied folder and keyring), opens only
    with the password; the raw key is nowhere in the file; another store cannot read it."""
    session = pc.login(TELLER, PASSWORD)
    assert session.signer is not None
    directory = StaffDirectory.for_store(pc.store)
    sealed = directory.get(TELLER).extra[SIGNING_KEY]

    with pytest.raises(SigningKeyLocked):
        CommandSigner.unsealed(TELLER, sealed, "not the password")
    with pytest.raises(SigningKeyLocked):  # bound to the person: no use under another id
        CommandSigner.unsealed(SUPERVISOR, sealed, PASSWORD)
    opened = CommandSigner.unsealed(TELLER, sealed, PASSWORD)
    assert opened.public_key == session.signer.public_key

    raw_file = (Path(pc.store.data_dir) / "staff.json").read_bytes()
    assert session.signer.public_key.encode() not in raw_file  # sealed as a whole, too
    with LocalStore.open(tmp_path / "elsewhere", keyring=MemoryKeyring()) as other:
        copy = Path(other.data_dir) / "staff.json"
        copy.write_bytes(raw_file)
        # Another store's keys: the person's entry is not even found, let alone opened.
        assert SIGNING_KEY not in StaffDirectory.for_store(other).get(TELLER).extra
    assert orjson.loads(raw_file)["format"] == "branch-app-staff"


def test_a_withdrawal_drops_the_key_on_the_device(central: Any, pc: Pc) -> None:
    pc.login(TELLER, PASSWORD)
    directory = StaffDirectory.for_store(pc.store)
    assert SIGNING_KEY in directory.get(TELLER).extra
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)).isoformat()

    directory.withdraw([WithdrawnStaff(staff_id=TELLER, at=later)])

    assert SIGNING_KEY not in directory.get(TELLER).extra
    pc.online = False
    with pytest.raises(FirstLoginNeedsCentral):  # the verifier went with it
        pc.login(TELLER, PASSWORD)
