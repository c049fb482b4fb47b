"""Shared pieces of the sync tests: holders, command mixes, a device with its store, the checks."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from branch_app.domain.card_number import card_number_check_character
from branch_app.domain.identity import resident_check_character
from branch_app.domain.lifecycle import (
    ApplicationKind,
    Apply,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    IssuanceSpeed,
    LossChannel,
    ReportLoss,
    Unlock,
    command_to_dict,
)
from branch_app.services.counter import signing
from branch_app.store import LocalStore
from branch_app.store.crypto import MemoryKeyring
from sync.auth import CommandSigner, StaffSession
from sync.client import CentralClient, Timeouts
from sync.engine import RetryPolicy, SyncEngine
from sync.service import SyncService
from sync.state import StorePullTarget, SyncState

TODAY = dt.date(2026, 11, 2)
#: Retries quick enough for tests, patient enough to outlive a central restart.
TEST_RETRY = RetryPolicy(attempts=60, timeout=60, wait_initial=0.05, wait_max=0.3, wait_jitter=0.05)

_serial = itertools.count(1)


def next_serial() -> int:
    """A number never used before in this process (for holders and card numbers)."""
    return next(_serial)


def holder_id(n: int | None = None) -> str:
    """A valid resident ID number, different on every call (born 1980-1999 in Guangzhou)."""
    n = next(_serial) if n is None else n
    # Unique beyond 1000 by varying the birth month and day.
    month, day = 1 + (n // 1000) % 12, 1 + (n // 12000) % 28
    first17 = f"440106{1980 + n % 20}{month:02d}{day:02d}{n % 1000:03d}"
    return first17 + resident_check_character(first17)


def card_number(n: int) -> str:
    first8 = f"G{n:07d}"
    return first8 + card_number_check_character(first8)


def lifecycle_commands(n: int) -> list[Command]:
    """A realistic life of one card: apply, issue, collect, lose, find (the card read in the
    reader), lose again."""
    return [
        Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, TODAY, photo_receipt=f"GZ{n:012d}"),
        ConfirmIssuance(card_number(n), TODAY + dt.timedelta(days=14)),
        ConfirmCollection(TODAY + dt.timedelta(days=16)),
        ReportLoss(LossChannel.CARD_BANK_BRANCH),
        Unlock(at_card_bank=True, card_number=card_number(n), card_read=True),
        ReportLoss(LossChannel.OTHER_BANK_BRANCH),
    ]


@dataclass
class Device:
    """One branch device: its store, its client to the central (maybe via a proxy), its engine."""

    store: LocalStore
    device_id: str
    token: str
    branch: str
    actor: str
    enrolled: Any = None  # the devserver's EnrolledDevice (for its helpers)
    #: The actor's signing key on this device (registered at the central as their online
    #: log-in would): every command is signed with it when queued, as the counter signs.
    signer: CommandSigner | None = None
    #: Supervisors' keys on this device by staff id: a command naming one as its approver is
    #: signed by them too (as their password typed at the counter unlocks it).
    approvers: dict[str, CommandSigner] = field(default_factory=dict)

    def enqueue(self, holder: str, command: Command, base_version: int = 0) -> str:
        approver = self.approvers.get(getattr(command, "approved_by", None) or "")
        item = self.store.outbox.enqueue(
            command.kind,
            holder,
            command_to_dict(command),
            base_version=base_version,
            actor=self.actor,
            device=self.device_id,
            branch=self.branch,
            sign=signing(self.signer, approver),
        )
        return item.id

    def engine(
        self,
        url: str,
        *,
        read_timeout: float = 10.0,
        batch_size: int = 50,
        retry: RetryPolicy = TEST_RETRY,
    ) -> SyncEngine:
        client = CentralClient(
            url,
            device_token=self.token,
            timeouts=Timeouts(connect=2.0, read=read_timeout, write=5.0, pool=5.0),
        )
        state = SyncState.in_folder(self.store.data_dir)
        return SyncEngine(
            self.store.outbox,
            client,
            StorePullTarget(self.store.card_cache, state),
            batch_size=batch_size,
            retry=retry,
        )


def open_device(
    central: Any, folder: Path, actor: str, keyring: MemoryKeyring | None = None
) -> Device:
    """A device at an instant-issuance branch: a card life here includes recording the card
    it printed (elsewhere only the card agency reports a card as issued)."""
    enrolled = central.enrol_device(place="instant_branch")
    store = LocalStore.open(folder, keyring=keyring or MemoryKeyring())
    return Device(
        store,
        enrolled.device_id,
        enrolled.device_token,
        enrolled.branch,
        actor,
        enrolled,
        signer=registered_signer(central, actor, enrolled.device_id),
    )


def signed_in(
    central: Any, enrolled: Any, store: LocalStore, staff_id: str, password: str
) -> StaffSession:
    """An online log-in on this device through the staff login (`sync.auth.Authenticator`),
    as the counter's log-in screen makes it: the session carries the person's signing key,
    registered at the central and kept sealed under the password in the store's staff.json."""
    from sync.auth import Authenticator, StaffDirectory

    def connect() -> CentralClient:
        return CentralClient(
            central.url,
            device_token=enrolled.device_token,
            timeouts=Timeouts(connect=2.0, read=10.0, write=5.0, pool=5.0),
        )

    session = Authenticator(StaffDirectory.for_store(store), connect).login(staff_id, password)
    assert session.signer is not None and not session.offline
    return session


