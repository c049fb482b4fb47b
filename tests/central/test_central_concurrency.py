"""Concurrent pushes from several devices about the same card end as if applied one by one."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from branch_app.domain.lifecycle import (
    Applied,
    Merged,
    Refused,
    command_from_dict,
    decide,
    record_to_dict,
)
from branch_app.domain.vocabulary import Place
from central import models
from central.auth import DeviceIdentity
from central.dev.server import EnrolledDevice
from sync.protocol import PushCommand, PushResult
from tests.central.conftest import (
    LOSS_AT_BRANCH,
    World,
    active_record,
    application,
    holder_id,
    unlock,
)

LOSS = LOSS_AT_BRANCH
ONLINE_LOSS = {"kind": "report_loss", "channel": "online"}
FIRST = application(bank="demo-bank")
THREADS = 6
PER_THREAD = 8


def identity(device: EnrolledDevice) -> DeviceIdentity:
    return DeviceIdentity(device.device_id, "test", device.branch, Place(device.place))


def run_together(jobs: list[Any]) -> list[Any]:
    """Run the callables in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(jobs))

    def start(job: Any) -> Any:
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(start, jobs))


def test_interleaved_pushes_about_one_card_are_serialisable(world: World) -> None:
    initial = active_record(1)
    world.service.put_record(initial)
    holder = initial.holder_id
    devices = [(world.counter, "T001"), (world.instant, "T002")]
    payloads = [LOSS, unlock(1), ONLINE_LOSS, unlock(1, at_card_bank=False)]
    batches: list[list[PushCommand]] = []
    for t in range(THREADS):
        device, actor = devices[t % 2]
        batches.append(
            [
                PushCommand.model_validate(
                    world.signed(world.command(device, holder, payloads[(t + j) % 4], actor=actor))
                )
                for j in range(PER_THREAD)
            ]
        )
    jobs = [
        (lambda b=batch, d=devices[t % 2][0]: world.service.push(identity(d), b))
        for t, batch in enumerate(batches)
    ]

    answers: list[list[PushResult]] = run_together(jobs)

    pairs = [
        (command, result)
        for batch, results in zip(batches, answers, strict=True)
        for command, result in zip(batch, results, strict=True)
    ]
    assert all(r.outcome in {"applied", "merged", "conflict"} for _, r in pairs), [
        (r.outcome, r.reason) for _, r in pairs
    ]
    applied = sorted((r.version, c, r) for c, r in pairs if r.outcome == "applied")
    versions = [v for v, _, _ in applied]
    assert versions == list(range(2, 2 + len(applied))), "each applied command one new version"

    # Replaying the applied commands in version order gives every answered record.
    record_at = {1: initial}
    current = initial
    for version, command, result in applied:
        decision = decide(current, command_from_dict(command.payload))
        assert isinstance(decision, Applied)
        assert decision.record.version == version
        assert record_to_dict(decision.record) == result.record
        current = record_at[version] = decision.record
    assert world.record(holder) == record_to_dict(current)
    # Each merged or refused command was decided on the record of the version it reports.
    for command, result in pairs:
        if result.outcome == "applied":
            continue
        decision = decide(record_at[result.version], command_from_dict(command.payload))
        expected = Merged if result.outcome == "merged" else Refused
        assert isinstance(decision, expected)
        assert result.record is None  # no staff session: no record (issue 10, finding 3)
    # The change feed holds every version once, in cursor order.
    with world.database.read() as conn:
        feed = conn.execute(
            select(models.changes.c.version)
            .where(models.changes.c.holder_id == holder)
            .order_by(models.changes.c.cursor)
        ).scalars()
        assert list(feed) == [1, *versions]


def test_the_same_command_pushed_at_once_is_applied_once(world: World) -> None:
    world.service.put_record(active_record(2))
    command = PushCommand.model_validate(
        world.signed(world.command(world.counter, holder_id(2), LOSS))
    )
    device = identity(world.counter)

    answers = run_together([lambda: world.service.push(device, [command])] * THREADS)

    outcomes = sorted(a[0].outcome.value for a in answers)
    assert outcomes == ["applied"] + ["duplicate"] * (THREADS - 1)
    assert all(a[0].version == 2 for a in answers)
    assert world.record(holder_id(2))["version"] == 2


def test_first_applications_for_a_new_person_race_safely(world: World) -> None:
    holder = holder_id(3)
    device = identity(world.counter)
    commands = [
        PushCommand.model_validate(world.signed(world.command(world.counter, holder, FIRST)))
        for _ in range(THREADS)
    ]

    answers = run_together([lambda c=c: world.service.push(device, [c]) for c in commands])

    outcomes = sorted(a[0].outcome.value for a in answers)
    assert outcomes == ["applied"] + ["merged"] * (THREADS - 1)
    assert world.record(holder)["application"]["kind"] == "first"


def test_one_id_with_different_bodies_at_once_is_stored_once(world: World) -> None:
    command_id = uuid.uuid4().hex
    device = identity(world.counter)
    commands = []
    for n in range(4, 4 + THREADS):
        world.service.put_record(active_record(n))
        commands.append(
            PushCommand.model_validate(
                world.signed(
                    world.command(world.counter, holder_id(n), LOSS, command_id=command_id)
                )
            )
        )

    answers = run_together([lambda c=c: world.service.push(device, [c]) for c in commands])

    outcomes = sorted((a[0].outcome.value, a[0].reason) for a in answers)
    assert outcomes == [("applied", None)] + [("rejected", "id_reused")] * (THREADS - 1)
    with world.database.read() as conn:
        stored = conn.execute(select(models.commands.c.id)).scalars().all()
    assert stored == [command_id]
