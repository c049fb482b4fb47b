"""The counter's application service for the member of staff on duty, built from the app's parts.

The screens ask for a ready `Counter` (`counter_for(app)`) and never read the keyring, the sync
or the configuration themselves. Both functions read the keyring (the enrolled device): call them
from a worker thread. They belong with the composition root (`branch_app.composition`); they sit
here until it offers them.
"""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branch_app.services.counter import Counter, Desk
    from branch_app.ui.app import BranchApp


def desk_for(app: BranchApp) -> Desk | None:
    """Who works where, from the app: `None` when nobody is signed in.

    The device and branch are the enrolled device's (what the central checks) when the sync
    knows them, else this machine's name and the configured branch code.
    """
    from branch_app.domain.vocabulary import Role
    from branch_app.services.counter import Desk

    staff = app.status.staff
    if staff is None:
        return None
    config = app.config
    device, branch = f"local-{platform.node() or 'device'}", staff.branch or config.branch.code
    sync = app.services.sync
    if sync is not None:
        enrolled = sync.device()
        if enrolled is not None:
            device, branch = enrolled.device_id, enrolled.branch
    return Desk(
        staff_id=staff.staff_id,
        role=Role(staff.role),
        place=config.branch.place,
        branch=branch,
        device=device,
        bank=config.branch.bank,
        signer=sync.signer if sync is not None else None,  # unlocked at the log-in
    )


def counter_for(app: BranchApp) -> Counter | None:
    """The application service for the staff on duty, or `None` (nobody signed in, no store)."""
    from branch_app.services.counter import Counter, central_lookup_for

    store = app.services.store
    desk = desk_for(app)
    if store is None or desk is None:
        return None
    sync = app.services.sync
    return Counter(
        store,
        desk,
        clock=app.now,
        replacement_fee_yuan=app.config.fees.replacement_fee_yuan,
        central_lookup=(
            central_lookup_for(sync, learn_name=app.customer_keeper.learned_name)
            if sync is not None
            else None
        ),
        allowance=sync,  # a home-visit device's offline limits (issue 13)
    )
