"""The supervisor's screens over a real store, without a central: the queue's counts and its
quarantined items, closing a rejected item with a required (audited) note, the conflicts this
device knows when there is no central, the approvals from the audit journal, and role gating."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.css.query import NoMatches
from textual.widgets import DataTable, Input, Static

from branch_app.domain.lifecycle import (
    ApplicationKind,
    Apply,
    CardRecord,
    CardState,
    IssuanceSpeed,
    command_to_dict,
    record_to_dict,
)
from branch_app.domain.roles import Role
from branch_app.domain.vocabulary import FunctionStatus
from branch_app.store import LocalStore
from branch_app.ui.screens.supervisor_approvals import ApprovalsScreen
from branch_app.ui.screens.supervisor_conflicts import ConflictsScreen
from branch_app.ui.screens.supervisor_queue import SyncQueueScreen

from .conftest import NOW, SIZE, holder, photo, supervisor_app, until

TELLER = "T001"


def queue_with_answers(store: LocalStore) -> dict[str, Any]:
    """Five requests: one waiting, one accepted, one rejected by the local check, one conflict
    (the card was cancelled at the central), one waiting again; returns the items by role."""
    apply = command_to_dict(
        Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, NOW.date(), **photo())
    )
    made = [
        store.outbox.enqueue(
            "apply",
            holder(n),
            apply if n != 3 else {"kind": "apply", "application": "nonsense"},
            base_version=0,
            actor=TELLER,
            device="PC-07",
            branch="GZ-001",
        )
        for n in range(1, 6)
    ]
    cancelled = record_to_dict(
        replace(CardRecord.new(holder(4)), card_state=CardState.CANCELLED, version=2)
    )
    store.outbox.mark_sending([item.id for item in made[1:4]])
    store.outbox.record_results(
        [
            {"id": made[1].id, "status": "accepted", "version": 1},
            {"id": made[2].id, "status": "rejected", "reason": "malformed_command"},
            {
                "id": made[3].id,
                "status": "conflict",
                "reason": "card_cancelled",
                "message": "The card is cancelled.",
                "record": cancelled,
            },
        ]
    )
    return {"pending": made[0], "rejected": made[2], "conflict": made[3]}


def card_in_use(number: str) -> CardRecord:
    """A card the holder collected last year, as this device has it cached."""
    return replace(
        CardRecord.new(number),
        version=3,
        card_number="X00000019",
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank="icbc",
    )


def text(app: Any, selector: str) -> str:
    """A Static's text on the screen in front ("" while that screen is still being composed)."""
    try:
        return str(app.screen.query_one(selector, Static).content)
    except NoMatches:
        return ""


async def test_queue_counts_and_closing_a_rejected_item_needs_a_note(store: LocalStore) -> None:
    items = queue_with_answers(store)
    app = supervisor_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")  # the palette offers the tool by name
        await pilot.press("escape")
        await app.run_action("open_service('sync_queue')")
        await until(pilot, lambda: isinstance(app.screen, SyncQueueScreen))
        screen = app.screen
        assert isinstance(screen, SyncQueueScreen)
        await until(pilot, lambda: screen.report is not None)
        summary = text(app, "#queue-summary")
        assert "Waiting to be sent  2" in summary
        assert "Rejected  1" in summary and "Conflicts  1" in summary
        assert "Accepted (all time)  1" in summary
        assert "2025-03-14 10:30" in summary  # the oldest unsent, in the counter's time
        grid = app.screen.query_one("#queue-items", DataTable)
        assert grid.row_count == 2
        cells = [str(c) for c in grid.get_row(items["rejected"].id)]
        assert cells[1] == "440106********" + holder(3)[-4:]
        assert holder(3) not in " ".join(cells)  # never the full number
        assert "cannot be read" in cells[5]
        conflict_cells = [str(c) for c in grid.get_row(items["conflict"].id)]
        assert "cancelled" in conflict_cells[5]

        grid.move_cursor(row=grid.get_row_index(items["rejected"].id))
        await pilot.press("f7")  # no note yet: refused, nothing closed
        await until(pilot, lambda: "note of a few words" in text(app, "#queue-message"))
        assert store.outbox.get(items["rejected"].id).status == "rejected"
        assert len(store.outbox.items("rejected")) == 1

        app.screen.query_one("#queue-note", Input).value = "Redone at the counter, right ID"
        await pilot.press("f7")
        await until(pilot, lambda: "Closed 1" in text(app, "#queue-message"))
        await until(pilot, lambda: grid.row_count == 1)
        assert store.outbox.items("rejected") == []
        _at, closed_by, note = store.outbox.closing(items["rejected"].id)
        assert (closed_by, note) == ("DEMO-SUPERVISOR", "Redone at the counter, right ID")
        assert store.outbox.closing(items["conflict"].id) is None
        entries = [e for e in store.audit.entries() if e.action == "supervisor.close_rejected"]
        assert len(entries) == 1
        assert entries[0].actor == "DEMO-SUPERVISOR"
        assert entries[0].detail["note"] == "Redone at the counter, right ID"
        assert entries[0].detail["outbox_id"] == items["rejected"].id

        # A conflict is not closed here: it is resolved with the central.
        grid.move_cursor(row=grid.get_row_index(items["conflict"].id))
        await until(pilot, lambda: "Conflicts screen" in text(app, "#queue-detail"))
        assert screen.check_action("close_item", ()) is None
        app.screen.query_one("#queue-note", Input).value = "trying to close a conflict"
        await pilot.press("f7")
        await pilot.pause()
        assert store.outbox.get(items["conflict"].id).status == "conflict"


