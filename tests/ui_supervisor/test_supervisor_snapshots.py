"""SVG snapshots of the supervisor's screens over a real store, at a fixed size and clock (no
central, so nothing random is on screen). Regenerate after an intended change with
`.venv/bin/python -m pytest tests/ui_supervisor/test_supervisor_snapshots.py --snapshot-update`
and review the SVGs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from branch_app.domain.identity import parse_identity
from branch_app.domain.lifecycle import CancellationReason
from branch_app.domain.roles import Place, Role
from branch_app.services.counter import Counter, Desk
from branch_app.store import LocalStore
from branch_app.ui.screens.supervisor_approvals import ApprovalsScreen
from branch_app.ui.screens.supervisor_conflicts import ConflictsScreen
from branch_app.ui.screens.supervisor_queue import SyncQueueScreen

from .conftest import NOW, SIZE, holder, supervisor_app, until
from .test_supervisor_local import card_in_use, queue_with_answers


def opened(service: str, loaded: Callable[[Any], bool]) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await pilot.app.run_action(f"open_service({service!r})")
        await until(pilot, lambda: loaded(pilot.app.screen))
        await pilot.pause()

    return run_before


def test_sync_queue_english(snap_compare, store: LocalStore) -> None:
    queue_with_answers(store)
    loaded = opened(
        "sync_queue",
        lambda s: isinstance(s, SyncQueueScreen) and s.report is not None,
    )
    assert snap_compare(supervisor_app(store), terminal_size=SIZE, run_before=loaded)


def test_conflicts_without_a_central_chinese(snap_compare, store: LocalStore) -> None:
    queue_with_answers(store)
    loaded = opened("conflicts", lambda s: isinstance(s, ConflictsScreen) and s.found is not None)
    app = supervisor_app(store, language="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_approvals_english(snap_compare, store: LocalStore) -> None:
    desk = Desk("T001", Role.TELLER, Place.BRANCH, "GZ-001", "PC-07", "icbc")
    counter = Counter(store, desk, clock=lambda: NOW)
    for n, approver in ((11, "S900"), (12, "S901")):
        store.card_cache.put(card_in_use(holder(n)))  # nothing to cancel without a card
        cancelled = counter.cancel(
            parse_identity(holder(n), today=NOW.date()),
            CancellationReason.EMIGRATION,
            approved_by=approver,
            approval_verified=n == 12,
        )
        assert cancelled.accepted, cancelled
    loaded = opened("approvals", lambda s: isinstance(s, ApprovalsScreen) and s.rows is not None)
    assert snap_compare(supervisor_app(store), terminal_size=SIZE, run_before=loaded)


def test_resolve_dialog_english(snap_compare, store: LocalStore) -> None:
    from dataclasses import replace

    from branch_app.services.supervisor import correction_choices, local_conflict_row
    from branch_app.ui.dialogs.resolve_conflict import ResolveDialog

    from .test_supervisor_decisions import EXCHANGE, TODAY, lost_online

    item = store.outbox.get(queue_with_answers(store)["conflict"].id)
    # As the central would list an exchange refused because the card was reported lost online.
    row = replace(
        local_conflict_row(item), conflict_id=3, command=EXCHANGE, reason="card_loss_reported"
    )
    record = lost_online()
    choices = correction_choices(record, EXCHANGE, place="branch", bank="icbc", today=TODAY)

    async def run_before(pilot: Pilot) -> None:
        await pilot.app.push_screen(ResolveDialog(row, record, choices))
        await until(pilot, lambda: isinstance(pilot.app.screen, ResolveDialog))
        await pilot.pause()

    assert snap_compare(supervisor_app(store), terminal_size=SIZE, run_before=run_before)
