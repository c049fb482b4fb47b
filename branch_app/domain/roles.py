"""Who may do what where: staff roles and places of work, and who may stand at the counter.

`permission` answers for staff (a teller at a branch, home-visit staff at a person's home, a
supervisor); `check_applicant` answers for the person in front of them (the holder, a guardian or
an agent). Both use the lifecycle's `RefusalReason` codes, so every refusal has one catalog text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from branch_app.domain.identity import IdentityError, IdentityNumber, age_on, parse_identity
from branch_app.domain.lifecycle import (
    Applicant,
    Apply,
    Cancel,
    Command,
    ConfirmIssuance,
    Refused,
    refused,
)
from branch_app.domain.vocabulary import (
    ApplicantAction,
    IssuanceSpeed,
    Place,
    Presenter,
    RefusalReason,
    Role,
)

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
    """On a home visit: what each command's kind allows there (`not_on_home_visit`); an
    instant card is printed only at an instant-issuance branch."""
    if isinstance(command, Apply) and command.speed is IssuanceSpeed.INSTANT:
        return _denied(RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH)
    reason = command.not_on_home_visit
    return ALLOWED if reason is None else _denied(reason)


def check_applicant(
    action: ApplicantAction, *, holder: IdentityNumber, applicant: Applicant, on: dt.date
) -> list[Refused]:
    """Everything that stops this person from applying or collecting; an empty list means allowed.

    16+ with legal capacity: the holder in person. Under 16 or without legal capacity: the legal
    guardian, with proof of guardianship. HK/Macau/Taiwan residents and foreigners may send an
    agent aged 18+ to apply (never for a child: the guardian comes), but the holder (or guardian)
    collects. Every representative shows their own identity document, which is checked. When the
    holder's ID number carries no birth date, the birth date from the document shown is needed.
    """
    problems: list[RefusalReason] = []
    birth_date = holder.birth_date or applicant.holder_birth_date
    if birth_date is None:
        return [refused(RefusalReason.HOLDER_BIRTH_DATE_REQUIRED)]
    needs_guardian = age_on(birth_date, on) < ADULT_AGE or not applicant.holder_has_legal_capacity
    presenter = applicant.presenter
    if presenter is Presenter.HOLDER:
        if needs_guardian:
            problems.append(RefusalReason.GUARDIAN_REQUIRED)
    elif presenter is Presenter.GUARDIAN:
        if not needs_guardian:
            problems.append(RefusalReason.HOLDER_MUST_ATTEND)
        if not applicant.guardianship_proof:
            problems.append(RefusalReason.GUARDIANSHIP_PROOF_MISSING)
    else:
        if action is ApplicantAction.COLLECT:
            problems.append(RefusalReason.HOLDER_COLLECTS)
        elif not holder.kind.may_send_agent:
            problems.append(RefusalReason.AGENT_NOT_ALLOWED)
        if needs_guardian:
            problems.append(RefusalReason.GUARDIAN_REQUIRED)
    if presenter is not Presenter.HOLDER:
        problems.extend(_representative_problems(applicant, holder, on))
    return [refused(reason) for reason in dict.fromkeys(problems)]


def _representative_problems(
    applicant: Applicant, holder: IdentityNumber, on: dt.date
) -> list[RefusalReason]:
    """The guardian's or agent's own document: present, valid, not the holder's; an agent 18+."""
    document = applicant.representative
    if document is None or not document.name.strip() or not document.number.strip():
        return [RefusalReason.REPRESENTATIVE_DOCUMENT_REQUIRED]
    try:
        checked = parse_identity(document.number, kind=document.kind, today=on)
    except IdentityError:
        return [RefusalReason.REPRESENTATIVE_DOCUMENT_INVALID]
    if checked.number == holder.number:
        return [RefusalReason.REPRESENTATIVE_IS_HOLDER]
    if applicant.presenter is not Presenter.AGENT:
        return []
    born = checked.birth_date or document.birth_date
    if born is None:
        return [RefusalReason.AGENT_AGE_UNKNOWN]
    if age_on(born, on) < AGENT_MIN_AGE:
        return [RefusalReason.AGENT_UNDER_18]
    return []
