"""What the composition root (and tests) hand to the app: the parts that exist, and who is on duty.

Every part is optional so that Pilot tests run without a card reader, a store or the network, and
so that the app starts before a part is built; a missing part shows "not available" in the status
bar instead of failing. The parts' types are imported for the type checker only: importing them
for real would put the store, the sync and pyscard on the start-up path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branch_app.domain.vocabulary import Role
    from branch_app.store import LocalStore
    from branch_app.ui.app import BranchApp
    from readers.service import ReaderService
    from sync.service import SyncService


def local_now() -> datetime:
    """The wall clock in the machine's time zone (the branch's)."""
    return datetime.now().astimezone()


@dataclass(frozen=True)
class StaffOnDuty:
    """The signed-in member of staff, as the central's session answer names them."""

    staff_id: str
    name: str
    role: Role
    branch: str = ""


#: Builds a pretend member of staff for a role (the demo's "act as another role").
StaffFactory = Callable[["Role"], StaffOnDuty]

#: Opens the local store and builds the sync service (None: no central is configured).
StoreFactory = Callable[[], "tuple[LocalStore, SyncService | None]"]


@dataclass
class AppServices:
    """The parts injected into `BranchApp`; `None` means the part is not available here."""

    #: The card-reader service (the card widget drives it).
    reader: ReaderService | None = None
    #: Builds the reader service once the first screen is drawn, in a thread, so that its
    #: imports (pyscard) stay off the start-up path. Used when `reader` is `None`.
    reader_factory: Callable[[], ReaderService] | None = None
    #: The opened local store (outbox, card cache, audit journal).
    store: LocalStore | None = None
    #: Opens the store and builds the sync service once the first screen is drawn, in a thread,
    #: so that their imports stay off the start-up path. Used when `store` is `None`; raising a
    #: `StoreError` ends the app with its sentence (a corrupt file, a second instance, no keyring).
    store_factory: StoreFactory | None = None
    #: The sync service draining the outbox; None without a central.
    sync: SyncService | None = None
    #: Now, in local time: injected so that tests and snapshots see a fixed date.
    clock: Callable[[], datetime] = local_now
    #: Who is on duty before a login screen exists (the demo), or `None`: nobody signed in.
    staff: StaffOnDuty | None = None
    #: Training/demo run only: builds the pretend staff of the "act as another role" command.
    act_as: StaffFactory | None = None
    #: A line shown on the login screen (the demo's log-ins); empty elsewhere.
    login_hint: str = ""
    #: The demo's own command-palette entries (title, help, callback) for the app; None elsewhere.
    palette_extras: (
        Callable[[BranchApp], Iterable[tuple[str, str, Callable[[], object]]]] | None
    ) = None

    @property
    def demo(self) -> bool:
        """A training/demo run: the demo-only "act as another role" command is offered."""
        return self.act_as is not None
