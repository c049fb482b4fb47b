"""Push and pull through the HTTP API on SQLite and PostgreSQL: every outcome, idempotency,
permissions, and the change feed for the cards a branch follows."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from branch_app.domain.lifecycle import CardState, FunctionStatus
from central import models
from tests.central.conftest import (
    LOSS_AT_BRANCH,
    World,
    active_record,
    application,
    cancel,
    card_number,
    holder_id,
    unlock,
)

REPLACE = application("replacement")
INSTANT_FIRST = application(speed="instant", bank="demo-bank")


def count(world: World, table: object) -> int:
    with world.database.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_loss_report_is_applied_with_a_new_version_and_feeds_the_branch(world: World) -> None:
    world.service.put_record(active_record(1))
    holder = holder_id(1)

    [result] = world.push(world.counter, world.command(world.counter, holder, LOSS_AT_BRANCH))

    assert result["outcome"] == "applied"
    assert result["version"] == 2
    assert result["record"]["card_state"] == "loss_reported"
    assert result["record"]["social_security"] == "frozen"
    assert result["record"]["financial"] == "frozen"
    assert world.record(holder) == result["record"]
    changes = world.client.get("/v1/changes", headers=world.headers(world.counter)).json()
    assert [c["record"]["version"] for c in changes["changes"]] == [1, 2]
    assert changes["next_cursor"] == changes["changes"][-1]["cursor"]


def test_each_command_of_a_batch_gets_its_own_answer_in_order(world: World) -> None:
    world.service.put_record(active_record(2))
    holder = holder_id(2)
    loss = world.command(world.counter, holder, LOSS_AT_BRANCH)
    again = world.command(world.counter, holder, LOSS_AT_BRANCH)
    replace = world.command(world.counter, holder, REPLACE, base_version=2)
    found = world.command(world.counter, holder, unlock(2), base_version=2)
    bad_kind = world.command(world.counter, holder, {"kind": "teleport"})

    results = world.push(world.counter, loss, again, replace, found, bad_kind)

    assert [r["outcome"] for r in results] == [
        "applied",
        "merged",
        "applied",
        "conflict",
        "rejected",
    ]
    assert results[1]["version"] == 2
    assert results[3]["reason"] == "replacement_applied"
    assert results[3]["version"] == 3  # the current version comes with a conflict
    assert results[3]["record"] is None  # the record only with the maker's session (audited)
    assert results[4]["reason"] == "unknown_kind"
    assert count(world, models.commands) == 5
    assert count(world, models.conflicts) == 1


def test_a_duplicate_repeats_the_first_answer_and_changes_nothing(world: World) -> None:
    world.service.put_record(active_record(3))
    command = world.command(world.counter, holder_id(3), LOSS_AT_BRANCH)
    [first] = world.push(world.counter, command)
    # Meanwhile the card moves on; the duplicate must still answer as the first time.
    [found] = world.push(world.counter, world.command(world.counter, holder_id(3), unlock(3)))
    assert found["outcome"] == "applied"

    [second] = world.push(world.counter, command)

    assert second["outcome"] == "duplicate"
    assert second["first_outcome"] == "applied"
    assert second["version"] == first["version"] == 2
    assert first["record"] is not None and second["record"] is None  # a repeat is no lookup
    assert world.record(holder_id(3))["version"] == 3
    assert count(world, models.commands) == 2


def test_the_same_id_with_another_body_is_rejected_and_not_stored(world: World) -> None:
    world.service.put_record(active_record(4))
    world.service.put_record(active_record(5))
    command_id = uuid.uuid4().hex
    first = world.command(world.counter, holder_id(4), LOSS_AT_BRANCH, command_id=command_id)
    other = world.command(world.counter, holder_id(5), LOSS_AT_BRANCH, command_id=command_id)

    [applied] = world.push(world.counter, first)
    [reused] = world.push(world.counter, other)

    assert applied["outcome"] == "applied"
    assert reused["outcome"] == "rejected"
    assert reused["reason"] == "id_reused"
    assert world.record(holder_id(5))["card_state"] == "active"
    assert count(world, models.commands) == 1
    # The first body still gets its duplicate answer.
    [again] = world.push(world.counter, first)
    assert again["outcome"] == "duplicate"


def test_a_stale_base_version_is_still_decided_by_the_lifecycle(world: World) -> None:
    world.service.put_record(active_record(6))
    world.push(world.counter, world.command(world.counter, holder_id(6), LOSS_AT_BRANCH))
    stale = world.command(world.counter, holder_id(6), unlock(6), base_version=1)

    [result] = world.push(world.counter, stale)

    assert result["outcome"] == "applied"
    assert result["version"] == 3
    with world.database.read() as conn:
        row = conn.execute(
            select(models.commands.c.base_version, models.commands.c.version_at_receipt).where(
                models.commands.c.id == stale["id"]
            )
        ).one()
    assert (row.base_version, row.version_at_receipt) == (1, 2)


def test_anything_after_cancellation_is_a_conflict_listed_for_the_supervisor(
    world: World,
) -> None:
    world.service.put_record(active_record(7))
    death = world.command(world.counter, holder_id(7), cancel("death"))
    loss = world.command(world.counter, holder_id(7), LOSS_AT_BRANCH)

    results = world.push(world.counter, death, loss)

    assert [r["outcome"] for r in results] == ["applied", "conflict"]
    assert results[1]["reason"] == "holder_deceased"
    session = world.login(world.counter, "S001")
    listed = world.client.get(
        "/v1/conflicts", headers=world.headers(world.counter, session)
    ).json()["conflicts"]
    assert [c["command_id"] for c in listed] == [loss["id"]]
    assert listed[0]["status"] == "open"
    assert listed[0]["record"]["card_state"] == "cancelled"


def test_roles_and_places_are_checked(world: World) -> None:
    world.service.put_record(
        active_record(8, card_state=CardState.LOSS_REPORTED, social_security=FunctionStatus.FROZEN)
    )
    holder = holder_id(9)
    home_instant = world.command(world.home, holder, INSTANT_FIRST, actor="H001")
    home_unlock = world.command(world.home, holder_id(8), unlock(8), actor="H001")
    counter_instant = world.command(world.counter, holder, INSTANT_FIRST)
    home_staff_at_counter = world.command(world.counter, holder_id(8), unlock(8), actor="H001")

    results = [
        world.push(world.home, home_instant, home_unlock)[0],
        world.push(world.home, home_unlock)[0],
        world.push(world.counter, counter_instant)[0],
        world.push(world.counter, home_staff_at_counter)[0],
    ]

    assert [(r["outcome"], r["reason"]) for r in results] == [
        ("rejected", "instant_needs_instant_branch"),
        ("duplicate", "unlock_needs_branch"),
        ("rejected", "instant_needs_instant_branch"),
        ("rejected", "role_not_at_place"),
    ]
    [instant] = world.push(world.instant, world.command(world.instant, holder, INSTANT_FIRST))
    assert instant["outcome"] == "applied"
    assert world.record(holder_id(8))["card_state"] == "loss_reported"


def test_who_and_where_must_match_the_device(world: World) -> None:
    world.service.put_record(active_record(10))
    holder = holder_id(10)
    wrong_device = world.command(world.counter, holder, LOSS_AT_BRANCH) | {
        "device": world.instant.device_id
    }
    wrong_branch = world.command(world.counter, holder, LOSS_AT_BRANCH) | {"branch": "GZ-ELSE"}
    unknown_actor = world.command(world.counter, holder, LOSS_AT_BRANCH, actor="NOBODY")
    other_branch_actor = world.command(world.counter, holder, LOSS_AT_BRANCH, actor="T201")
    bad_holder = world.command(world.counter, holder[:-1] + "0", LOSS_AT_BRANCH)
    bad_payload = world.command(world.counter, holder, {"kind": "report_loss", "channel": "fax"})

    results = world.push(
        world.counter,
        wrong_device,
        wrong_branch,
        unknown_actor,
        other_branch_actor,
        bad_holder,
        bad_payload,
    )

    assert [(r["outcome"], r["reason"]) for r in results] == [
        ("rejected", "device_mismatch"),
        ("rejected", "branch_mismatch"),
        ("rejected", "unknown_actor"),
        ("rejected", "actor_wrong_branch"),
        ("rejected", "invalid_holder"),
        ("rejected", "malformed_payload"),
    ]
    assert world.record(holder)["version"] == 1


def test_pull_returns_only_cards_the_branch_follows_in_cursor_pages(world: World) -> None:
    for n in range(11, 16):
        world.service.put_record(active_record(n))
    for n in (11, 12, 13):
        world.push(world.counter, world.command(world.counter, holder_id(n), LOSS_AT_BRANCH))
    world.push(world.other, world.command(world.other, holder_id(14), LOSS_AT_BRANCH, actor="T201"))

    seen: list[tuple[str, int]] = []
    since = 0
    while True:
        page = world.client.get(
            "/v1/changes",
            params={"since": since, "limit": 2},
            headers=world.headers(world.counter),
        ).json()
        seen += [(c["holder_id"], c["record"]["version"]) for c in page["changes"]]
        cursors = [c["cursor"] for c in page["changes"]]
        assert cursors == sorted(cursors) and all(c > since for c in cursors)
        if not page["changes"]:
            # Nothing more for this branch: the cursor moves to the feed scanned (issue 15).
            assert page["next_cursor"] >= since
            break
        since = page["next_cursor"]

    assert sorted(seen) == sorted([(holder_id(n), v) for n in (11, 12, 13) for v in (1, 2)])
    other = world.client.get("/v1/changes", headers=world.headers(world.other)).json()
    assert {c["holder_id"] for c in other["changes"]} == {holder_id(14)}


def test_other_channels_reach_the_branches_that_follow_the_card(world: World) -> None:
    world.service.put_record(active_record(16))
    holder = holder_id(16)
    world.push(world.counter, world.command(world.counter, holder, LOSS_AT_BRANCH))
    [found] = world.push(world.counter, world.command(world.counter, holder, unlock(16)))
    assert found["outcome"] == "applied"
    headers = world.headers(world.counter)
    cursor = world.client.get("/v1/changes", headers=headers).json()["next_cursor"]

    online = world.client.post(
        "/v1/channels/loss-report",
        json={"holder_id": holder, "channel": "online"},
        headers=headers,
    )
    death = world.client.post(
        "/v1/channels/death-record", json={"holder_id": holder}, headers=headers
    )

    assert online.status_code == 200 and online.json()["outcome"] == "applied"
    # Any loss report freezes both functions at once, whatever the channel (seed: 同步冻结).
    assert online.json()["record"]["social_security"] == "frozen"
    assert online.json()["record"]["financial"] == "frozen"
    assert death.json()["outcome"] == "applied"
    page = world.client.get("/v1/changes", params={"since": cursor}, headers=headers).json()
    states = [c["record"]["card_state"] for c in page["changes"]]
    assert states == ["loss_reported", "cancelled"]


def test_channel_issuance_and_a_replayed_channel_event(world: World) -> None:
    holder = holder_id(17)
    [applied] = world.push(
        world.counter, world.command(world.counter, holder, application(bank="demo-bank"))
    )
    assert applied["outcome"] == "applied"
    event = {"id": uuid.uuid4().hex, "holder_id": holder, "card_number": card_number(17),
             "issued_on": "2026-03-10"}  # fmt: skip
    headers = world.headers(world.counter)

    first = world.client.post("/v1/channels/card-issued", json=event, headers=headers).json()
    again = world.client.post("/v1/channels/card-issued", json=event, headers=headers).json()

    assert first["outcome"] == "applied"
    assert first["record"]["application"]["new_card_number"] == card_number(17)
    assert again["outcome"] == "duplicate" and again["first_outcome"] == "applied"


def test_channels_are_off_unless_enabled(database) -> None:
    from central.app import create_app
    from tests.central.conftest import TEST_SETTINGS, TestClient

    app = create_app(TEST_SETTINGS.__class__(enable_channels=False), database=database)
    with TestClient(app) as client:
        answer = client.post(
            "/v1/channels/death-record",
            json={"holder_id": holder_id(1)},
            headers={"Authorization": "Bearer whatever"},
        )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "channels_disabled"


def test_noop_parses_the_batch_and_changes_nothing(world: World) -> None:
    world.service.put_record(active_record(18))
    command = world.command(world.counter, holder_id(18), LOSS_AT_BRANCH)
    answer = world.client.post(
        "/v1/noop", json={"commands": [command] * 3}, headers=world.headers(world.counter)
    )
    assert answer.json() == {"received": 3}
    assert count(world, models.commands) == 0
    assert world.record(holder_id(18))["version"] == 1


def test_a_command_that_breaks_the_decision_does_not_sink_its_batch(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import central.service

    for n in (19, 20):
        world.service.put_record(active_record(n))
    real_admit = central.service.admit

    def failing_admit(command, record, **context):  # a bug hit by one person's record only
        if record.holder_id == holder_id(19):
            raise RuntimeError("bug")
        return real_admit(command, record, **context)

    monkeypatch.setattr(central.service, "admit", failing_admit)
    poisoned = world.command(world.counter, holder_id(19), LOSS_AT_BRANCH)
    healthy = world.command(world.counter, holder_id(20), LOSS_AT_BRANCH)

    results = world.push(world.counter, poisoned, healthy)

    assert [(r["outcome"], r["reason"]) for r in results] == [
        ("rejected", "internal_error"),
        ("applied", None),
    ]
    monkeypatch.setattr(central.service, "admit", real_admit)
    [later] = world.push(world.counter, poisoned)  # not recorded: it is decided when resent
    assert later["outcome"] == "applied"


def test_a_batch_the_database_refuses_is_retried_command_by_command(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from central.service import CentralService

    for n in (21, 22):
        world.service.put_record(active_record(n))
    real_batch = CentralService._apply_batch

    def refuse_batches(
        self, conn, origin, commands, viewer=None
    ):  # a constraint only a batch trips
        if len(commands) > 1:
            raise OperationalError("INSERT ...", {}, RuntimeError("disk I/O error"))
        return real_batch(self, conn, origin, commands, viewer)

    monkeypatch.setattr(CentralService, "_apply_batch", refuse_batches)
    first = world.command(world.counter, holder_id(21), LOSS_AT_BRANCH)
    second = world.command(world.counter, holder_id(22), LOSS_AT_BRANCH)

    results = world.push(world.counter, first, second)

    assert [r["outcome"] for r in results] == ["applied", "applied"]
    assert world.record(holder_id(22))["version"] == 2
