"""The one admission path: may this maker take this command for this holder here, and what follows?

`admit` is the only place the checks are assembled, in one fixed order:

1. permission: may the maker's role take the command at this place (`roles.permission`);
2. the applicant and representative rules, for applications and collection (`check_applicant`);
3. the documents, which each command checks on itself (`document_problem`): the photo the card
   agency prints, the evidence a death or a card-face change rests on, a contact detail's form;
4. the second person: a command that needs one names an approving supervisor, who is not the maker
   and whom the caller has verified (a password at the counter, the staff table at the central);
5. the lifecycle decision on the record (`lifecycle.decide`).

The counter calls it before it queues a request, the supervisor's corrections before they are
sent, and the central again on its own record for every pushed command, so a rule written here is
enforced everywhere. An admitted command comes back with its consequences (the fee and its reason,
the due date, when an old bank account closes, when the card agency cancels the card); the central,
which needs only the decision, asks for none. Pure: no IO.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from branch_app.domain.fees import DEFAULT_REPLACEMENT_FEE_YUAN, FeeDecision, FeeReason, fee_for
from branch_app.domain.identity import IdentityNumber
from branch_app.domain.lifecycle import (
    Applied,
    Apply,
    Cancel,
    CardRecord,
    Command,
    ConfirmCollection,
    Merged,
    Refused,
    collection_changes_bank,
    decide,
    refused,
)
from branch_app.domain.roles import check_applicant, permission
from branch_app.domain.vocabulary import (
    ApplicantAction,
    IssuanceSpeed,
    Place,
    RefusalReason,
    Role,
)
from branch_app.domain.workdays import (
    CANCELLATION_WORKING_DAYS,
    OLD_ACCOUNT_CLOSING_WORKING_DAYS,
    DueDate,
    due_date,
)


@dataclass(frozen=True, slots=True)
class Maker:
    """Who makes the command: the member of staff as the caller authenticated them."""

    staff_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class Approver:
    """The second person as the caller verified them (their password, or the staff table)."""

    staff_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class Policy:
    """What is configuration, not rule: the fee amount and the local calendar overrides."""

    replacement_fee_yuan: int = DEFAULT_REPLACEMENT_FEE_YUAN
    calendar_overrides: Mapping[dt.date, bool] | None = None


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class Admission:
    """The command may be taken: the lifecycle's decision and what follows from it."""

    command: Command
    decision: Applied | Merged
    fee: FeeDecision
    #: A normal application's due date; `None` for other services and for instant issuance.
    due: DueDate | None = None
    #: A collection that changes the bank: when the old bank account will have been closed.
    old_account_closes: DueDate | None = None
    #: A cancellation: when the card agency will have cancelled the card.
    cancelled_by: DueDate | None = None
    #: Decided on a record the central has not confirmed (a person this device does not know
    #: yet, offline): the card's state is checked again by the central when the request is sent.
    awaits_central: bool = False

    @property
    def merged(self) -> bool:
        """The command is already true (a repeated request): it changes nothing."""
        return isinstance(self.decision, Merged)

    @property
    def record_after(self) -> CardRecord:
        return self.decision.record

    @property
    def instant(self) -> bool:
        return is_instant(self.command)


def approval_of(command: Command) -> str | None:
    """The approving supervisor a command names, if its kind carries one."""
    return command.approved_by if isinstance(command, Cancel) else None


def admit(
    command: Command,
    record: CardRecord,
    *,
    holder: IdentityNumber,
    maker: Maker,
    place: Place,
    today: dt.date,
    approver: Approver | None = None,
    record_confirmed: bool = True,
    policy: Policy = DEFAULT_POLICY,
    consequences: bool = True,
) -> Admission | Refused:
    """Whether `maker` may take `command` for `holder` at `place` on `record` (see the module)."""
    allowed = permission(maker.role, place, command)
    if not allowed.allowed:
        assert allowed.reason is not None
        return refused(allowed.reason)
    applicant_problems = _applicant_problems(command, holder, today)
    if applicant_problems:
        return refused(*applicant_problems)
    document_problem = command.document_problem(record)
    if document_problem is not None:
        return refused(document_problem)
    if allowed.needs_second_person:
        approval_problem = _approval_problem(command, maker, approver)
        if approval_problem is not None:
            return refused(approval_problem)
    decision = decide(record, command)
    if isinstance(decision, Refused):
        return decision
    if not consequences or isinstance(decision, Merged):
        return _admitted(
            command,
            decision,
            FeeDecision(0, FeeReason.NOT_CHARGED_SERVICE),
            awaits_central=not record_confirmed,
        )
    return _admitted(
        command,
        decision,
        fee_for(command, record, today, policy.replacement_fee_yuan),
        due=_due(command, policy),
        old_account_closes=_old_account_closes(command, record, policy),
        cancelled_by=due_date(today, CANCELLATION_WORKING_DAYS, overrides=policy.calendar_overrides)
        if isinstance(command, Cancel)
        else None,
        awaits_central=not record_confirmed,
    )


def _admitted(
    command: Command,
    decision: Applied | Merged,
    fee: FeeDecision,
    *,
    due: DueDate | None = None,
    old_account_closes: DueDate | None = None,
    cancelled_by: DueDate | None = None,
    awaits_central: bool = False,
) -> Admission:
    return Admission(
        command=command,
        decision=decision,
        fee=fee,
        due=due,
        old_account_closes=old_account_closes,
        cancelled_by=cancelled_by,
        awaits_central=awaits_central,
    )


def is_instant(command: Command) -> bool:
    """An instant issuance: the card is printed at the branch in 5-10 minutes (seed)."""
    return isinstance(command, Apply) and command.speed is IssuanceSpeed.INSTANT


def _applicant_problems(
    command: Command, holder: IdentityNumber, today: dt.date
) -> list[RefusalReason]:
    if isinstance(command, Apply):
        action = ApplicantAction.APPLY
    elif isinstance(command, ConfirmCollection):
        action = ApplicantAction.COLLECT
    else:
        return []
    problems = check_applicant(action, holder=holder, applicant=command.applicant, on=today)
    return [problem.reason for problem in problems]


def _approval_problem(
    command: Command, maker: Maker, approver: Approver | None
) -> RefusalReason | None:
    named = (approval_of(command) or "").strip()
    if not named:
        return RefusalReason.APPROVAL_REQUIRED
    if named.casefold() == maker.staff_id.casefold():
        return RefusalReason.APPROVER_IS_REQUESTER
    if (
        approver is None
        or approver.staff_id.casefold() != named.casefold()
        or approver.role is not Role.SUPERVISOR
    ):
        return RefusalReason.APPROVER_NOT_SUPERVISOR
    return None


def _due(command: Command, policy: Policy) -> DueDate | None:
    if isinstance(command, Apply) and not is_instant(command):
        return due_date(command.accepted_on, overrides=policy.calendar_overrides)
    return None


def _old_account_closes(command: Command, record: CardRecord, policy: Policy) -> DueDate | None:
    if not isinstance(command, ConfirmCollection) or not collection_changes_bank(record, command):
        return None
    return due_date(
        command.collected_on, OLD_ACCOUNT_CLOSING_WORKING_DAYS, overrides=policy.calendar_overrides
    )
