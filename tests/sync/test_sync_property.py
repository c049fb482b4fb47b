"""Property: two offline devices and the other channels end where the central's serial order says.

Random interleavings of: a device queueing a command while offline, a device syncing, the online
platform or a hotline reporting a loss, the police recording a death. The model folds
`branch_app.domain.lifecycle.decide` over the commands in the order the central received them
(each sync delivers that device's queue in order; a channel acts at once), except that an unlock
queued before a channel's loss report the central took since is a conflict (the relative's report
is not thawed silently, central/service.py `_lost_after`). The central's records,
every outbox answer, the central's conflict list and both devices' card caches must agree with it.
Runs against one real central under uvicorn for the whole module (fresh holders per example).
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from branch_app.domain.lifecycle import (
    ApplicationKind,
    Applied,
    Apply,
    Cancel,
    CancellationReason,
    Command,
    IssuanceSpeed,
    LossChannel,
    Merged,
    ReportLoss,
    Unlock,
    decide,
    record_from_dict,
    record_to_dict,
)
from branch_app.store.crypto import MemoryKeyring
from tests.sync.helpers import (
    TODAY,
    Device,
    card_number,
    holder_id,
    lifecycle_commands,
    next_serial,
    open_device,
    registered_signer,
)

pytestmark = pytest.mark.slow

ACTOR_A, ACTOR_B = "T201", "T202"
SUPERVISOR = "S201"  # approves the tellers' cancellations

DEVICE_COMMANDS: list[Command] = [
    ReportLoss(LossChannel.CARD_BANK_BRANCH),
    ReportLoss(LossChannel.OTHER_BANK_BRANCH),
    Unlock(at_card_bank=True, card_read=True),  # `shown`: with the holder's own card
    Unlock(at_card_bank=False, card_read=True),
    Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, TODAY, photo_receipt="GZ2026PHOTO1"),
    Cancel(CancellationReason.MOVED_OUT_OF_PROVINCE, approved_by=SUPERVISOR),
]
CHANNELS = ["online", "government_hotline", "bank_hotline"]


def shown(command: Command, card: str) -> Command:
    """An unlock shows the holder's own card, found and read; other commands as they are."""
    return (
        dataclasses.replace(command, card_number=card) if isinstance(command, Unlock) else command
    )


step = st.one_of(
    st.tuples(
        st.just("queue"),
        st.sampled_from("AB"),
        st.integers(0, 1),
        st.integers(0, len(DEVICE_COMMANDS) - 1),
    ),
    st.tuples(st.just("sync"), st.sampled_from("AB")),
    st.tuples(st.just("loss"), st.integers(0, 1), st.sampled_from(CHANNELS)),
    st.tuples(st.just("death"), st.integers(0, 1)),
)


@pytest.fixture(scope="module")
def central() -> Iterator[object]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(ACTOR_A, "teller-password-a", role="teller")
        running.add_staff(ACTOR_B, "teller-password-b", role="teller")
        running.add_staff(SUPERVISOR, "supervisor-password", role="supervisor")
        yield running


def central_records(central, holders: list[str]) -> dict[str, dict]:
    from central import models

    with central.database().read() as conn:
        rows = conn.execute(
            select(models.cards.c.holder_id, models.cards.c.record).where(
                models.cards.c.holder_id.in_(holders)
            )
        )
        return {row.holder_id: orjson.loads(row.record) for row in rows}


def central_conflicts(central, holders: list[str]) -> set[str]:
    from central import models

    with central.database().read() as conn:
        rows = conn.execute(
            select(models.conflicts.c.command_id).where(models.conflicts.c.holder_id.in_(holders))
        )
        return {row.command_id for row in rows}


def channel(central, device: Device, path: str, body: dict) -> dict:
    with central.client(device.enrolled) as http:
        answer = http.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_interleavings_end_in_the_serial_order_state(central, steps) -> None:
    with tempfile.TemporaryDirectory(prefix="sync-prop-") as folder:
        keyring = MemoryKeyring()
        devices = {
            "A": open_device(central, Path(folder) / "a", ACTOR_A, keyring),
            "B": open_device(central, Path(folder) / "b", ACTOR_B, keyring),
        }
        for device in devices.values():  # the supervisor approves cancellations on both
            device.approvers[SUPERVISOR] = registered_signer(central, SUPERVISOR, device.device_id)
        try:
            run_example(central, devices, steps)
        finally:
            for device in devices.values():
                device.store.close()


