"""The services menu as data: which services a role sees, which it may open here, and why not.

Presentation only: the domain's `permission(role, place, command)` decides each real command when
its screen submits it. This table decides what the menu offers, so that a teller never sees a
supervisor's tools, and a service this place or this person cannot use now says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from branch_app.config import BranchProfile, DeviceKind

TELLER, HOME_VISIT, SUPERVISOR = "teller", "home_visit", "supervisor"
EVERYONE = frozenset({TELLER, HOME_VISIT, SUPERVISOR})
COUNTER_STAFF = frozenset({TELLER, SUPERVISOR})


class PlaceKind(StrEnum):
    """Mirrors the domain's `Place` values: where this device is used."""

    BRANCH = "branch"
    INSTANT_BRANCH = "instant_branch"
    HOME_VISIT = "home_visit"


def place_of(profile: BranchProfile) -> PlaceKind:
    if profile.device_kind is DeviceKind.HOME_VISIT:
        return PlaceKind.HOME_VISIT
    return PlaceKind.INSTANT_BRANCH if profile.instant_issuance else PlaceKind.BRANCH


ALL_PLACES = frozenset(PlaceKind)
COUNTER_PLACES = frozenset({PlaceKind.BRANCH, PlaceKind.INSTANT_BRANCH})


@dataclass(frozen=True)
class Service:
    id: str
    group: str  # catalog key of the menu group
    roles: frozenset[str]  # who sees it; `None` staff sees only `open_to_all` services
    places: frozenset[PlaceKind] = ALL_PLACES
    #: Usable before anyone signs in (touches no record: a pure check).
    open_to_all: bool = False

    @property
    def title_key(self) -> str:
        return f"shell.service.{self.id}"


_APPLY = "shell.group.application"
_CARD = "shell.group.card"
_TOOLS = "shell.group.tools"
_SUPERVISOR = "shell.group.supervisor"

SERVICES: tuple[Service, ...] = (
    Service("apply_first", _APPLY, EVERYONE),
    Service("apply_replacement", _APPLY, EVERYONE),
    Service("apply_exchange", _APPLY, EVERYONE),
    Service("apply_instant", _APPLY, COUNTER_STAFF, places=frozenset({PlaceKind.INSTANT_BRANCH})),
    Service("report_loss", _CARD, EVERYONE),
    Service("unlock", _CARD, COUNTER_STAFF, places=COUNTER_PLACES),
    Service("query", _CARD, EVERYONE),
    Service("cancellation", _CARD, COUNTER_STAFF, places=COUNTER_PLACES),
    Service("identity_check", _TOOLS, EVERYONE, open_to_all=True),
    Service("approvals", _SUPERVISOR, frozenset({SUPERVISOR})),
    Service("sync_queue", _SUPERVISOR, frozenset({SUPERVISOR})),
    Service("conflicts", _SUPERVISOR, frozenset({SUPERVISOR})),
)
SERVICES_BY_ID = {service.id: service for service in SERVICES}


@dataclass(frozen=True)
class MenuEntry:
    service: Service
    #: Catalog key of why it cannot be opened now; `None`: it can.
    blocked_by: str | None


def menu_for(role: str | None, place: PlaceKind) -> list[MenuEntry]:
    """The services `role` sees at `place`, each with the reason it is blocked, if it is."""
    entries: list[MenuEntry] = []
    for service in SERVICES:
        if role is not None and role not in service.roles:
            continue  # another role's tool: not shown at all
        if role is None and service.group == _SUPERVISOR:
            continue
        entries.append(MenuEntry(service, _blocked_by(service, role, place)))
    return entries


def _blocked_by(service: Service, role: str | None, place: PlaceKind) -> str | None:
    if role is None and not service.open_to_all:
        return "shell.hint.sign_in_first"
    if place not in service.places:
        return (
            "shell.hint.needs_instant_branch"
            if service.places == {PlaceKind.INSTANT_BRANCH}
            else "shell.hint.counter_only"
        )
    return None


def service_access(service_id: str, role: str | None, place: PlaceKind) -> bool | None:
    """For `check_action`: True usable, None shown but blocked, False hidden from this role."""
    for entry in menu_for(role, place):
        if entry.service.id == service_id:
            return True if entry.blocked_by is None else None
    return False
