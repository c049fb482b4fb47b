"""The central reads a holder's number with the document kind the command carries.

A passport number is never guessed from its form: with `holder_kind` the central checks it as a
passport and applies the holder's requests by the same rules as the counter; without it, or with
a number that is not valid for its kind, the command is `rejected/invalid_holder`. A command of
the previous version (no `holder_kind`) is read, and hashed, as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from branch_app.domain.identity import IdentityKind, resident_check_character
from branch_app.domain.lifecycle import Applicant, Representative
from branch_app.domain.vocabulary import Presenter
from central.service import _body_hash
from sync import protocol as p
from tests.central.conftest import World, application, holder_id

PASSPORT = "E12345678"
PERMANENT_2017 = "CAN310119850505"
AGENT_ID = "44010619800202123" + resident_check_character("44010619800202123")


def applicant_dict(applicant: Applicant) -> dict[str, Any]:
    """An `Applicant` as it travels in an application's payload (`command_to_dict` form)."""
    from branch_app.domain.lifecycle import ApplicationKind, Apply, IssuanceSpeed, command_to_dict

    command = Apply(
        ApplicationKind.FIRST, IssuanceSpeed.NORMAL, dt.date(2026, 3, 2), applicant=applicant
    )
    return dict(command_to_dict(command)["applicant"])


def by_agent(agent_number: str = AGENT_ID, agent_birth: dt.date | None = None) -> dict[str, Any]:
    """A first application made by an agent for an adult holder whose number has no birth date."""
    kind = IdentityKind.PASSPORT if agent_birth is not None else IdentityKind.RESIDENT
    agent = Applicant(
        presenter=Presenter.AGENT,
        holder_birth_date=dt.date(1985, 5, 5),
        representative=Representative(
            kind=kind, number=agent_number, name="Agent Chan", birth_date=agent_birth
        ),
    )
    return application(applicant=applicant_dict(agent))


def in_person() -> dict[str, Any]:
    holder = Applicant(holder_birth_date=dt.date(1985, 5, 5))
    return application(applicant=applicant_dict(holder))


def with_kind(command: dict[str, Any], kind: IdentityKind | None) -> dict[str, Any]:
    return command if kind is None else command | {"holder_kind": kind.value}


def test_a_passport_holders_application_is_applied_only_with_its_kind(world: World) -> None:
    without = world.command(world.counter, PASSPORT, by_agent())
    [refused] = world.push(world.counter, without)
    assert (refused["outcome"], refused["reason"]) == ("rejected", "invalid_holder")

    command = with_kind(world.command(world.counter, PASSPORT, by_agent()), IdentityKind.PASSPORT)
    [applied] = world.push(world.counter, command)
    assert applied["outcome"] == "applied", applied
    record = world.record(PASSPORT)
    assert record is not None and record["application"]["kind"] == "first"

    [again] = world.push(world.counter, command)  # a retry is the first answer, not a second
    assert again["outcome"] == "duplicate" and again["first_outcome"] == "applied"
    changed = command | {"holder_kind": IdentityKind.FOREIGN_PERMANENT_2017.value}
    [reused] = world.push(world.counter, changed)  # the kind is part of the command's body
    assert (reused["outcome"], reused["reason"]) == ("rejected", "id_reused")


