"""Push answers only what the maker may see (issue 10, findings 2 and 3), on SQLite and PostgreSQL.

A device token alone is no lookup: a rejected command never makes its branch follow a person, a
merged or conflict answer carries the record only for a push that carries the maker's own staff
session (and then it is audited as a lookup), a duplicate never carries it, and a command id is
the device's own: another device's id tells the sender nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from sqlalchemy import select

from branch_app.domain.lifecycle import CardState, FunctionStatus
from central import models
from sync.protocol import STAFF_SESSION_HEADER
from tests.central.conftest import OTHER_BRANCH, World, active_record, holder_id, unlock

ONLINE_LOSS: dict[str, Any] = {"kind": "report_loss", "channel": "online"}
LOSS: dict[str, Any] = {"kind": "report_loss", "channel": "card_bank_branch"}


def push(
    world: World, device: Any, *commands: dict[str, Any], session: str | None = None
) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {device.device_token}"}
    if session is not None:
        headers[STAFF_SESSION_HEADER] = session
    signed = [c if "signature" in c else world.signed(c) for c in commands]  # as a device signs
    answer = world.client.post("/v1/commands/push", json={"commands": signed}, headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def pulled_holders(world: World, device: Any) -> set[str]:
    answer = world.client.get(
        "/v1/changes",
        params={"since": 0},
        headers={"Authorization": f"Bearer {device.device_token}"},
    )
    assert answer.status_code == 200, answer.text
    return {change["holder_id"] for change in answer.json()["changes"]}


def audit_rows(world: World) -> list[dict[str, Any]]:
    with world.database.read() as conn:
        rows = conn.execute(select(models.lookup_audit).order_by(models.lookup_audit.c.id))
        return [dict(row._mapping) for row in rows]


def lost_record(n: int) -> Any:
    return active_record(
        n,
        card_state=CardState.LOSS_REPORTED,
        social_security=FunctionStatus.FROZEN,
        financial=FunctionStatus.FROZEN,
    )


# Finding 2: a branch follows a person only after an applied command or an audited lookup -----


def test_a_rejected_push_never_makes_the_branch_follow(world: World) -> None:
    holder = holder_id(1)
    world.service.put_record(active_record(1))
    command = world.command(world.other, holder, ONLINE_LOSS, actor="NOBODY")

    [result] = push(world, world.other, command)

    assert (result["outcome"], result["reason"]) == ("rejected", "unknown_actor")
    assert result["record"] is None
    assert holder not in pulled_holders(world, world.other)
    assert audit_rows(world) == []


def test_a_merged_answer_on_the_device_token_alone_makes_no_follow(world: World) -> None:
    holder = holder_id(2)
    world.service.put_record(lost_record(2))

    [result] = push(world, world.other, world.command(world.other, holder, LOSS, actor="T201"))

    assert (result["outcome"], result["version"], result["record"]) == ("merged", 1, None)
    assert holder not in pulled_holders(world, world.other)


def test_an_applied_command_makes_its_branch_follow(world: World) -> None:
    holder = holder_id(3)
    world.service.put_record(active_record(3))

    [result] = push(world, world.other, world.command(world.other, holder, LOSS, actor="T201"))

    assert result["outcome"] == "applied" and result["version"] == 2
    assert result["record"]["card_state"] == "loss_reported"  # the maker changed it
    assert holder in pulled_holders(world, world.other)
    assert holder not in pulled_holders(world, world.counter)  # another branch: nothing
    assert audit_rows(world) == []  # the maker's own change is no lookup


# Finding 3: merged and conflict answers carry the record only for the maker's session ---------


def test_merged_and_conflict_answers_without_a_staff_session_carry_no_record(
    world: World,
) -> None:
    world.service.put_record(lost_record(4))
    other_card = {**unlock(4), "card_number": active_record(5).card_number}
    merged = world.command(world.other, holder_id(4), ONLINE_LOSS, actor="T201")
    conflict = world.command(world.other, holder_id(4), other_card, actor="T201")

    results = push(world, world.other, merged, conflict)

    assert [(r["outcome"], r["version"], r["reason"]) for r in results] == [
        ("merged", 1, None),
        ("conflict", 1, "card_not_current"),
    ]
    assert [r["record"] for r in results] == [None, None]
    assert audit_rows(world) == []
    assert holder_id(4) not in pulled_holders(world, world.other)
    # The supervisor still sees the conflict with the record (listed to the branch's supervisor).
    supervisor = world.login(world.other, "S201")
    listed = world.client.get(
        "/v1/conflicts", headers=world.headers(world.other, supervisor)
    ).json()["conflicts"]
    assert [c["record"]["card_state"] for c in listed] == ["loss_reported"]


def test_the_makers_session_sees_the_record_and_the_answer_is_audited(world: World) -> None:
    holder = holder_id(6)
    world.service.put_record(lost_record(6))
    session = world.login(world.other, "T201")
    other_card = {**unlock(6), "card_number": active_record(7).card_number}
    merged = world.command(world.other, holder, ONLINE_LOSS, actor="T201")
    conflict = world.command(world.other, holder, other_card, actor="T201")

    results = push(world, world.other, merged, conflict, session=session)

    assert [r["outcome"] for r in results] == ["merged", "conflict"]
    assert [r["record"]["card_state"] for r in results] == ["loss_reported"] * 2
    rows = audit_rows(world)
    key = hmac.new(world.database.audit_key(), holder.encode(), hashlib.sha256).hexdigest()
    assert [
        (r["staff_id"], r["device_id"], r["branch"], r["purpose"], r["subject_key"], r["found"])
        for r in rows
    ] == [("T201", world.other.device_id, OTHER_BRANCH, "counter_service", key, True)] * 2
    assert [r["note"] for r in rows] == ["push merged", "push conflict"]
    assert all(holder not in str(r["subject_masked"]) for r in rows)
    assert holder in pulled_holders(world, world.other)  # an audited lookup: the branch follows
    # A repeat is no lookup: no record, no new audit row.
    again = push(world, world.other, merged, conflict, session=session)
    assert [(r["outcome"], r["first_outcome"], r["record"]) for r in again] == [
        ("duplicate", "merged", None),
        ("duplicate", "conflict", None),
    ]
    assert len(audit_rows(world)) == 2


def test_another_staff_members_session_does_not_see_the_makers_record(world: World) -> None:
    world.service.put_record(lost_record(8))
    supervisor = world.login(world.other, "S201")  # a live session, but not the maker's

    [result] = push(
        world,
        world.other,
        world.command(world.other, holder_id(8), ONLINE_LOSS, actor="T201"),
        session=supervisor,
    )

    assert (result["outcome"], result["record"]) == ("merged", None)
    assert audit_rows(world) == []


# Finding 3: ids are scoped to the device that made them ---------------------------------------


def test_another_devices_command_id_is_another_command(world: World) -> None:
    command_id = uuid.uuid4().hex
    world.service.put_record(active_record(9))
    world.service.put_record(active_record(10))
    first = world.command(world.counter, holder_id(9), LOSS, command_id=command_id)
    [mine] = push(world, world.counter, first)
    assert mine["outcome"] == "applied"

    # The same id from a device of another branch: same body but its own device, and another body.
    same = world.command(world.other, holder_id(9), LOSS, actor="T201", command_id=command_id)
    other = world.command(world.other, holder_id(10), LOSS, actor="T201", command_id=command_id)
    [first_answer] = push(world, world.other, same)
    [second_answer] = push(world, world.other, other)

    # Decided as new commands: the first merged (the card is lost already), the second is the
    # other device's own id with another body. Nothing repeats the counter's answer.
    assert (first_answer["outcome"], first_answer["record"]) == ("merged", None)
    assert first_answer["first_outcome"] is None
    assert (second_answer["outcome"], second_answer["reason"]) == ("rejected", "id_reused")

    # The counter's own id is still its own: a repeat is its duplicate, another body id_reused.
    [repeat] = push(world, world.counter, first)
    assert (repeat["outcome"], repeat["first_outcome"], repeat["record"]) == (
        "duplicate",
        "applied",
        None,
    )
    reused = world.command(world.counter, holder_id(10), LOSS, command_id=command_id)
    assert push(world, world.counter, reused)[0]["reason"] == "id_reused"


def test_another_devices_id_answers_as_a_never_seen_id_would(world: World) -> None:
    """The answer to a known id from another device is byte for byte the answer to the same
    command under an id nobody used (but for the id itself)."""
    world.service.put_record(lost_record(11))
    known = uuid.uuid4().hex
    push(world, world.counter, world.command(world.counter, holder_id(11), LOSS, command_id=known))
    never = uuid.uuid4().hex

    answers = {}
    for command_id in (known, never):
        command = world.command(
            world.other, holder_id(11), LOSS, actor="T201", command_id=command_id
        )
        [answer] = push(world, world.other, command)
        answers[command_id] = {k: v for k, v in answer.items() if k != "id"}

    assert (
        answers[known]
        == answers[never]
        == {
            "outcome": "merged",
            "version": 1,
            "reason": None,
            "message": None,
            "record": None,
            "first_outcome": None,
        }
    )


def test_two_devices_conflicts_under_one_id_are_both_kept(world: World) -> None:
    command_id = uuid.uuid4().hex
    world.service.put_record(lost_record(12))
    wrong_card = {**unlock(12), "card_number": active_record(13).card_number}

    [a] = push(
        world,
        world.counter,
        world.command(world.counter, holder_id(12), wrong_card, command_id=command_id),
    )
    [b] = push(
        world,
        world.other,
        world.command(world.other, holder_id(12), wrong_card, actor="T201", command_id=command_id),
    )

    assert [a["outcome"], b["outcome"]] == ["conflict", "conflict"]
    with world.database.read() as conn:
        devices = conn.execute(
            select(models.conflicts.c.device).where(models.conflicts.c.command_id == command_id)
        ).scalars()
        assert sorted(devices) == sorted([world.counter.device_id, world.other.device_id])