def run_example(central, devices: dict[str, Device], steps: list[tuple]) -> None:
    engines = {name: dev.engine(central.url) for name, dev in devices.items()}
    serials = [next_serial() for _ in range(2)]
    numbers = [holder_id(n) for n in serials]
    # Prelude: each holder gets a collected, active card through device A.
    for n, holder in zip(serials, numbers, strict=True):
        for command in lifecycle_commands(n)[:3]:
            devices["A"].enqueue(holder, command)
    assert engines["A"].run().ok
    records = {h: record_from_dict(r) for h, r in central_records(central, numbers).items()}
    assert all(r.card_state.value == "active" for r in records.values())

    pending: dict[str, list[tuple[str, str, Command, int]]] = {"A": [], "B": []}
    expected: dict[str, str] = {}  # command id -> outbox status / channel outcome
    refused: set[str] = set()
    lost_online: dict[str, int] = {}  # holder -> the step of the last channel loss report taken

    def deliver(command_id: str, holder: str, command: Command, queued_at: int = -1) -> str:
        decision = decide(records[holder], command)
        # An unlock queued before a channel's loss report the central took: a conflict.
        lost_since = isinstance(command, Unlock) and lost_online.get(holder, -1) > queued_at
        if isinstance(decision, Applied) and not lost_since:
            records[holder] = decision.record
            return "applied"
        if isinstance(decision, Merged):
            return "merged"
        refused.add(command_id)
        return "conflict"

    status_of = {"applied": "accepted", "merged": "merged", "conflict": "conflict"}
    for at, action in enumerate(steps):
        match action:
            case ("queue", name, which, index):
                holder = numbers[which]
                command = shown(DEVICE_COMMANDS[index], card_number(serials[which]))
                item_id = devices[name].enqueue(
                    holder, command, base_version=records[holder].version
                )
                pending[name].append((item_id, holder, command, at))
            case ("sync", name):
                for item_id, holder, command, queued_at in pending[name]:
                    expected[item_id] = status_of[deliver(item_id, holder, command, queued_at)]
                pending[name].clear()
                assert engines[name].run().ok
            case ("loss", which, source):
                command_id = uuid.uuid4().hex
                outcome = deliver(command_id, numbers[which], ReportLoss(LossChannel(source)))
                if outcome != "conflict":
                    lost_online[numbers[which]] = at
                answer = channel(
                    central,
                    devices["A"],
                    "/v1/channels/loss-report",
                    {"id": command_id, "holder_id": numbers[which], "channel": source},
                )
                assert answer["outcome"] == outcome
            case ("death", which):
                command_id = uuid.uuid4().hex
                outcome = deliver(command_id, numbers[which], Cancel(CancellationReason.DEATH))
                answer = channel(
                    central,
                    devices["A"],
                    "/v1/channels/death-record",
                    {"id": command_id, "holder_id": numbers[which]},
                )
                assert answer["outcome"] == outcome
    for name in ("A", "B"):  # back online at the end of the day
        for item_id, holder, command, queued_at in pending[name]:
            expected[item_id] = status_of[deliver(item_id, holder, command, queued_at)]
        assert engines[name].run().ok
    for name in ("A", "B"):  # a last pull so each sees what the other did
        assert engines[name].run().ok

    final = central_records(central, numbers)
    for holder in numbers:
        assert final[holder] == record_to_dict(records[holder])
    for name, device in devices.items():
        for item_id, status in expected.items():
            if item_id in device.store.outbox:
                assert device.store.outbox.get(item_id).status == status
        for holder in numbers:
            cached = device.store.card_cache.get(holder)
            if cached is not None:
                assert cached.record == final[holder], f"device {name} cache is stale"
    assert central_conflicts(central, numbers) == refused
    for device in devices.values():
        counts = device.store.outbox.counts()
        assert counts["pending"] == 0 and counts["sending"] == 0
