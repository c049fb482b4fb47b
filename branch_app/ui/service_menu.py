"""The services as data: the one place a service is registered, what the menu offers and why not.

Each entry names its screen ("module:Class" under `branch_app.ui.screens`, imported on first use
only: the screens pull in the domain, which start-up must not load) and, for a counter service, a
sample of the command it takes. Nothing here restates a rule: the domain's
`permission(role, place, command)` says where the command may be taken. A role sees a service
when it may take its command at some place the role works at (home-visit staff work only on home
visits, so they never see unlock or cancellation); a service it sees but may not take at this
place says why. The supervisor's tools are not commands: they are for supervisors only.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
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
    from textual.screen import Screen

    from branch_app.domain.lifecycle import Command

_DAY = dt.date(2000, 1, 1)  # any date: the samples are never decided, only permitted


@dataclass(frozen=True)
class Service:
    """One entry of the menu, and the screen that does it (`args` go to its constructor)."""

    id: str
    group: str  # catalog key of the menu group
    screen: str | None = None
    args: tuple[object, ...] = ()
    #: Builds a command of the kind this service takes; `None` for a tool that takes none.
    sample: Callable[[], Command] | None = None
    #: Who sees a tool that takes no command; a service's roles follow from `permission`.
    tool_roles: frozenset[Role] = frozenset(Role)
    #: Usable before anyone signs in (touches no record: a pure check).
    open_to_all: bool = False
    #: The menu's text; by default `shell.service.<id>`.
    title: str | None = None

    @property
    def title_key(self) -> str:
        return self.title or f"shell.service.{self.id}"

    def refusal(self, role: Role, place: Place) -> RefusalReason | None:
        """Why `role` may not open this service at `place`, or None."""
        if self.sample is None:
            return None if role in self.tool_roles else RefusalReason.ROLE_NOT_AT_PLACE
        from branch_app.domain.roles import permission  # the rules load after the first paint

        return permission(role, place, self.sample()).reason

    def seen_by(self, role: Role) -> bool:
        """The role may use it somewhere (home-visit staff only on home visits)."""
        places = (Place.HOME_VISIT,) if role is Role.HOME_VISIT else tuple(Place)
        return any(self.refusal(role, place) is None for place in places)

    def make_screen(self) -> Screen[None]:
        """A new screen for the service (each mode keeps its own)."""
        assert self.screen is not None
        module, _, name = self.screen.partition(":")
        screens = importlib.import_module(f"branch_app.ui.screens.{module}")
        screen: Screen[None] = getattr(screens, name)(*self.args)
        return screen


def _command(kind: str, **fields: object) -> Command:
    """A sample command, built with the lifecycle imported only now."""
    lifecycle = importlib.import_module("branch_app.domain.lifecycle")
    command: Command = lifecycle.COMMANDS_BY_KIND[kind](**fields)
    return command


def _apply(kind: ApplicationKind, speed: IssuanceSpeed = IssuanceSpeed.NORMAL) -> Command:
    return _command("apply", application=kind, speed=speed, accepted_on=_DAY)


_APPLY = "shell.group.application"
_CARD = "shell.group.card"
_TOOLS = "shell.group.tools"
_SUPERVISOR = "shell.group.supervisor"
_SUPERVISORS = frozenset({Role.SUPERVISOR})
_HOME_VISITS = "shell.group.home_visits"
#: Who plans and makes home visits (a supervisor may stand in); tellers do not see them.
_VISITORS = frozenset({Role.HOME_VISIT, Role.SUPERVISOR})
_APPLICATION = "application:ApplicationScreen"

#: Every service, in menu order: the one place a new service is registered.
SERVICES: tuple[Service, ...] = (
    Service(
        "apply_first",
        _APPLY,
        _APPLICATION,
        (ApplicationKind.FIRST, IssuanceSpeed.NORMAL),
        lambda: _apply(ApplicationKind.FIRST),
    ),
    Service(
        "apply_replacement",
        _APPLY,
        _APPLICATION,
        (ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL),
        lambda: _apply(ApplicationKind.REPLACEMENT),
    ),
    Service(
        "apply_exchange",
        _APPLY,
        _APPLICATION,
        (ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL),
        lambda: _apply(ApplicationKind.EXCHANGE),
    ),
    Service(
        "apply_instant",
        _APPLY,
        _APPLICATION,
        (ApplicationKind.FIRST, IssuanceSpeed.INSTANT),
        lambda: _apply(ApplicationKind.FIRST, IssuanceSpeed.INSTANT),
    ),
    Service(
        "report_loss",
        _CARD,
        "loss_report:LossReportScreen",
        sample=lambda: _command("report_loss", channel=LossChannel.OTHER_BANK_BRANCH),
    ),
    Service(
        "unlock",
        _CARD,
        "unlock:UnlockScreen",
        sample=lambda: _command("unlock", at_card_bank=False),
    ),
    Service("query", _CARD, "card_query:CardQueryScreen"),
    Service(
        "collection",
        _CARD,
        "collection:CollectionScreen",
        sample=lambda: _command("confirm_collection", collected_on=_DAY),
    ),
    Service(
        "cancellation",
        _CARD,
        "cancellation:CancellationScreen",
        sample=lambda: _command("cancel", reason=CancellationReason.LOSS_OF_ENTITLEMENT),
    ),
    Service(
        "data_change",
        _CARD,
        "data_change:DataChangeScreen",
        sample=lambda: _command("change_contact", mobile="13800000000"),
        title="counter.title.data_change",
    ),
    Service(
        "visits", _HOME_VISITS, "visits:VisitsScreen", tool_roles=_VISITORS, title="visits.title"
    ),
    Service(
        "visit_plan",
        _HOME_VISITS,
        "visit_plan:VisitPlanScreen",
        tool_roles=_VISITORS,
        title="visits.plan.title",
    ),
    Service("day_list", _TOOLS, "day_list:DayListScreen", title="day.title"),
    Service("identity_check", _TOOLS, "identity_check:IdentityCheckScreen", open_to_all=True),
    Service(
        "approvals",
        _SUPERVISOR,
        "supervisor_approvals:ApprovalsScreen",
        tool_roles=_SUPERVISORS,
    ),
    Service(
        "sync_queue",
        _SUPERVISOR,
        "supervisor_queue:SyncQueueScreen",
        tool_roles=_SUPERVISORS,
    ),
    Service(
        "conflicts",
        _SUPERVISOR,
        "supervisor_conflicts:ConflictsScreen",
        tool_roles=_SUPERVISORS,
    ),
    Service(
        "devices",
        _SUPERVISOR,
        "supervisor_devices:DevicesScreen",
        tool_roles=_SUPERVISORS,
        title="devices.title",
    ),
    Service("visit_batch", _SUPERVISOR, "visit_batch:VisitBatchScreen", tool_roles=_SUPERVISORS),
    Service(
        "audit_journal",
        _SUPERVISOR,
        "supervisor_audit:AuditJournalScreen",
        tool_roles=_SUPERVISORS,
        title="audit_review.title",
    ),
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
