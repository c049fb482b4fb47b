"""An unlock made at a counter before a loss report the central received through a channel (a
relative online while the branch was offline) is a conflict for a supervisor, not a silent thaw
(found by the tmux lost-card story, tests/ui/test_tmux_lost_card.py): the report merged into the
frozen card and left no trace the lifecycle could see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from central.db import utcnow
from tests.central.conftest import LOSS_AT_BRANCH, World, active_record, holder_id, unlock


def _at(moment: dt.datetime) -> str:
    return moment.isoformat()


def _reported_lost_online(world: World, holder: str) -> dict[str, Any]:
    answer = world.client.post(
        "/v1/channels/loss-report",
        json={"holder_id": holder, "channel": "online"},
        headers=world.headers(world.other),
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_an_unlock_made_before_an_online_loss_report_is_a_conflict(world: World) -> None:
    world.service.put_record(active_record(61))
    holder = holder_id(61)
    [lost] = world.push(
        world.other, world.command(world.other, holder, LOSS_AT_BRANCH, actor="T201")
    )
    assert lost["outcome"] == "applied"
    # The holder shows the found card at the offline counter; then a relative reports it online.
    shown = {
        **world.command(world.counter, holder, unlock(61), base_version=2),
        "made_at": _at(utcnow()),
    }
    assert _reported_lost_online(world, holder)["outcome"] == "merged"

    [answer] = world.push(world.counter, shown)

    assert (answer["outcome"], answer["reason"]) == ("conflict", "lost_after_unlock")
    assert world.record(holder)["card_state"] == "loss_reported"  # the safe state
    headers = world.headers(world.counter, world.login(world.counter, "S001"))
    [listed] = world.client.get("/v1/conflicts", headers=headers).json()["conflicts"]
    assert (listed["command"]["id"], listed["reason"]) == (shown["id"], "lost_after_unlock")

    # The supervisor, having asked the holder, unlocks again: made now, after the report.
    fix = world.signed(
        {
            **world.command(world.counter, holder, unlock(61), actor="S001", base_version=2),
            "made_at": _at(utcnow()),
        }
    )
    resolved = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "corrected", "note": "holder has the card", "command": fix},
        headers=headers,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["result"]["outcome"] == "applied"
    assert world.record(holder)["card_state"] == "active"


def test_an_unlock_made_after_the_online_report_or_before_a_counters_is_applied(
    world: World,
) -> None:
    for n in (62, 63):
        world.service.put_record(active_record(n))
    # Reported online, then the card shown at the counter: the holder has it after the report.
    _reported_lost_online(world, holder_id(62))
    later = {**world.command(world.counter, holder_id(62), unlock(62)), "made_at": _at(utcnow())}
    [answer] = world.push(world.counter, later)
    assert answer["outcome"] == "applied"

    # A loss report at another branch's counter is left to the lifecycle (clocks do not order
    # two counters' offline acts): an earlier-made unlock still applies.
    shown = {**world.command(world.counter, holder_id(63), unlock(63)), "made_at": _at(utcnow())}
    world.push(world.other, world.command(world.other, holder_id(63), LOSS_AT_BRANCH, actor="T201"))
    [answer] = world.push(world.counter, shown)
    assert answer["outcome"] == "applied"


def test_an_unlock_claiming_a_time_beyond_the_centrals_clock_is_a_conflict(world: World) -> None:
    world.service.put_record(active_record(64))
    holder = holder_id(64)
    _reported_lost_online(world, holder)
    ahead = utcnow() + dt.timedelta(hours=2)
    claimed = {**world.command(world.counter, holder, unlock(64)), "made_at": _at(ahead)}
    [answer] = world.push(world.counter, claimed)
    assert (answer["outcome"], answer["reason"]) == ("conflict", "lost_after_unlock")
