"""Audited lookups and the supervisor's conflict list and resolution."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy import select

from central import models
from tests.central.conftest import (
    World,
    active_record,
    application,
    card_number,
    holder_id,
    unlock,
)

REPLACE = application("replacement")


def audit_rows(world: World) -> list[dict[str, object]]:
    with world.database.read() as conn:
        rows = conn.execute(select(models.lookup_audit).order_by(models.lookup_audit.c.id))
        return [dict(row._mapping) for row in rows]


def test_a_lookup_needs_a_session_and_a_purpose_and_is_audited(world: World) -> None:
    world.service.put_record(active_record(1))
    holder = holder_id(1)
    session = world.login(world.counter, "T001")
    headers = world.headers(world.counter, session)

    no_session = world.client.post(
        "/v1/lookups",
        json={"holder_id": holder, "purpose": "counter_service"},
        headers=world.headers(world.counter),
    )
    no_purpose = world.client.post("/v1/lookups", json={"holder_id": holder}, headers=headers)
    both_keys = world.client.post(
        "/v1/lookups",
        json={"holder_id": holder, "card_number": card_number(1), "purpose": "unlock"},
        headers=headers,
    )
    by_id = world.client.post(
        "/v1/lookups",
        json={"holder_id": holder, "purpose": "loss_report", "note": "holder at counter 3"},
        headers=headers,
    )
    by_card = world.client.post(
        "/v1/lookups",
        json={"card_number": card_number(1), "purpose": "counter_service"},
        headers=headers,
    )
    missing = world.client.post(
        "/v1/lookups", json={"holder_id": holder_id(2), "purpose": "application"}, headers=headers
    )

    assert no_session.status_code == 401
    assert no_purpose.status_code == 422
    assert no_purpose.json()["error"]["code"] == "invalid_body"
    assert holder not in no_purpose.text  # errors never echo the input
    assert both_keys.status_code == 422
    assert by_id.json()["record"]["holder_id"] == holder
    assert by_card.json()["record"]["holder_id"] == holder
    assert missing.status_code == 404

    rows = audit_rows(world)
    assert [(r["purpose"], r["subject_kind"], r["found"]) for r in rows] == [
        ("loss_report", "holder_id", True),
        ("counter_service", "card_number", True),
        ("application", "holder_id", False),
    ]
    key = world.database.audit_key()
    assert rows[0]["subject_key"] == hmac.new(key, holder.encode(), hashlib.sha256).hexdigest()
    assert rows[0]["subject_masked"] == holder[:6] + "********" + holder[-4:]
    assert rows[0]["staff_id"] == "T001"
    assert rows[0]["device_id"] == world.counter.device_id
    assert rows[0]["note"] == "holder at counter 3"
    everything = repr(rows)
    assert holder not in everything and holder_id(2) not in everything
    assert card_number(1) not in everything


def test_after_a_lookup_the_branch_follows_the_card(world: World) -> None:
    world.service.put_record(active_record(3))
    holder = holder_id(3)
    headers = world.headers(world.other)
    assert world.client.get("/v1/changes", headers=headers).json()["changes"] == []
    session = world.login(world.other, "T201")
    world.client.post(
        "/v1/lookups",
        json={"holder_id": holder, "purpose": "holder_enquiry"},
        headers=world.headers(world.other, session),
    )
    world.client.post(
        "/v1/channels/loss-report", json={"holder_id": holder, "channel": "online"}, headers=headers
    )
    changes = world.client.get("/v1/changes", headers=headers).json()["changes"]
    assert [c["record"]["card_state"] for c in changes] == ["active", "loss_reported"]


def _conflict(world: World, n: int) -> tuple[str, dict[str, object]]:
    """A teller applies for a replacement of a card that was never reported lost."""
    world.service.put_record(active_record(n))
    holder = holder_id(n)
    command = world.command(world.counter, holder, REPLACE)
    [result] = world.push(world.counter, command)
    assert result["outcome"] == "conflict" and result["reason"] == "no_loss_report"
    return holder, command


def test_a_supervisor_upholds_a_conflict_with_a_note(world: World) -> None:
    _holder, command = _conflict(world, 4)
    headers = world.headers(world.counter, world.login(world.counter, "S001"))
    [listed] = world.client.get("/v1/conflicts", headers=headers).json()["conflicts"]
    assert listed["command"]["id"] == command["id"]
    assert listed["actor"] == "T001"

    closed = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "upheld", "note": "holder told to report the loss first"},
        headers=headers,
    )
    again = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "upheld", "note": "twice"},
        headers=headers,
    )

    assert closed.status_code == 200, closed.text
    view = closed.json()["conflict"]
    assert (view["status"], view["decision"], view["resolved_by"]) == (
        "resolved",
        "upheld",
        "S001",
    )
    assert view["note"] == "holder told to report the loss first"
    assert again.status_code == 409
    assert world.client.get("/v1/conflicts", headers=headers).json()["conflicts"] == []
    resolved = world.client.get(
        "/v1/conflicts", params={"status": "resolved"}, headers=headers
    ).json()["conflicts"]
    assert [c["id"] for c in resolved] == [listed["id"]]


def test_a_supervisor_corrects_a_conflict_with_a_new_command(world: World) -> None:
    holder, _command = _conflict(world, 5)
    headers = world.headers(world.counter, world.login(world.counter, "S001"))
    [listed] = world.client.get("/v1/conflicts", headers=headers).json()["conflicts"]
    loss = {"kind": "report_loss", "channel": "card_bank_branch"}
    fix = world.signed(world.command(world.counter, holder, loss, actor="S001", base_version=1))

    refused_fix = world.signed(world.command(world.counter, holder, unlock(5), actor="S001"))
    refused = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "corrected", "note": "unlock", "command": refused_fix},
        headers=headers,
    )
    wrong_actor = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "corrected", "note": "x", "command": fix | {"actor": "T001"}},
        headers=headers,
    )
    no_command = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "corrected", "note": "x"},
        headers=headers,
    )
    corrected = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "corrected", "note": "holder present, loss reported", "command": fix},
        headers=headers,
    )

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "correction_refused"
    assert wrong_actor.status_code == 422
    assert no_command.status_code == 422
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert body["result"]["outcome"] == "applied"
    assert body["conflict"]["correcting_command_id"] == fix["id"]
    assert world.record(holder)["card_state"] == "loss_reported"
    with world.database.read() as conn:
        stored = set(conn.execute(select(models.commands.c.id)).scalars())
    assert refused_fix["id"] not in stored  # a refused correction leaves no trace but the answer
    assert fix["id"] in stored


def test_supervisors_see_and_resolve_only_their_branchs_conflicts(world: World) -> None:
    _conflict(world, 6)
    other = world.headers(world.other, world.login(world.other, "S201"))
    assert world.client.get("/v1/conflicts", headers=other).json()["conflicts"] == []
    own = world.headers(world.counter, world.login(world.counter, "S001"))
    [listed] = world.client.get("/v1/conflicts", headers=own).json()["conflicts"]
    answer = world.client.post(
        f"/v1/conflicts/{listed['id']}/resolve",
        json={"decision": "upheld", "note": "not mine"},
        headers=other,
    )
    assert answer.status_code == 404
    for bad in ("abc", "-1", str(uuid.uuid4().int)):
        assert (
            world.client.post(
                f"/v1/conflicts/{bad}/resolve",
                json={"decision": "upheld", "note": "x"},
                headers=own,
            ).status_code
            == 404
        )
