"""The central enforces everything the counter does (issue 9, item 2), on SQLite and PostgreSQL.

Every command here is pushed straight to the API, as a device that skips the counter's checks
would: the central runs the domain's one admission path on its own record and its own staff
table. A refusal for want of a photo, a representative, evidence or a second person rejects the
command and leaves nothing behind; a refusal by the card lifecycle stays a conflict for a
supervisor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from branch_app.domain.identity import resident_check_character
from branch_app.domain.vocabulary import CardState, FunctionStatus, Role
from central import models
from central.auth import add_staff, password_hasher
from tests.central.conftest import (
    BRANCH,
    PASSWORD,
    TEST_SETTINGS,
    World,
    active_record,
    application,
    cancel,
    card_number,
    holder_id,
    unlock,
)

HONG_KONG = "810000"
GUANGZHOU = "440106"


def born_years_ago(years: int, *, area: str = GUANGZHOU, n: int = 1) -> str:
    """A valid, fictional 18-character number of someone who turned `years` on 1 January
    (the central judges ages on its own date)."""
    first17 = f"{area}{dt.date.today().year - years}0101{n % 1000:03d}"
    return first17 + resident_check_character(first17)


def representative(number: str | None) -> dict[str, Any] | None:
    if number is None:
        return None
    return {"kind": "resident", "number": number, "name": "Chen Example", "birth_date": None}


def applicant(
    presenter: str, *, proof: bool = False, document: str | None = holder_id(900)
) -> dict[str, Any]:
    """Who stands at the counter; by default a representative with a valid adult resident ID."""
    return {
        "presenter": presenter,
        "holder_birth_date": None,
        "holder_has_legal_capacity": True,
        "guardianship_proof": proof,
        "representative": representative(document) if presenter != "holder" else None,
    }


def count(world: World, table: Any) -> int:
    with world.database.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def push_one(world: World, holder: str, payload: dict[str, Any], **how: Any) -> dict[str, Any]:
    device = how.pop("device", world.counter)
    [result] = world.push(device, world.command(device, holder, payload, **how))
    return result


def assert_rejected(
    world: World, holder: str, result: dict[str, Any], reason: str, *, version: int = 0
) -> None:
    """Rejected with the refusal's code: no conflict for a supervisor, the card unchanged."""
    assert (result["outcome"], result["reason"]) == ("rejected", reason)
    assert result.get("record") is None
    assert count(world, models.conflicts) == 0
    record = world.record(holder)
    assert (record or {"version": 0})["version"] == version


# Applications --------------------------------------------------------------------------------


def test_an_application_without_a_photo_is_rejected(world: World) -> None:
    holder = holder_id(1)
    no_photo = application(photo_receipt=None, police_photo=False)

    refused = push_one(world, holder, no_photo)
    garbled = push_one(world, holder, application(photo_receipt="GZ-2025/03"))

    assert_rejected(world, holder, refused, "photo_required")
    assert_rejected(world, holder, garbled, "photo_receipt_malformed")
    police = push_one(world, holder, application(photo_receipt=None, police_photo=True))
    assert police["outcome"] == "applied"  # the police's ID card photo is a photo too


def test_an_agent_applying_for_a_child_is_rejected(world: World) -> None:
    child = born_years_ago(10, area=HONG_KONG)  # a holder who may otherwise send an agent

    for_child = push_one(world, child, application(applicant=applicant("agent")))

    assert_rejected(world, child, for_child, "guardian_required")
    adult = born_years_ago(30, area=HONG_KONG, n=2)
    for_adult = push_one(world, adult, application(applicant=applicant("agent")))
    assert for_adult["outcome"] == "applied"


def test_a_guardian_without_proof_of_guardianship_is_rejected(world: World) -> None:
    child = born_years_ago(10)

    no_proof = push_one(world, child, application(applicant=applicant("guardian")))

    assert_rejected(world, child, no_proof, "guardianship_proof_missing")
    with_proof = push_one(world, child, application(applicant=applicant("guardian", proof=True)))
    assert with_proof["outcome"] == "applied"


@pytest.mark.parametrize("presenter", ["guardian", "agent"])
def test_a_representative_without_a_document_is_rejected(world: World, presenter: str) -> None:
    holder = born_years_ago(10) if presenter == "guardian" else born_years_ago(40, area=HONG_KONG)
    who = applicant(presenter, proof=True, document=None)

    result = push_one(world, holder, application(applicant=who))

    assert_rejected(world, holder, result, "representative_document_required")


def test_a_child_of_ten_applying_in_person_is_rejected(world: World) -> None:
    child = born_years_ago(10)

    result = push_one(world, child, application(applicant=applicant("holder")))

    assert_rejected(world, child, result, "guardian_required")


def test_a_collection_by_an_agent_is_rejected(world: World) -> None:
    holder = born_years_ago(40, area=HONG_KONG)
    world.service.put_record(active_record(1, holder_id=holder))
    collect = {"kind": "confirm_collection", "collected_on": "2026-03-20"}

    result = push_one(world, holder, collect | {"applicant": applicant("agent")})

    assert_rejected(world, holder, result, "holder_collects", version=1)


# Cancellation: a second person --------------------------------------------------------------


def add_supervisor(world: World, staff_id: str, *, active: bool) -> None:
    with world.database.write() as conn:
        add_staff(
            conn,
            password_hasher(TEST_SETTINGS),
            staff_id=staff_id,
            name=f"Staff {staff_id}",
            role=Role.SUPERVISOR,
            branch=BRANCH,
            password=PASSWORD,
        )
        if not active:
            conn.execute(
                update(models.staff).where(models.staff.c.staff_id == staff_id).values(active=False)
            )


