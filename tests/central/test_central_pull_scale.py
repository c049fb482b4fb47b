"""Pulls that cost what the branch needs: the watermark cursor, both plans, lapsing follows, the
indexes every list reads (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import inspect, select, update

from branch_app.domain.vocabulary import Place
from central import models
from central.auth import DeviceIdentity
from central.db import Database, utcnow
from central.service import FOLLOW_EXPIRY, CentralService
from tests.central.conftest import (
    BRANCH,
    LOSS_AT_BRANCH,
    OTHER_BRANCH,
    World,
    active_record,
    holder_id,
    unlock,
)

#: A device of the counter's branch that is not enrolled: its pulls record no cursor (no writes).
READER = DeviceIdentity("reader-0001", "reader", BRANCH, Place.BRANCH)


def _head(database: Database) -> int:
    with database.read() as conn:
        return int(conn.execute(select(models.feed_head.c.cursor)).scalar_one())


def _pull_all(service: CentralService, since: int, limit: int) -> tuple[list[Any], int]:
    seen: list[Any] = []
    while True:
        page = service.changes(READER, since, limit)
        assert all(c.cursor > since for c in page.changes)
        seen += [(c.cursor, c.holder_id, c.record["version"]) for c in page.changes]
        assert page.next_cursor >= since
        if page.next_cursor == since or len(page.changes) < limit:
            return seen, page.next_cursor
        since = page.next_cursor


def test_a_pull_that_finds_nothing_moves_the_cursor_to_the_feed_scanned(world: World) -> None:
    for n in (1, 2, 3):
        world.service.put_record(active_record(n))  # nobody follows these
    page = world.service.changes(READER, 0, 100)
    assert page.changes == [] and page.next_cursor == _head(world.database) == 3

    # Another branch's work moves it on too; then the branch's own change arrives, once.
    world.push(world.other, world.command(world.other, holder_id(2), LOSS_AT_BRANCH, actor="T201"))
    page = world.service.changes(READER, 3, 100)
    assert page.changes == [] and page.next_cursor == 4
    world.push(world.counter, world.command(world.counter, holder_id(1), LOSS_AT_BRANCH))
    page = world.service.changes(READER, 4, 100)
    assert [(c.holder_id, c.record["version"]) for c in page.changes] == [(holder_id(1), 2)]
    assert page.next_cursor == 5
    # A cursor ahead of the feed (a restored database) is kept, not rewound.
    assert world.service.changes(READER, 99, 100).next_cursor == 99


@pytest.mark.parametrize("limit", [1, 2, 5, 200])
def test_the_feed_walk_and_the_follows_walk_give_the_same_pages(world: World, limit: int) -> None:
    for n in range(20, 30):
        world.service.put_record(active_record(n))
    for n in range(20, 30, 2):  # the counter's branch follows the even ones
        world.push(world.counter, world.command(world.counter, holder_id(n), LOSS_AT_BRANCH))
    for n in range(21, 30, 2):
        world.push(
            world.other, world.command(world.other, holder_id(n), LOSS_AT_BRANCH, actor="T201")
        )
    world.push(world.counter, world.command(world.counter, holder_id(20), unlock(20)))

    service = world.service
    service.range_scan = 10**9  # always walk the feed
    by_range = _pull_all(service, 0, limit)
    service.range_scan = 0  # always walk the follows
    by_follows = _pull_all(service, 0, limit)

    assert by_range == by_follows
    versions = [(h, v) for _, h, v in by_range[0]]
    expected = {(holder_id(n), v) for n in range(20, 30, 2) for v in (1, 2)} | {(holder_id(20), 3)}
    assert sorted(versions) == sorted(expected)
    assert by_range[1] == _head(world.database)


def test_a_late_commit_is_never_passed_over(world: World) -> None:
    """A change whose cursor is handed out but not yet committed is neither returned nor covered
    by the watermark: the next pull brings it."""
    service, database = world.service, world.database
    world.service.put_record(active_record(40))
    world.push(world.counter, world.command(world.counter, holder_id(40), LOSS_AT_BRANCH))
    _, cursor = _pull_all(service, 0, 100)
    late = active_record(40, version=3)

    with database.write() as conn:
        service._store_records(conn, [(late, None, None)], utcnow())
        during = service.changes(READER, cursor, 100)  # another connection, meanwhile

    assert during.changes == [] and during.next_cursor == cursor
    after = service.changes(READER, during.next_cursor, 100)
    assert [c.record["version"] for c in after.changes] == [3]


def test_a_follow_lapses_without_activity_and_a_lookup_or_command_renews_it(
    world: World,
) -> None:
    service, database = world.service, world.database
    for n in (50, 51):
        service.put_record(active_record(n))
        world.push(world.counter, world.command(world.counter, holder_id(n), LOSS_AT_BRANCH))
    lapsed = utcnow() - FOLLOW_EXPIRY - dt.timedelta(days=1)
    with database.write() as conn:
        conn.execute(update(models.branch_interest).values(active_at=lapsed))
    cursor = _head(database)
    for n in (50, 51):
        world.client.post(
            "/v1/channels/loss-report",
            json={"holder_id": holder_id(n), "channel": "online"},
            headers=world.headers(world.counter),
        )
    page = service.changes(READER, cursor, 100)
    assert page.changes == [] and page.next_cursor == _head(database)  # ignored, passed over

    # A lookup follows card 50 again, a command card 51.
    session = world.login(world.counter, "T001")
    found = world.client.post(
        "/v1/lookups",
        json={"holder_id": holder_id(50), "purpose": "holder_enquiry"},
        headers=world.headers(world.counter, session),
    )
    assert found.status_code == 200
    # Made now, after the online loss report above (one made before it is a conflict).
    found_card = world.command(world.counter, holder_id(51), unlock(51))
    [answer] = world.push(world.counter, {**found_card, "made_at": utcnow().isoformat()})
    assert answer["outcome"] == "applied"
    cursor = _head(database)
    for n in (50, 51):
        world.client.post(
            "/v1/channels/death-record",
            json={"holder_id": holder_id(n)},
            headers=world.headers(world.counter),
        )
    page = service.changes(READER, cursor, 100)
    assert sorted(c.holder_id for c in page.changes) == [holder_id(50), holder_id(51)]


def test_a_push_renews_a_follow_at_most_daily(world: World) -> None:
    world.service.put_record(active_record(60))
    world.push(world.counter, world.command(world.counter, holder_id(60), LOSS_AT_BRANCH))
    bi = models.branch_interest

    def active_at() -> dt.datetime:
        with world.database.read() as conn:
            value = conn.execute(
                select(bi.c.active_at).where(
                    (bi.c.branch == BRANCH) & (bi.c.holder_id == holder_id(60))
                )
            ).scalar_one()
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

    first = active_at()
    world.push(world.counter, world.command(world.counter, holder_id(60), unlock(60)))
    assert active_at() == first  # renewed less than a day ago: no write
    two_days_ago = utcnow() - dt.timedelta(days=2)
    with world.database.write() as conn:
        conn.execute(update(bi).values(active_at=two_days_ago))
    world.push(world.counter, world.command(world.counter, holder_id(60), LOSS_AT_BRANCH))
    assert active_at() > two_days_ago + dt.timedelta(days=1)


def test_every_list_a_branch_or_device_reads_has_its_index(database: Database) -> None:
    found = inspect(database.engine)
    columns = {
        table: [tuple(ix["column_names"]) for ix in found.get_indexes(table)]
        for table in ("changes", "conflicts", "cards", "branch_interest", "commands")
    }
    assert ("holder_id", "cursor") in columns["changes"]
    assert ("branch", "status", "id") in columns["conflicts"]
    assert ("branch", "id") in columns["conflicts"]
    assert ("card_number",) in columns["cards"] and ("new_card_number",) in columns["cards"]
    assert ("active_at",) in columns["branch_interest"]
    assert ("received_at",) in columns["commands"]
    primary = found.get_pk_constraint("branch_interest")["constrained_columns"]
    assert primary == ["branch", "holder_id"]


def test_sqlite_seeks_the_card_number_and_the_conflicts_after_analyze(world: World) -> None:
    if not world.database.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    for n in range(70, 90):
        world.service.put_record(active_record(n))
    with world.database.write() as conn:
        conn.exec_driver_sql("ANALYZE")
    try:
        _check_plans(world)
    finally:  # the session's database goes on without statistics
        with world.database.write() as conn:
            conn.exec_driver_sql("DELETE FROM sqlite_stat1")


def _check_plans(world: World) -> None:
    cards, conflicts = models.cards, models.conflicts

    def plan(query: Any) -> str:
        with world.database.read() as conn:
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
        return " / ".join(str(row[-1]) for row in rows)

    number = "GZ0000701"
    lookup = plan(
        select(cards.c.holder_id)
        .where((cards.c.card_number == number) | (cards.c.new_card_number == number))
        .limit(1)
    )
    assert "SEARCH cards USING INDEX ix_cards_card_number_set" in lookup, lookup
    assert "ix_cards_new_card_number_set" in lookup and "SCAN cards" not in lookup, lookup
    listing = plan(
        select(conflicts)
        .where((conflicts.c.branch == OTHER_BRANCH) & (conflicts.c.status == "open"))
        .order_by(conflicts.c.id)
        .limit(100)
    )
    assert "ix_conflicts_branch_status_id" in listing, listing


def test_postgresql_plans_each_execution_for_its_own_values(database: Database) -> None:
    """psycopg prepares a statement after five runs and PostgreSQL may then keep a generic plan
    that cannot see which branch is asked: a branch's conflict list walked every branch's
    conflicts by id. The central asks for a plan per execution on every connection."""
    if not database.is_postgres:
        pytest.skip("a PostgreSQL setting")
    for _ in range(3):  # every pooled connection, not only the first
        with database.read() as conn:
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