def test_the_applicant_rules_hold_for_a_passport_holder(world: World) -> None:
    """Issue 11, finding 1: the holder's number has no birth date, the rules still apply."""
    child_agent = by_agent("P0000001", agent_birth=dt.date(2016, 1, 1))
    command = with_kind(
        world.command(world.counter, "E22222222", child_agent), IdentityKind.PASSPORT
    )
    [refused] = world.push(world.counter, command)
    assert (refused["outcome"], refused["reason"]) == ("rejected", "agent_under_18")

    no_birth_date = application()  # the holder in person, no birth date from the document
    command = with_kind(
        world.command(world.counter, "E33333333", no_birth_date), IdentityKind.PASSPORT
    )
    [refused] = world.push(world.counter, command)
    assert (refused["outcome"], refused["reason"]) == ("rejected", "holder_birth_date_required")


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("e12345678", IdentityKind.PASSPORT),  # not canonical: the record would be another key
        (PASSPORT, IdentityKind.RESIDENT),
        (PASSPORT, IdentityKind.FOREIGN_PERMANENT_2017),
        (PERMANENT_2017, IdentityKind.RESIDENT),
        (holder_id(5), IdentityKind.HONG_KONG_PERMIT),  # a resident ID is no HK permit
    ],
)
def test_a_number_not_valid_for_its_kind_is_an_invalid_holder(
    world: World, number: str, kind: IdentityKind
) -> None:
    command = with_kind(world.command(world.counter, number, by_agent()), kind)
    [refused] = world.push(world.counter, command)
    assert (refused["outcome"], refused["reason"]) == ("rejected", "invalid_holder")
    assert world.record(number) is None


@pytest.mark.parametrize("number", ["E123", "E1234-678", "E1234 5678", "E" * 21, "护照12345"])
def test_the_holder_id_stays_letters_and_digits_of_a_bounded_length(
    world: World, number: str
) -> None:
    command = with_kind(world.command(world.counter, number, by_agent()), IdentityKind.PASSPORT)
    answer = world.client.post(
        "/v1/commands/push", json={"commands": [command]}, headers=world.headers(world.counter)
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_body"
    assert number not in answer.text


@pytest.mark.parametrize("kind", [None, IdentityKind.FOREIGN_PERMANENT_2017])
def test_a_2017_permanent_residence_id_is_applied_with_or_without_its_kind(
    world: World, kind: IdentityKind | None
) -> None:
    [applied] = world.push(
        world.counter, with_kind(world.command(world.counter, PERMANENT_2017, in_person()), kind)
    )
    assert applied["outcome"] == "applied", applied


def test_a_command_of_the_previous_version_is_read_and_hashed_as_before(world: World) -> None:
    holder = holder_id(6)
    old = world.command(world.counter, holder, application())
    decoded = p.decode(p.PushCommand, p.canonical_json(old))
    assert decoded.holder_kind is None
    before = hashlib.sha256(p.canonical_json(old)).hexdigest()  # the hash the central stored
    assert decoded.body_hash() == _body_hash(decoded) == before
    assert "holder_kind" not in decoded.model_dump(mode="json")

    kinded = p.decode(p.PushCommand, p.canonical_json(old | {"holder_kind": "resident"}))
    assert kinded.body_hash() == _body_hash(kinded) != before

    [applied] = world.push(world.counter, old)
    assert applied["outcome"] == "applied", applied
    [again] = world.push(world.counter, old)
    assert again["outcome"] == "duplicate" and again["first_outcome"] == "applied"


def test_a_lookup_reads_the_number_with_its_kind(world: World) -> None:
    command = with_kind(world.command(world.counter, PASSPORT, by_agent()), IdentityKind.PASSPORT)
    assert world.push(world.counter, command)[0]["outcome"] == "applied"
    headers = world.headers(world.counter, world.login(world.counter, "T001"))

    def lookup(body: dict[str, Any]) -> Any:
        return world.client.post(
            "/v1/lookups", json=body | {"purpose": "holder_enquiry"}, headers=headers
        )

    found = lookup({"holder_id": PASSPORT, "holder_kind": "passport"})
    assert found.status_code == 200 and found.json()["record"]["holder_id"] == PASSPORT
    unknown = lookup({"holder_id": "E99999999", "holder_kind": "passport"})
    assert unknown.status_code == 404
    no_kind = lookup({"holder_id": PASSPORT})
    assert no_kind.status_code == 422 and no_kind.json()["error"]["code"] == "invalid_body"
    assert PASSPORT not in no_kind.text
    wrong_kind = lookup({"holder_id": PASSPORT, "holder_kind": "resident"})
    assert wrong_kind.status_code == 422
    resident = lookup({"holder_id": holder_id(7)})  # the previous version's lookup
    assert resident.status_code == 404