@pytest.mark.parametrize(
    ("approved_by", "reason"),
    [
        (None, "approval_required"),
        ("  ", "approval_required"),
        ("T001", "approver_is_requester"),  # the teller approving their own request
        ("T002", "approver_not_supervisor"),  # a teller of the branch
        ("S201", "approver_not_supervisor"),  # a supervisor of another branch
        ("S009", "approver_not_supervisor"),  # a supervisor no longer active
        ("NOBODY", "approver_not_supervisor"),  # nobody the staff table knows
    ],
)
def test_a_tellers_cancellation_needs_a_supervisor_of_the_branch(
    world: World, approved_by: str | None, reason: str
) -> None:
    add_supervisor(world, "S009", active=False)
    world.service.put_record(active_record(1))
    payload = cancel("moved_out_of_province", approved_by=approved_by, evidence=None)

    result = push_one(world, holder_id(1), payload, base_version=1)

    assert_rejected(world, holder_id(1), result, reason, version=1)


def test_a_tellers_cancellation_approved_by_the_branch_supervisor_is_applied(
    world: World,
) -> None:
    world.service.put_record(active_record(1))
    world.service.put_record(active_record(2))
    payload = cancel("moved_out_of_province", approved_by="S001", evidence=None)

    approved = push_one(world, holder_id(1), payload, base_version=1)
    own = push_one(world, holder_id(2), payload | {"approved_by": None}, actor="S001")

    assert approved["outcome"] == "applied"
    assert approved["record"]["card_state"] == "cancelled"
    assert own["outcome"] == "applied"  # a supervisor's own cancellation needs no second person


def test_a_death_cancellation_without_evidence_is_rejected(world: World) -> None:
    world.service.put_record(active_record(1))

    missing = push_one(world, holder_id(1), cancel("death", evidence=None))
    garbled = push_one(world, holder_id(1), cancel("death", evidence="a relative said so"))

    assert_rejected(world, holder_id(1), missing, "death_evidence_required", version=1)
    assert_rejected(world, holder_id(1), garbled, "evidence_malformed", version=1)
    assert push_one(world, holder_id(1), cancel("death"))["outcome"] == "applied"


# Unlock, contact details, the lifecycle ------------------------------------------------------


def test_an_unlock_with_another_card_is_a_conflict(world: World) -> None:
    world.service.put_record(
        active_record(
            1,
            card_state=CardState.LOSS_REPORTED,
            social_security=FunctionStatus.FROZEN,
            financial=FunctionStatus.FROZEN,
        )
    )
    other_card = {**unlock(1), "card_number": card_number(2)}
    no_card = {k: v for k, v in unlock(1).items() if k not in ("card_number", "card_read")}

    other = push_one(world, holder_id(1), other_card, base_version=1)
    without = push_one(world, holder_id(1), no_card, base_version=1)

    assert (other["outcome"], other["reason"]) == ("conflict", "card_not_current")
    assert (without["outcome"], without["reason"]) == ("conflict", "card_required")
    assert other["record"] is None  # a device token alone is no lookup (issue 10, finding 3)
    assert count(world, models.conflicts) == 2
    found = push_one(world, holder_id(1), unlock(1, at_card_bank=False), base_version=1)
    assert found["outcome"] == "applied"
    assert (found["record"]["social_security"], found["record"]["financial"]) == (
        "normal",
        "normal",
    )


def test_a_change_of_contact_is_applied_and_comes_back_in_the_record(world: World) -> None:
    world.service.put_record(active_record(1))
    change = {"kind": "change_contact", "mobile": "13800138000", "address": None}

    result = push_one(world, holder_id(1), change, base_version=1)
    address = push_one(world, holder_id(1), change | {"mobile": None, "address": "1 Example Rd"})

    assert result["outcome"] == "applied"
    assert result["record"]["contact"] == {"mobile": "13800138000", "address": None}
    assert address["record"]["contact"] == {"mobile": "13800138000", "address": "1 Example Rd"}
    assert world.record(holder_id(1))["contact"] == address["record"]["contact"]
    from_home = push_one(
        world, holder_id(1), change | {"mobile": "13900139000"}, device=world.home, actor="H001"
    )
    assert from_home["outcome"] == "applied"  # a home visit may record it too
    bad = push_one(world, holder_id(1), change | {"mobile": "12345"})
    assert (bad["outcome"], bad["reason"]) == ("rejected", "mobile_malformed")
    unknown = push_one(world, holder_id(2), change)
    assert (unknown["outcome"], unknown["reason"]) == ("conflict", "no_record")


def test_a_lifecycle_refusal_is_still_a_conflict_for_the_supervisor(world: World) -> None:
    world.service.put_record(active_record(1))
    damage = application("exchange", exchange_reason="damage")
    new_bank = application("exchange", exchange_reason="change_of_bank", bank="other-bank")

    first = push_one(world, holder_id(1), damage, base_version=1)
    second = push_one(world, holder_id(1), new_bank, base_version=2)

    assert first["outcome"] == "applied"
    assert (second["outcome"], second["reason"]) == ("conflict", "application_pending")
    assert second["record"] is None  # a device token alone is no lookup (issue 10, finding 3)
    assert world.record(holder_id(1))["application"]["exchange_reason"] == "damage"  # not merged
    session = world.login(world.counter, "S001")
    listed = world.client.get(
        "/v1/conflicts", headers=world.headers(world.counter, session)
    ).json()["conflicts"]
    assert [c["reason"] for c in listed] == ["application_pending"]
