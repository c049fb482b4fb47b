"""Who may do what where, and who may stand at the counter for the holder."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from branch_app.domain.identity import IdentityKind, IdentityNumber, parse_identity
from branch_app.domain.lifecycle import (
    Applicant,
    Apply,
    Cancel,
    ChangeContact,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    ReportLoss,
    Representative,
    Unlock,
)
from branch_app.domain.roles import check_applicant, permission
from branch_app.domain.vocabulary import (
    ApplicantAction,
    ApplicationKind,
    CancellationReason,
    IssuanceSpeed,
    LossChannel,
    Place,
    Presenter,
    RefusalReason,
    Role,
)
from tests.domain.domain_strategies import BOB_ID, PASSPORT_ID, PR_2017_ID, resident_id

DAY = dt.date(2026, 3, 2)
NORMAL_APPLY = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, DAY)
INSTANT_APPLY = Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.INSTANT, DAY)
EVERY_COMMAND: list[Command] = [
    NORMAL_APPLY,
    INSTANT_APPLY,
    ReportLoss(LossChannel.CARD_BANK_BRANCH),
    Unlock(True),
    ConfirmIssuance("X00000019", DAY),
    ConfirmCollection(DAY),
    Cancel(CancellationReason.DEATH),
    ChangeContact(mobile="13800138000"),
]


@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_teller_at_a_branch_may_do_everything_but_instant_issuance(command: Command) -> None:
    at_branch = permission(Role.TELLER, Place.BRANCH, command)
    if command is INSTANT_APPLY:
        assert not at_branch.allowed
        assert at_branch.reason is RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH
        assert at_branch.message_key == "domain.refusal.instant_needs_instant_branch"
    elif isinstance(command, ConfirmIssuance):  # no card printer here: the card agency reports it
        assert not at_branch.allowed
        assert at_branch.reason is RefusalReason.ISSUED_BY_CARD_AGENCY
    else:
        assert at_branch.allowed and at_branch.reason is None
    assert permission(Role.TELLER, Place.INSTANT_BRANCH, command).allowed


@pytest.mark.parametrize("place", [Place.BRANCH, Place.INSTANT_BRANCH])
def test_cancellation_needs_a_supervisor(place: Place) -> None:
    cancel = Cancel(CancellationReason.MOVED_OUT_OF_PROVINCE)
    by_teller = permission(Role.TELLER, place, cancel)
    assert by_teller.allowed and by_teller.needs_second_person
    by_supervisor = permission(Role.SUPERVISOR, place, cancel)
    assert by_supervisor.allowed and not by_supervisor.needs_second_person


@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_supervisor_may_do_all_a_teller_may(command: Command) -> None:
    for place in Place:
        if permission(Role.TELLER, place, command).allowed:
            assert permission(Role.SUPERVISOR, place, command).allowed


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (NORMAL_APPLY, None),
        (ReportLoss(LossChannel.OTHER_BANK_BRANCH), None),
        (INSTANT_APPLY, RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH),
        (Unlock(False), RefusalReason.UNLOCK_NEEDS_BRANCH),
        (ConfirmCollection(DAY), RefusalReason.COLLECTION_NEEDS_BRANCH),
        (ConfirmIssuance("X00000019", DAY), RefusalReason.NOT_ON_HOME_VISIT),
        (Cancel(CancellationReason.DEATH), RefusalReason.NOT_ON_HOME_VISIT),
        (ChangeContact(address="Room 1, 2 Huacheng Road"), None),
    ],
)
def test_home_visit_limits(command: Command, reason: RefusalReason | None) -> None:
    for role in Role:
        answer = permission(role, Place.HOME_VISIT, command)
        assert answer.allowed == (reason is None)
        assert answer.reason is reason


@pytest.mark.parametrize("place", [Place.BRANCH, Place.INSTANT_BRANCH])
def test_home_visit_staff_work_only_on_home_visits(place: Place) -> None:
    answer = permission(Role.HOME_VISIT, place, NORMAL_APPLY)
    assert not answer.allowed and answer.reason is RefusalReason.ROLE_NOT_AT_PLACE


ADULT = dt.date(1990, 7, 1)
CHILD = dt.date(2015, 5, 5)
#: The guardian's own resident ID (an adult from Tianhe) and an adult agent's passport.
GUARDIAN = Representative(IdentityKind.RESIDENT, BOB_ID, "Li Wei")
AGENT_PASSPORT = Representative(
    IdentityKind.PASSPORT, "G12345678", "Chen Mei", birth_date=dt.date(1970, 1, 1)
)
AREA_OF = {
    IdentityKind.RESIDENT: "440104",
    IdentityKind.HONG_KONG_PERMIT: "810000",
    IdentityKind.MACAU_PERMIT: "820000",
    IdentityKind.TAIWAN_PERMIT: "830000",
    IdentityKind.FOREIGN_PERMANENT: "944840",
}


def holder(kind: IdentityKind = IdentityKind.RESIDENT, born: dt.date = ADULT) -> IdentityNumber:
    """A made-up holder of this kind; the kinds whose number carries no birth date have none."""
    if kind is IdentityKind.PASSPORT:
        return parse_identity(PASSPORT_ID, kind=kind, today=DAY)
    if kind is IdentityKind.FOREIGN_PERMANENT_2017:
        return parse_identity(PR_2017_ID, kind=kind, today=DAY)
    return parse_identity(resident_id(AREA_OF[kind], born, 22), kind=kind, today=DAY)


def reasons(
    action: ApplicantAction = ApplicantAction.APPLY,
    *,
    holder_id: IdentityNumber | None = None,
    on: dt.date = DAY,
    **applicant: Any,
) -> list[RefusalReason]:
    found = check_applicant(
        action, holder=holder_id or holder(), applicant=Applicant(**applicant), on=on
    )
    assert all(not r.also for r in found)
    return [r.reason for r in found]


def test_an_adult_applies_in_person() -> None:
    assert reasons() == []
    assert reasons(ApplicantAction.COLLECT) == []
    assert reasons(
        presenter=Presenter.GUARDIAN, guardianship_proof=True, representative=GUARDIAN
    ) == [RefusalReason.HOLDER_MUST_ATTEND]


def test_sixteenth_birthday_is_the_threshold() -> None:
    sixteen_today = holder(born=dt.date(2010, 3, 2))
    assert reasons(holder_id=sixteen_today) == []
    assert reasons(holder_id=sixteen_today, on=dt.date(2026, 3, 1)) == [
        RefusalReason.GUARDIAN_REQUIRED
    ]


def test_a_child_or_a_person_without_capacity_needs_a_guardian_with_proof() -> None:
    child = holder(born=CHILD)
    assert reasons(holder_id=child) == [RefusalReason.GUARDIAN_REQUIRED]
    assert reasons(holder_has_legal_capacity=False) == [RefusalReason.GUARDIAN_REQUIRED]
    assert reasons(holder_id=child, presenter=Presenter.GUARDIAN, representative=GUARDIAN) == [
        RefusalReason.GUARDIANSHIP_PROOF_MISSING
    ]
    with_proof: dict[str, Any] = {
        "presenter": Presenter.GUARDIAN,
        "guardianship_proof": True,
        "representative": GUARDIAN,
    }
    assert reasons(holder_id=child, **with_proof) == []
    assert reasons(holder_has_legal_capacity=False, **with_proof) == []
    assert reasons(ApplicantAction.COLLECT, holder_id=child, **with_proof) == []


def test_every_representative_shows_a_valid_document_of_their_own() -> None:
    child = holder(born=CHILD)
    guardian: dict[str, Any] = {"presenter": Presenter.GUARDIAN, "guardianship_proof": True}
    missing = RefusalReason.REPRESENTATIVE_DOCUMENT_REQUIRED
    assert reasons(holder_id=child, **guardian) == [missing]
    for blank in (replace(GUARDIAN, name=" "), replace(GUARDIAN, number="")):
        assert reasons(holder_id=child, representative=blank, **guardian) == [missing]
    wrong_check = BOB_ID[:17] + ("0" if BOB_ID[17] != "0" else "1")
    for invalid in (
        replace(GUARDIAN, number=wrong_check),
        replace(GUARDIAN, kind=IdentityKind.HONG_KONG_PERMIT),  # a resident ID is no HK permit
        replace(GUARDIAN, kind=IdentityKind.PASSPORT, number="G1"),
    ):
        assert reasons(holder_id=child, representative=invalid, **guardian) == [
            RefusalReason.REPRESENTATIVE_DOCUMENT_INVALID
        ], invalid
    own = Representative(IdentityKind.RESIDENT, child.number.lower(), "Li Wei")
    assert reasons(holder_id=child, representative=own, **guardian) == [
        RefusalReason.REPRESENTATIVE_IS_HOLDER
    ]


def test_several_problems_are_all_named_once() -> None:
    child = holder(born=CHILD)
    assert reasons(holder_id=child, presenter=Presenter.GUARDIAN) == [
        RefusalReason.GUARDIANSHIP_PROOF_MISSING,
        RefusalReason.REPRESENTATIVE_DOCUMENT_REQUIRED,
    ]


MAY_SEND_AN_AGENT = [
    IdentityKind.HONG_KONG_PERMIT,
    IdentityKind.MACAU_PERMIT,
    IdentityKind.TAIWAN_PERMIT,
    IdentityKind.FOREIGN_PERMANENT,
    IdentityKind.FOREIGN_PERMANENT_2017,
    IdentityKind.PASSPORT,
]


@pytest.mark.parametrize("kind", MAY_SEND_AN_AGENT)
def test_hk_macau_taiwan_and_foreign_holders_may_send_an_adult_agent(kind: IdentityKind) -> None:
    agent: dict[str, Any] = {
        "holder_id": holder(kind),
        "presenter": Presenter.AGENT,
        "holder_birth_date": ADULT,  # from the holder's document when the number has none
    }
    eighteen_today = Representative(
        IdentityKind.RESIDENT, resident_id("440106", dt.date(2008, 3, 2), 51), "Chen Mei"
    )
    assert reasons(representative=eighteen_today, **agent) == []
    assert reasons(representative=AGENT_PASSPORT, **agent) == []
    not_yet = replace(AGENT_PASSPORT, birth_date=dt.date(2008, 3, 3))
    assert reasons(representative=not_yet, **agent) == [RefusalReason.AGENT_UNDER_18]
    no_birth_date = replace(AGENT_PASSPORT, birth_date=None)
    assert reasons(representative=no_birth_date, **agent) == [RefusalReason.AGENT_AGE_UNKNOWN]
    assert reasons(ApplicantAction.COLLECT, representative=AGENT_PASSPORT, **agent) == [
        RefusalReason.HOLDER_COLLECTS
    ]


def test_mainland_residents_may_not_send_an_agent() -> None:
    assert reasons(presenter=Presenter.AGENT, representative=AGENT_PASSPORT) == [
        RefusalReason.AGENT_NOT_ALLOWED
    ]
