"""What the launch code (and tests) hand to the app: the parts that exist, and who is on duty.

Every part is optional so that Pilot tests run without a card reader, a store or the network, and
so that the app starts before a part is built; a missing part shows "not available" in the status
bar instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from branch_app.domain.roles import Role


def local_now() -> datetime:
    """The wall clock in the machine's time zone (the branch's)."""
    return datetime.now().astimezone()


def role_value(role: object) -> str:
    """`teller`, `home_visit` or `supervisor` for a `Role` member (or its plain string)."""
    return str(getattr(role, "value", role))


@dataclass(frozen=True)
class StaffOnDuty:
    """The signed-in member of staff, as the central's session answer names them."""

    staff_id: str
    name: str
    role: Role
    branch: str = ""


@dataclass
class AppServices:
    """The parts injected into `BranchApp`; `None` means the part is not available here."""

    #: The card-reader service (`readers.service.ReaderService`; the card widget drives it).
    reader: Any | None = None
    #: Builds the reader service once the first screen is drawn, in a thread, so that its
    #: imports (pyscard) stay off the start-up path. Used when `reader` is `None`.
    reader_factory: Callable[[], Any] | None = None
    #: The opened `LocalStore` (outbox, card cache, audit journal).
    store: Any | None = None
    #: Opens the store and builds the sync service once the first screen is drawn, in a thread,
    #: so that their imports stay off the start-up path. Used when `store` is `None`; raising a
    #: `StoreError` ends the app with its sentence (a corrupt file, a second instance, no keyring).
    store_factory: Callable[[], tuple[Any, Any]] | None = None
    #: The sync engine draining the outbox.
    sync: Any | None = None
    #: Now, in local time: injected so that tests and snapshots see a fixed date.
    clock: Callable[[], datetime] = local_now
    #: Who is on duty before a login screen exists (the demo), or `None`: nobody signed in.
    staff: StaffOnDuty | None = None
    #: Training/demo run: enables the demo-only "act as another role" command.
    demo: bool = False
    #: A line shown on the login screen (the demo's log-ins); empty elsewhere.
    login_hint: str = ""
