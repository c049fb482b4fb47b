"""The services menu as data: which services a role sees, which it may open here, and why not.

Nothing here restates a rule: each counter service names a sample of the command it takes, and
the domain's `permission(role, place, command)` says where it may be taken. A role sees a service
when it may take its command at some place the role works at (home-visit staff work only on home
visits, so they never see unlock or cancellation); a service it sees but may not take at this
place says why. The supervisor's tools are not commands: they are for supervisors only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from branch_app.domain.vocabulary import (
    ApplicationKind,
    CancellationReason,
    IssuanceSpeed,
    LossChannel,
    Place,
    RefusalReason,
    Role,
)

if TYPE_CHECKING:
    from branch_app.domain.lifecycle import Command

_DAY = dt.date(2000, 1, 1)  # any date: the samples are never decided, only permitted


@dataclass(frozen=True)
class Service:
    id: str
    group: str  # catalog key of the menu group
    #: The kind of command this service takes (`_samples`); `None` for a tool that takes none.
    command: str | None = None
    #: Who sees a tool that takes no command; a service's roles follow from `permission`.
    tool_roles: frozenset[Role] = frozenset(Role)
    #: Usable before anyone signs in (touches no record: a pure check).
    open_to_all: bool = False

    @property
    def title_key(self) -> str:
        return f"shell.service.{self.id}"

    def refusal(self, role: Role, place: Place) -> RefusalReason | None:
        """Why `role` may not open this service at `place`, or None."""
        if self.command is None:
            return None if role in self.tool_roles else RefusalReason.ROLE_NOT_AT_PLACE
        from branch_app.domain.roles import permission  # the rules load after the first paint

        return permission(role, place, _samples()[self.command]).reason

    def seen_by(self, role: Role) -> bool:
        """The role may use it somewhere (home-visit staff only on home visits)."""
        places = (Place.HOME_VISIT,) if role is Role.HOME_VISIT else tuple(Place)
        return any(self.refusal(role, place) is None for place in places)


_APPLY = "shell.group.application"
_CARD = "shell.group.card"
_TOOLS = "shell.group.tools"
_SUPERVISOR = "shell.group.supervisor"
_SUPERVISORS = frozenset({Role.SUPERVISOR})


@cache
def _samples() -> dict[str, Command]:
    """A command of each kind a service takes: `permission` says where it may be taken."""
    from branch_app.domain.lifecycle import Apply, Cancel, ReportLoss, Unlock

    def apply(kind: ApplicationKind, speed: IssuanceSpeed = IssuanceSpeed.NORMAL) -> Apply:
        return Apply(application=kind, speed=speed, accepted_on=_DAY)

    return {
        "apply_first": apply(ApplicationKind.FIRST),
        "apply_replacement": apply(ApplicationKind.REPLACEMENT),
        "apply_exchange": apply(ApplicationKind.EXCHANGE),
        "apply_instant": apply(ApplicationKind.FIRST, IssuanceSpeed.INSTANT),
        "report_loss": ReportLoss(channel=LossChannel.OTHER_BANK_BRANCH),
        "unlock": Unlock(at_card_bank=False),
        "cancellation": Cancel(reason=CancellationReason.LOSS_OF_ENTITLEMENT),
    }


SERVICES: tuple[Service, ...] = (
    Service("apply_first", _APPLY, "apply_first"),
    Service("apply_replacement", _APPLY, "apply_replacement"),
    Service("apply_exchange", _APPLY, "apply_exchange"),
    Service("apply_instant", _APPLY, "apply_instant"),
    Service("report_loss", _CARD, "report_loss"),
    Service("unlock", _CARD, "unlock"),
    Service("query", _CARD),
    Service("cancellation", _CARD, "cancellation"),
    Service("identity_check", _TOOLS, open_to_all=True),
    Service("approvals", _SUPERVISOR, tool_roles=_SUPERVISORS),
    Service("sync_queue", _SUPERVISOR, tool_roles=_SUPERVISORS),
    Service("conflicts", _SUPERVISOR, tool_roles=_SUPERVISORS),
)
SERVICES_BY_ID = {service.id: service for service in SERVICES}


@dataclass(frozen=True)
class MenuEntry:
    service: Service
    #: Catalog key of why it cannot be opened now; `None`: it can.
    blocked_by: str | None


def menu_for(role: Role | None, place: Place) -> list[MenuEntry]:
    """The services `role` sees at `place`, each with the reason it is blocked, if it is."""
    role = None if role is None else Role(role)
    entries: list[MenuEntry] = []
    for service in SERVICES:
        if role is None:
            if service.group != _SUPERVISOR:
                blocked = None if service.open_to_all else "shell.hint.sign_in_first"
                entries.append(MenuEntry(service, blocked))
        elif service.seen_by(role):  # another role's tool is not shown at all
            entries.append(MenuEntry(service, _hint(service.refusal(role, place))))
    return entries


def _hint(reason: RefusalReason | None) -> str | None:
    if reason is None:
        return None
    if reason is RefusalReason.INSTANT_NEEDS_INSTANT_BRANCH:
        return "shell.hint.needs_instant_branch"
    if reason is RefusalReason.ROLE_NOT_AT_PLACE:
        return f"domain.refusal.{reason.value}"
    return "shell.hint.counter_only"


def service_access(service_id: str, role: Role | None, place: Place) -> bool | None:
    """For `check_action`: True usable, None shown but blocked, False hidden from this role."""
    for entry in menu_for(role, place):
        if entry.service.id == service_id:
            return True if entry.blocked_by is None else None
    return False
