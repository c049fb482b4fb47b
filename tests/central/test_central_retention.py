"""Retention: stored answers without records, and `prune` (the feed behind every active device's
cursor, old answers' records, lapsed follows; never the lookup audit), SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select, update

from branch_app.domain.vocabulary import Place
from central import models
from central.auth import DeviceIdentity
from central.cli import main as central_main
from central.db import Database, utcnow
from central.dev.server import EnrolledDevice
from central.service import DEVICE_IDLE_LIMIT, FOLLOW_EXPIRY
from tests.central.conftest import LOSS_AT_BRANCH, World, active_record, holder_id, unlock

#: `prune` as run a week from now: everything made in the test is older than its cutoff.
LATER = dt.timedelta(days=7)
OLDER_THAN = dt.timedelta(days=3)


def _count(database: Database, table: Any) -> int:
    with database.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _identity(device: EnrolledDevice) -> DeviceIdentity:
    return DeviceIdentity(device.device_id, device.device_id, device.branch, Place(device.place))


def _pulled(world: World, device: EnrolledDevice, since: int) -> list[tuple[str, int]]:
    """Everything the device gets from `since` on (what it has not pulled yet)."""
    got: list[tuple[str, int]] = []
    while True:
        page = world.service.changes(_identity(device), since, 2)
        got += [(c.holder_id, c.record["version"]) for c in page.changes]
        if len(page.changes) < 2:
            return got
        since = page.next_cursor


def _stored(world: World, command_id: str) -> dict[str, Any]:
    with world.database.read() as conn:
        text = conn.execute(
            select(models.commands.c.result).where(models.commands.c.id == command_id)
        ).scalar_one()
    return dict(orjson.loads(text))


def test_an_applied_answer_is_stored_without_its_record_and_repeats_identically(
    world: World,
) -> None:
    world.service.put_record(active_record(1))
    command = world.command(world.counter, holder_id(1), LOSS_AT_BRANCH)
    [first] = world.push(world.counter, command)
    assert first["outcome"] == "applied" and first["record"]["card_state"] == "loss_reported"
    stored = _stored(world, command["id"])
    assert stored["record"] is None and stored["outcome"] == "applied"
    assert stored["version"] == first["version"]
    [again] = world.push(world.counter, command)

    world.service.prune(OLDER_THAN, now=utcnow() + LATER)

    [after] = world.push(world.counter, command)
    assert after == again and again["outcome"] == "duplicate"
    assert again["first_outcome"] == "applied" and again["version"] == first["version"]
    other = world.command(world.counter, holder_id(1), unlock(1), command_id=command["id"])
    [reused] = world.push(world.counter, other)
    assert reused["outcome"] == "rejected" and reused["reason"] == "id_reused"


def test_prune_strips_the_records_an_older_central_stored_and_duplicates_answer_the_same(
    world: World,
) -> None:
    world.service.put_record(active_record(2))
    command = world.command(world.counter, holder_id(2), LOSS_AT_BRANCH)
    [first] = world.push(world.counter, command)
    # As an older central stored it: the whole record repeated in the answer.
    old = _stored(world, command["id"]) | {"record": first["record"]}
    with world.database.write() as conn:
        conn.execute(
            update(models.commands)
            .where(models.commands.c.id == command["id"])
            .values(result=orjson.dumps(old).decode())
        )
    [before] = world.push(world.counter, command)

    report = world.service.prune(OLDER_THAN, now=utcnow() + LATER)

    assert report.answers == 1
    assert _stored(world, command["id"])["record"] is None
    [after] = world.push(world.counter, command)
    assert after == before and after["outcome"] == "duplicate"
    other = world.command(world.counter, holder_id(2), unlock(2), command_id=command["id"])
    assert world.push(world.counter, other)[0]["reason"] == "id_reused"
    assert world.service.prune(OLDER_THAN, now=utcnow() + LATER).answers == 0  # done once


def test_the_feed_is_pruned_only_behind_every_active_device(world: World) -> None:
    service, database = world.service, world.database
    for n in range(10, 16):
        service.put_record(active_record(n))
        world.push(world.counter, world.command(world.counter, holder_id(n), LOSS_AT_BRANCH))
    devices = (world.counter, world.instant, world.home, world.other)
    # Each device pulls up to a different point and says so with its next pull's `since`.
    cursors = {world.counter.device_id: 4, world.instant.device_id: 9, world.home.device_id: 12}
    cursors[world.other.device_id] = 12
    for device in devices:
        service.changes(_identity(device), cursors[device.device_id], 1000)
    owed = {d.device_id: _pulled(world, d, cursors[d.device_id]) for d in devices}
    assert owed[world.counter.device_id]  # the counter has changes left to pull

    report = service.prune(OLDER_THAN, now=utcnow() + LATER)

    assert report.feed_floor == 4  # the counter's cursor holds the feed
    with database.read() as conn:
        left = list(conn.execute(select(models.changes.c.cursor)).scalars())
    assert min(left) == 5
    for device in devices:  # no follower misses a change
        assert _pulled(world, device, cursors[device.device_id]) == owed[device.device_id]


def test_a_device_that_never_pulled_holds_the_feed_unless_revoked_or_idle(world: World) -> None:
    service, database = world.service, world.database
    for n in range(20, 24):
        service.put_record(active_record(n))
    for device in (world.counter, world.instant, world.home):
        service.changes(_identity(device), 3, 100)
    # `other` never pulled and was enrolled just now: nothing may go.
    assert service.prune(OLDER_THAN, now=utcnow() + LATER).changes == 0

    with database.write() as conn:
        conn.execute(
            update(models.devices)
            .where(models.devices.c.device_id == world.other.device_id)
            .values(revoked_at=utcnow())
        )
    report = service.prune(OLDER_THAN, now=utcnow() + LATER)
    assert report.changes == 3 and report.feed_floor == 3

    # A device silent beyond the idle limit no longer holds it back either.
    service.put_record(active_record(24))
    with database.write() as conn:
        conn.execute(
            update(models.devices)
            .where(models.devices.c.device_id == world.counter.device_id)
            .values(pulled_at=utcnow() - DEVICE_IDLE_LIMIT - dt.timedelta(days=1))
        )
    # The pulled cursor is written at most every few minutes: move its time back to let it.
    with database.write() as conn:
        conn.execute(
            update(models.devices)
            .where(models.devices.c.device_id != world.counter.device_id)
            .values(pulled_at=utcnow() - dt.timedelta(hours=1))
        )
    service.changes(_identity(world.instant), 5, 100)
    service.changes(_identity(world.home), 5, 100)
    assert service.prune(OLDER_THAN, now=utcnow() + LATER).feed_floor == 5


def test_prune_keeps_recent_changes_the_lookup_audit_and_active_follows(world: World) -> None:
    service, database = world.service, world.database
    service.put_record(active_record(30))
    service.put_record(active_record(31))
    world.push(world.counter, world.command(world.counter, holder_id(30), LOSS_AT_BRANCH))
    session = world.login(world.other, "T201")
    world.client.post(
        "/v1/lookups",
        json={"holder_id": holder_id(31), "purpose": "holder_enquiry"},
        headers=world.headers(world.other, session),
    )
    with database.write() as conn:
        conn.execute(
            update(models.branch_interest)
            .where(models.branch_interest.c.holder_id == holder_id(31))
            .values(active_at=utcnow() - FOLLOW_EXPIRY - dt.timedelta(days=1))
        )
    for device in (world.counter, world.instant, world.home, world.other):
        service.changes(_identity(device), 3, 100)
    changes, audit = _count(database, models.changes), _count(database, models.lookup_audit)

    report = service.prune(OLDER_THAN)  # now: nothing is older than three days

    assert report.changes == 0 and _count(database, models.changes) == changes
    assert report.follows == 1
    with database.read() as conn:
        follows = list(conn.execute(select(models.branch_interest.c.holder_id)).scalars())
    assert follows == [holder_id(30)]
    assert _count(database, models.lookup_audit) == audit == 1


def test_central_prune_upgrades_an_older_database_then_prunes(tmp_path: Path, capsys: Any) -> None:
    """The command a pilot runs: columns and indexes of this version added to a database made
    by the previous one (its follows keep their start as their last activity), then pruned."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    database = Database(url)
    database.create_schema()
    with database.write() as conn:
        for sql in (
            "DROP INDEX ix_branch_interest_active_at",
            "ALTER TABLE branch_interest DROP COLUMN active_at",
            "ALTER TABLE devices DROP COLUMN pulled_cursor",
            "ALTER TABLE devices DROP COLUMN pulled_at",
            "DROP INDEX ix_changes_holder_cursor",
            "CREATE INDEX ix_changes_holder_id ON changes (holder_id)",
        ):
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql(
            "INSERT INTO branch_interest (branch, holder_id, since) VALUES ('GZ-OLD-1', ?, ?)",
            (holder_id(1), f"{utcnow() - dt.timedelta(days=1):%Y-%m-%d %H:%M:%S.%f}"),
        )
    database.dispose()

    assert central_main(["prune", "--older-than", "30", "--database-url", url]) == 0
    assert central_main(["prune", "--older-than", "30", "--database-url", url]) == 0

    out = capsys.readouterr().out
    assert out.count("upgraded: ALTER TABLE branch_interest ADD COLUMN active_at") == 1
    assert "upgraded: DROP INDEX ix_changes_holder_id" in out
    assert "the lookup audit is kept" in out
    database = Database(url)
    with database.read() as conn:
        since, active_at = conn.execute(
            select(models.branch_interest.c.since, models.branch_interest.c.active_at)
        ).one()
        indexes = {row[1] for row in conn.exec_driver_sql("PRAGMA index_list(changes)").all()}
    database.dispose()
    assert active_at == since
    assert "ix_changes_holder_cursor" in indexes and "ix_changes_holder_id" not in indexes


@pytest.mark.parametrize("days", ["0", "-3"])
def test_central_prune_refuses_a_retention_under_a_day(tmp_path: Path, days: str) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with pytest.raises(SystemExit, match="at least 1 day"):
        central_main(["prune", "--older-than", days, "--database-url", url])
