"""Who may do what where, and who may stand at the counter for the holder."""

from __future__ import annotations

import datetime as dt

import pytest

from branch_app.domain.identity import IdentityKind
from branch_app.domain.lifecycle import (
    ApplicationKind,
    Apply,
    Cancel,
    CancellationReason,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    IssuanceSpeed,
    LossChannel,
    RefusalReason,
    ReportLoss,
    Unlock,
)
from branch_app.domain.roles import (
    ApplicantAction,
    Place,
    Presenter,
    Role,
    check_applicant,
    permission,
)

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


def reasons(**kwargs: object) -> list[RefusalReason]:
    action = kwargs.pop("action", ApplicantAction.APPLY)
    defaults: dict[str, object] = {
        "holder_kind": IdentityKind.RESIDENT,
        "holder_birth_date": ADULT,
        "on": DAY,
        "presenter": Presenter.HOLDER,
    }
    return [r.reason for r in check_applicant(action, **(defaults | kwargs))]  # type: ignore[arg-type]


def test_an_adult_applies_in_person() -> None:
    assert reasons() == []
    assert reasons(presenter=Presenter.GUARDIAN, guardianship_proof=True) == [
        RefusalReason.HOLDER_MUST_ATTEND
    ]


def test_sixteenth_birthday_is_the_threshold() -> None:
    sixteen_today = dt.date(2010, 3, 2)
    assert reasons(holder_birth_date=sixteen_today) == []
    assert reasons(holder_birth_date=sixteen_today, on=dt.date(2026, 3, 1)) == [
        RefusalReason.GUARDIAN_REQUIRED
    ]


def test_a_child_or_a_person_without_capacity_needs_a_guardian_with_proof() -> None:
    assert reasons(holder_birth_date=CHILD) == [RefusalReason.GUARDIAN_REQUIRED]
    assert reasons(holder_has_legal_capacity=False) == [RefusalReason.GUARDIAN_REQUIRED]
    assert reasons(holder_birth_date=CHILD, presenter=Presenter.GUARDIAN) == [
        RefusalReason.GUARDIANSHIP_PROOF_MISSING
    ]
    with_proof = {"presenter": Presenter.GUARDIAN, "guardianship_proof": True}
    assert reasons(holder_birth_date=CHILD, **with_proof) == []
    assert reasons(holder_has_legal_capacity=False, **with_proof) == []
    assert reasons(action=ApplicantAction.COLLECT, holder_birth_date=CHILD, **with_proof) == []


@pytest.mark.parametrize(
    "kind",
    [
        IdentityKind.HONG_KONG_PERMIT,
        IdentityKind.MACAU_PERMIT,
        IdentityKind.TAIWAN_PERMIT,
        IdentityKind.FOREIGN_PERMANENT,
        IdentityKind.FOREIGN_PERMANENT_2017,
        IdentityKind.PASSPORT,
    ],
)
def test_hk_macau_taiwan_and_foreign_holders_may_send_an_adult_agent(kind: IdentityKind) -> None:
    agent = {"holder_kind": kind, "presenter": Presenter.AGENT}
    assert reasons(presenter_birth_date=dt.date(2008, 3, 2), **agent) == []
    assert reasons(presenter_birth_date=dt.date(2008, 3, 3), **agent) == [
        RefusalReason.AGENT_UNDER_18
    ]
    assert reasons(**agent) == [RefusalReason.AGENT_AGE_UNKNOWN]
    assert reasons(
        action=ApplicantAction.COLLECT, presenter_birth_date=dt.date(1970, 1, 1), **agent
    ) == [RefusalReason.HOLDER_COLLECTS]


def test_mainland_residents_may_not_send_an_agent() -> None:
    assert reasons(presenter=Presenter.AGENT, presenter_birth_date=dt.date(1970, 1, 1)) == [
        RefusalReason.AGENT_NOT_ALLOWED
    ]