def registered_signer(central: Any, staff_id: str, device_id: str) -> CommandSigner:
    """A signing key for `staff_id` on `device_id`, registered in the central's database as
    their online log-in on that device registers it."""
    from central.auth import register_signing_key

    signer = CommandSigner.generate(staff_id)
    database = central.database()
    with database.write() as conn:
        expires = register_signing_key(
            conn,
            database,
            staff_id=staff_id,
            device_id=device_id,
            public_key=signer.public_key,
            now=dt.datetime.now(dt.UTC),
            days=7,
        )
    assert expires is not None
    signer.expires_at = expires.isoformat()
    return signer


def fill_with_lives(device: Device, cards: int) -> list[str]:
    """Queue whole card lives for `cards` new holders, interleaved across cards; the item ids."""
    lives = []
    for _ in range(cards):
        n = next(_serial)
        lives.append((holder_id(n), lifecycle_commands(n)))
    ids = []
    for step in range(6):
        for holder, commands in lives:
            ids.append(device.enqueue(holder, commands[step]))
    return ids


def central_outcomes(central: Any, ids: Iterable[str]) -> dict[str, list[str]]:
    """The central's recorded outcome(s) per command id (a list, to see any double)."""
    from central import models

    wanted = list(ids)
    found: dict[str, list[str]] = {i: [] for i in wanted}
    with central.database().read() as conn:
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            rows = conn.execute(
                select(models.commands.c.id, models.commands.c.outcome).where(
                    models.commands.c.id.in_(chunk)
                )
            )
            for row in rows:
                found[row.id].append(row.outcome)
    return found


OUTBOX_STATUS_OF = {
    "applied": "accepted",
    "merged": "merged",
    "conflict": "conflict",
    "rejected": "rejected",
}


def assert_answered_exactly_once(central: Any, device: Device, ids: list[str]) -> None:
    """Every command reached the central once and its one answer is what the outbox recorded."""
    outcomes = central_outcomes(central, ids)
    lost = [i for i, found in outcomes.items() if not found]
    doubled = [i for i, found in outcomes.items() if len(found) > 1]
    assert not lost, f"{len(lost)} commands never reached the central"
    assert not doubled, f"{len(doubled)} commands recorded twice"
    counts = device.store.outbox.counts()
    assert counts["pending"] == 0 and counts["sending"] == 0, counts
    for item_id in ids:
        item = device.store.outbox.get(item_id)
        assert item.status == OUTBOX_STATUS_OF[outcomes[item_id][0]], (
            item.status,
            outcomes[item_id],
        )


def wait_for(
    condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition"
) -> None:
    """Wait for `condition` with a deadline, polling on an Event (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        pause.wait(0.02)


@contextmanager
def enrolled_service(
    central: Any, folder: Path, keyring: Any, branch: str
) -> Iterator[tuple[SyncService, LocalStore]]:
    """A device of `branch` as the app holds it: its store in `folder` and a `SyncService`
    enrolled with `central` (background sync off, quick retries), closed afterwards."""
    from branch_app.config import AppConfig, BranchProfile, CentralConfig, StoreConfig

    config = replace(
        AppConfig(),
        branch=BranchProfile(code=branch, bank="icbc"),
        central=CentralConfig(url=central.url, timeout_seconds=5.0, auto_sync=False),
        store=StoreConfig(data_dir=str(folder)),
    )
    quick = RetryPolicy(attempts=3, timeout=5, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)
    store = LocalStore.open(folder, keyring=keyring)
    sync = SyncService(config, store, retry=quick)
    try:
        sync.enrol(central.issue_enrolment_code(branch=branch), "counter 1")
        yield sync, store
    finally:
        sync.close()
        store.close()