async def test_without_a_central_the_conflicts_known_here_are_listed(store: LocalStore) -> None:
    items = queue_with_answers(store)
    app = supervisor_app(store, language="zh")
    async with app.run_test(size=SIZE) as pilot:
        await app.run_action("open_service('conflicts')")
        await until(pilot, lambda: isinstance(app.screen, ConflictsScreen))
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        await until(pilot, lambda: screen.found is not None)
        assert screen.found.source == "local"
        assert "本机未配置中心连接" in text(app, "#conflicts-source")
        grid = app.screen.query_one("#conflicts-table", DataTable)
        assert grid.row_count == 1
        cells = [str(c) for c in grid.get_row(items["conflict"].id)]
        assert cells[0] == "440106********" + holder(4)[-4:]
        assert "已注销" in cells[4]  # the reason, in the domain's words
        detail = text(app, "#conflict-detail")
        assert "已注销" in detail and "仅本机记录" in detail
        assert app.check_action("open_service", ("conflicts",)) is False  # already there
        assert screen.check_action("resolve", ()) is None  # only the central's can be resolved
        await pilot.press("f7")
        await pilot.pause()
        assert len(app.screen_stack) == 1  # no dialog: nothing to resolve offline
        app.set_language(app.language.__class__("en"))
        await until(pilot, lambda: "no connection to a central" in text(app, "#conflicts-source"))


async def test_approvals_lists_second_person_approvals_from_the_journal(store: LocalStore) -> None:
    from branch_app.domain.identity import parse_identity
    from branch_app.domain.lifecycle import CancellationReason
    from branch_app.domain.roles import Place
    from branch_app.services.counter import Accepted, Counter, Desk

    desk = Desk(TELLER, Role.TELLER, Place.BRANCH, "GZ-001", "PC-07", "icbc")
    counter = Counter(store, desk, clock=lambda: NOW)
    person = parse_identity(holder(7), today=NOW.date())
    store.card_cache.put(card_in_use(holder(7)))
    taken = counter.cancel(
        person, CancellationReason.DEATH, evidence="GA-2025-0314", approved_by="S900"
    )
    assert isinstance(taken, Accepted), taken
    counter.report_loss(parse_identity(holder(8), today=NOW.date()))  # no approval: not listed
    app = supervisor_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await app.run_action("open_service('approvals')")
        await until(pilot, lambda: isinstance(app.screen, ApprovalsScreen))
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        await until(pilot, lambda: screen.rows is not None)
        grid = app.screen.query_one("#approvals-table", DataTable)
        assert grid.row_count == 1
        cells = [str(c) for c in grid.get_row_at(0)]
        assert cells[1] == "440106********" + holder(7)[-4:]
        assert cells[2] == "cancellation · Death of the holder"
        assert cells[3:6] == [TELLER, "S900", "NO"]
        assert cells[6] == "waiting to be sent"
        assert "1 without a password check" in text(app, "#approvals-message")


async def test_a_teller_never_gets_the_supervisor_tools(store: LocalStore) -> None:
    queue_with_answers(store)
    app = supervisor_app(store, role=Role.TELLER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for service in ("approvals", "sync_queue", "conflicts"):
            assert app.check_action("open_service", (service,)) is False
        await app.run_action("open_service('sync_queue')")
        await pilot.pause()
        assert not isinstance(app.screen, SyncQueueScreen)
        # Even switched to directly, the screen reads nothing and says who may use it.
        app.switch_mode("sync_queue")
        await until(pilot, lambda: isinstance(app.screen, SyncQueueScreen))
        await until(pilot, lambda: "Only a signed-in supervisor" in text(app, "#queue-message"))
        assert app.screen.report is None
        assert app.screen.query_one("#queue-items", DataTable).row_count == 0
    supervisor = supervisor_app(store)
    async with supervisor.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for service in ("approvals", "sync_queue", "conflicts"):
            assert supervisor.check_action("open_service", (service,)) is True


async def test_help_lists_the_supervisor_keys_for_supervisors_only(store: LocalStore) -> None:
    from textual.binding import Binding

    from branch_app.i18n import catalog
    from branch_app.ui.dialogs.resolve_conflict import ResolveDialog
    from branch_app.ui.screens.supervisor_base import SupervisorScreen

    ours = {"supervisor_reload", "supervisor_sync", "supervisor_close", "supervisor_resolve"}
    for owner in (SupervisorScreen, SyncQueueScreen, ConflictsScreen, ResolveDialog):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding) and binding.id, owner.__name__
            assert binding.description in catalog(), binding.description
    app = supervisor_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        listed = {row[0]: row[1] for row in app.key_reference()}
        assert ours <= set(listed) and listed["supervisor_sync"] == "f8"
    teller = supervisor_app(store, role=Role.TELLER)
    async with teller.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not ours & {row[0] for row in teller.key_reference()}
