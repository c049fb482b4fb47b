"""Who may do what where: staff roles and places of work, and who may stand at the counter.

`permission` answers for staff (a teller at a branch, home-visit staff at a person's home, a
supervisor); `check_applicant` answers for the person in front of them (the holder, a guardian or
an agent). Both use the lifecycle's `RefusalReason` codes, so every refusal has one catalog text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from branch_app.domain.identity import IdentityKind, age_on
from branch_app.domain.lifecycle import (
    Apply,
    Cancel,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    IssuanceSpeed,
    RefusalReason,
    Refused,
    ReportLoss,
    Unlock,
    refused,
)
from branch_app.domain.vocabulary import ApplicantAction, Place, Presenter, Role

ADULT_AGE = 16  # applies in person from this age (with legal capacity)
AGENT_MIN_AGE = 18


@dataclass(frozen=True, slots=True)
class Permission:
    """Whether the command may be taken here; `needs_second_person` asks for a supervisor's approval."""

    allowed: bool
    reason: RefusalReason | None = None
    needs_second_person: bool = False

    @property
    def message_key(self) -> str | None:
        return None if self.reason is None else f"domain.refusal.{self.reason.value}"


ALLOWED = Permission(allowed=True)


def _denied(reason: RefusalReason) -> Permission:
    return Permission(allowed=False, reason=reason)


def permission(role: Role, place: Place, command: Command) -> Permission:
    """May `role` take `command` at `place`?

    Home-visit staff work only on home visits; tellers and supervisors work at branches and may also
    go on home visits, where the home-visit limits apply. Instant issuance needs an instant-issuance
    branch, and only such a branch records a card as issued (the one it printed); every other card
    is reported by the card agency. Cancellation by a teller needs a supervisor's approval.
    """
    if role is Role.HOME_VISIT and place is not Place.HOME_VISIT:
        return _denied(RefusalReason.ROLE_NOT_AT_PLACE)
    if place is Place.HOME_VISIT:
        return _home_visit_permission(command)
    instant = isinstance(command, Apply) and command.speed is IssuanceSpeed.INSTANT
    if instant and place is not Place.INSTANT_BRANCH:
        return _denied(RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH)
    if isinstance(command, ConfirmIssuance) and place is not Place.INSTANT_BRANCH:
        return _denied(RefusalReason.ISSUED_BY_CARD_AGENCY)
    if isinstance(command, Cancel) and role is not Role.SUPERVISOR:
        return Permission(allowed=True, needs_second_person=True)
    return ALLOWED


def _home_visit_permission(command: Command) -> Permission:
    match command:
        case Apply(speed=IssuanceSpeed.INSTANT):
            return _denied(RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH)
        case Apply() | ReportLoss():
            return ALLOWED
        case Unlock():
            return _denied(RefusalReason.UNLOCK_NEEDS_BRANCH)
        case ConfirmCollection():
            return _denied(RefusalReason.COLLECTION_NEEDS_BRANCH)
        case ConfirmIssuance() | Cancel():
            return _denied(RefusalReason.NOT_ON_HOME_VISIT)
    raise TypeError(f"not a card command: {type(command).__name__}")


def check_applicant(
    action: ApplicantAction,
    *,
    holder_kind: IdentityKind,
    holder_birth_date: dt.date,
    on: dt.date,
    presenter: Presenter,
    holder_has_legal_capacity: bool = True,
    guardianship_proof: bool = False,
    presenter_birth_date: dt.date | None = None,
) -> list[Refused]:
    """Everything that stops this person from applying or collecting; an empty list means allowed.

    16+ with legal capacity: the holder in person. Under 16 or without legal capacity: the legal
    guardian, with proof of guardianship. HK/Macau/Taiwan residents and foreigners may send an
    agent aged 18+ to apply, but the holder (or guardian) collects.
    """
    needs_guardian = age_on(holder_birth_date, on) < ADULT_AGE or not holder_has_legal_capacity
    problems: list[Refused] = []
    if presenter is Presenter.HOLDER:
        if needs_guardian:
            problems.append(refused(RefusalReason.GUARDIAN_REQUIRED))
    elif presenter is Presenter.GUARDIAN:
        if not needs_guardian:
            problems.append(refused(RefusalReason.HOLDER_MUST_ATTEND))
        if not guardianship_proof:
            problems.append(refused(RefusalReason.GUARDIANSHIP_PROOF_MISSING))
    else:
        if action is ApplicantAction.COLLECT:
            problems.append(refused(RefusalReason.HOLDER_COLLECTS))
        elif not holder_kind.may_send_agent:
            problems.append(refused(RefusalReason.AGENT_NOT_ALLOWED))
        if presenter_birth_date is None:
            problems.append(refused(RefusalReason.AGENT_AGE_UNKNOWN))
        elif age_on(presenter_birth_date, on) < AGENT_MIN_AGE:
            problems.append(refused(RefusalReason.AGENT_UNDER_18))
    return problems
