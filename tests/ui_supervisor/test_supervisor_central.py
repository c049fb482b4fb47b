"""The supervisor's screens against the real central under uvicorn on 127.0.0.1.

Conflicts are made for real: a teller's requests, taken by the counter into the real store, meet
what other channels did at the central (a death recorded by the police, a loss report online),
and the real sync sends them. The supervisor signs in on the login screen, syncs from the queue
screen, and resolves the conflicts: one upheld, one corrected with a replacement application;
the central shows both resolved afterwards, the device's outbox closed them, the journal has the
decisions. Offline, the conflicts the device knows are listed and nothing can be resolved.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from textual.css.query import NoMatches
from textual.widgets import DataTable, Input, RadioButton, Static

from branch_app.config import AppConfig, BranchProfile, CentralConfig, StoreConfig, UiConfig
from branch_app.domain.card_number import card_number_check_character
from branch_app.domain.identity import parse_identity
from branch_app.domain.lifecycle import ApplicationKind, ExchangeReason, record_from_dict
from branch_app.domain.roles import Place, Role
from branch_app.domain.vocabulary import ConflictDecision, ConflictStatus, LookupPurpose
from branch_app.services.counter import Accepted, Counter, Desk
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.ui.app import BranchApp
from branch_app.ui.dialogs.login import LoginScreen
from branch_app.ui.dialogs.resolve_conflict import ResolveDialog
from branch_app.ui.dialogs.sync_progress import SyncScreen
from branch_app.ui.screens.supervisor_conflicts import ConflictsScreen
from branch_app.ui.screens.supervisor_queue import SyncQueueScreen
from branch_app.ui.services import AppServices
from branch_app.ui.status import SlotState
from branch_app.ui.widgets.sync_status import SyncStatus
from sync.engine import RetryPolicy
from sync.protocol import ConflictView, ResolveConflictRequest
from sync.service import SyncService
from tests.sync.helpers import registered_signer

from .conftest import NOW, SIZE, holder, photo, until

pytestmark = pytest.mark.slow

PASSWORD = "supervisor-password-1"
QUICK_RETRY = RetryPolicy(attempts=3, timeout=5, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)
_branches = itertools.count(1)


@pytest.fixture(scope="module")
def central() -> Iterator[Any]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        yield running


@dataclass
class Branch:
    """One branch at the central: its supervisor and teller, this device, its store and sync."""

    code: str
    supervisor: str
    teller: str
    store: LocalStore
    sync: SyncService
    config: AppConfig
    channel: Any  # another enrolled device, for the simulated channels
    central: Any = None

    def counter(self) -> Counter:
        device = self.sync.device()
        # The teller's signing key on this device, as their online log-in here registers it.
        signer = registered_signer(self.central, self.teller, device.device_id)
        desk = Desk(
            self.teller, Role.TELLER, Place.BRANCH, device.branch, device.device_id, "icbc", signer
        )
        return Counter(self.store, desk, clock=lambda: NOW)

    def post(self, central: Any, path: str, body: dict[str, Any]) -> None:
        with central.client(self.channel) as http:
            answer = http.post(path, json=body)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def branch(central, tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[Branch]:
    n = next(_branches)
    code, supervisor, teller = f"GZ-SUP-{n:03d}", f"S5{n:02d}", f"T5{n:02d}"
    central.add_staff(supervisor, PASSWORD, role="supervisor", branch=code, name="Zhou Min")
    central.add_staff(teller, "teller-password-1", role="teller", branch=code)
    config = replace(
        AppConfig(),
        branch=BranchProfile(code=code, bank="icbc"),
        # The tests send with F8 ("Sync now") themselves: nothing goes in the background.
        central=CentralConfig(url=central.url, timeout_seconds=5.0, auto_sync=False),
        store=StoreConfig(data_dir=str(tmp_path / "store")),
        ui=UiConfig(language="en"),
    )
    store = LocalStore.open(tmp_path / "store", keyring=memory_keyring)
    sync = SyncService(config, store, retry=QUICK_RETRY)
    sync.enrol(central.issue_enrolment_code(branch=code), "counter 1")
    channel = central.enrol_device(branch=code, name="channels")
    try:
        yield Branch(code, supervisor, teller, store, sync, config, channel, central)
    finally:
        sync.close()
        store.close()


def queue_two_conflicts(central: Any, branch: Branch, first: int) -> tuple[str, str]:
    """Two teller requests that the central will refuse: (deceased holder, lost-card holder).

    Both have a card in use (applied at this counter, issued by the agency, collected here).
    Then, elsewhere, the police record one holder's death (the card is cancelled) while the
    counter takes a loss report for them; and the other holder reports the card lost online while
    the counter takes an exchange for damage, each on its cached record. Both are queued, not
    yet sent."""
    counter = branch.counter()
    dead, lost = holder(first), holder(first + 1)
    people = [parse_identity(number, today=NOW.date()) for number in (dead, lost)]
    for person in people:
        assert isinstance(counter.apply(person, ApplicationKind.FIRST, **photo()), Accepted)
    assert branch.sync.run().ok
    for n, number in enumerate((dead, lost)):
        first8 = f"G{first + n:07d}"
        card = first8 + card_number_check_character(first8)
        branch.post(
            central,
            "/v1/channels/card-issued",
            {"holder_id": number, "card_number": card, "issued_on": "2025-03-14"},
        )
    assert branch.sync.run().ok  # the pull brings the issued cards
    for person in people:
        assert isinstance(counter.confirm_collection(person), Accepted)
    assert branch.sync.run().ok
    # Meanwhile, elsewhere: the holder reports the card lost online; a death is recorded.
    branch.post(central, "/v1/channels/loss-report", {"holder_id": lost, "channel": "online"})
    branch.post(central, "/v1/channels/death-record", {"holder_id": dead})
    exchange = counter.apply(
        people[1], ApplicationKind.EXCHANGE, exchange_reason=ExchangeReason.DAMAGE, **photo()
    )
    assert isinstance(exchange, Accepted), exchange
    assert isinstance(counter.report_loss(people[0]), Accepted)
    return dead, lost


def masked(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def text(app: Any, selector: str) -> str:
    try:
        return str(app.screen.query_one(selector, Static).content)
    except NoMatches:
        return ""


async def sign_in(pilot: Any, app: BranchApp, staff_id: str) -> None:
    await until(pilot, lambda: isinstance(app.screen, LoginScreen))
    app.screen.query_one("#login-staff", Input).value = staff_id
    password = app.screen.query_one("#login-password", Input)
    password.value = PASSWORD
    password.focus()
    await pilot.press("enter")
    await until(pilot, lambda: app.status.staff is not None)


def central_conflicts(branch: Branch, status: ConflictStatus) -> list[ConflictView]:
    with branch.sync.client() as client:
        return client.list_conflicts(status)


async def test_sync_then_resolve_upheld_and_corrected_round_trip(central, branch: Branch) -> None:
    dead, lost = queue_two_conflicts(central, branch, first=100)
    app = BranchApp(branch.config, AppServices(store=branch.store, sync=branch.sync))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, app, branch.supervisor)
        assert branch.sync.staff_session  # an online session: the conflict API needs it

        # The queue: two requests waiting; "Sync now" is the app's own sync with its progress.
        await app.run_action("open_service('sync_queue')")
        await until(pilot, lambda: isinstance(app.screen, SyncQueueScreen))
        queue = app.screen
        await until(pilot, lambda: queue.report is not None)
        assert queue.report.unsent == 2 and queue.report.counts["conflict"] == 0
        await pilot.press("f8")
        await until(pilot, lambda: isinstance(app.screen, SyncScreen))
        status = app.screen.query_one(SyncStatus)
        await until(pilot, lambda: status.summary is not None, timeout=30)
        assert status.summary.outcomes.get("conflict") == 2, status.summary
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is queue)
        await until(pilot, lambda: queue.report.counts["conflict"] == 2)
        assert queue.report.unsent == 0 and queue.report.last_sync is not None
        # Everyone at the counter sees that refused requests wait for a supervisor.
        await until(pilot, lambda: app.status.queue.params.get("count") == 2)
        assert app.status.queue.state is SlotState.WARNING
        grid = queue.query_one("#queue-items", DataTable)
        await until(pilot, lambda: grid.row_count == 2)

        # The conflicts, from the central.
        await app.run_action("open_service('conflicts')")
        await until(pilot, lambda: isinstance(app.screen, ConflictsScreen))
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        await until(pilot, lambda: screen.found is not None and screen.found.source == "central")
        assert "2 open conflict(s)" in text(app, "#conflicts-source")
        table = screen.query_one("#conflicts-table", DataTable)
        rows = {row.holder_id: row for row in screen.found.rows}
        assert set(rows) == {dead, lost}
        dead_cells = [str(c) for c in table.get_row(rows[dead].command_id)]
        assert dead_cells[0] == masked(dead) and dead not in " ".join(dead_cells)
        assert "cancelled" in dead_cells[4] and dead_cells[2] == branch.teller

        # 1. Upheld: the card is cancelled; the note says what the holder was told.
        table.move_cursor(row=table.get_row_index(rows[dead].command_id))
        await until(pilot, lambda: "reported" not in text(app, "#conflict-detail"))
        assert "cancelled" in text(app, "#conflict-detail")
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, ResolveDialog))
        dialog = app.screen
        assert dialog.choices == []  # nothing the counter does changes a cancelled card
        assert "only upholding is possible" in text(app, "#resolve-no-correction")
        await pilot.press("enter")  # an empty note is refused
        await until(pilot, lambda: "note of a few words" in text(app, "#resolve-problem"))
        dialog.query_one("#resolve-note", Input).value = "Told the family the card was cancelled"
        await pilot.press("enter")
        await until(pilot, lambda: screen.last_outcome is not None, timeout=30)
        assert "resolved: upheld" in text(app, "#conflicts-message")
        await until(pilot, lambda: table.row_count == 1)

        # 2. Corrected: the card was reported lost online, so a replacement instead of the exchange.
        screen.last_outcome = None
        table.move_cursor(row=0)
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, ResolveDialog))
        dialog = app.screen
        kinds = [type(c).__name__ for c in dialog.choices]
        # No unlock: it needs the found card, which only the counter sees (issue 11, finding 2).
        assert "Apply" in kinds and "Unlock" not in kinds, kinds
        assert "reported lost" in text(app, "#resolve-record")  # the central's record now
        replacement = next(
            b for b in dialog.query(RadioButton) if "replacement" in str(b.label).lower()
        )
        replacement.value = True
        dialog.query_one("#resolve-note", Input).value = "Holder confirmed the loss; replacement"
        await pilot.press("enter")
        await until(pilot, lambda: screen.last_outcome is not None, timeout=30)
        assert "resolved: corrected" in text(app, "#conflicts-message")
        await until(pilot, lambda: table.row_count == 0)
        assert "No open conflicts" in text(app, "#conflict-detail")
        await until(pilot, lambda: "count" not in app.status.queue.params)  # none left
        correcting_id = screen.last_outcome.correcting_command_id

    # At the central: both resolved, by the supervisor, with the notes; the correction applied.
    resolved = {c.holder_id: c for c in central_conflicts(branch, ConflictStatus.RESOLVED)}
    assert central_conflicts(branch, ConflictStatus.OPEN) == []
    assert (
        resolved[dead].decision is ConflictDecision.UPHELD
        and resolved[dead].resolved_by == branch.supervisor
    )
    assert resolved[dead].note == "Told the family the card was cancelled"
    assert resolved[lost].decision is ConflictDecision.CORRECTED
    assert resolved[lost].correcting_command_id == correcting_id
    from branch_app.services.counter import central_lookup_for

    now = central_lookup_for(branch.sync)(lost, LookupPurpose.CONFLICT_REVIEW, None)
    assert now is not None
    assert now.application is not None and now.application.kind is ApplicationKind.REPLACEMENT
    # On the device: the outbox items are closed (gone to the archive), the cache has the
    # central's record, and the journal has who decided what.
    assert branch.store.outbox.items("conflict") == []
    for row_holder, decision, note in (
        (dead, "upheld", "Told the family the card was cancelled"),
        (lost, "corrected", "Holder confirmed the loss; replacement"),
    ):
        conflict = resolved[row_holder]
        _at, closed_by, kept = branch.store.outbox.closing(conflict.command_id)
        assert closed_by == branch.supervisor
        assert kept == f"conflict {conflict.id} {decision}: {note}"
    assert record_from_dict(branch.store.card_cache.get(lost).record).application is not None
    decisions = [
        e for e in branch.store.audit.entries() if e.action == "supervisor.resolve_conflict"
    ]
    assert [(e.actor, e.reason) for e in decisions] == [
        (branch.supervisor, "upheld"),
        (branch.supervisor, "corrected"),
    ]
    assert decisions[1].detail["correcting_command_id"] == correcting_id
    reviews = [e for e in branch.store.audit.entries() if e.action == "supervisor.conflict_review"]
    assert len(reviews) == 2  # each look at the central's record is in the journal


async def test_offline_lists_the_conflicts_known_here(central, branch: Branch) -> None:
    dead, lost = queue_two_conflicts(central, branch, first=200)
    assert branch.sync.run().outcomes.get("conflict") == 2
    app = BranchApp(branch.config, AppServices(store=branch.store, sync=branch.sync))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, app, branch.supervisor)
        central.stop()
        try:
            await app.run_action("open_service('conflicts')")
            await until(pilot, lambda: isinstance(app.screen, ConflictsScreen))
            screen = app.screen
            await until(pilot, lambda: screen.found is not None, timeout=30)
            assert screen.found.source == "local"
            assert "cannot be reached" in text(app, "#conflicts-source") or "not answering" in text(
                app, "#conflicts-source"
            )
            assert "2 conflict(s) this device knows" in text(app, "#conflicts-source")
            assert {row.holder_masked for row in screen.found.rows} == {masked(dead), masked(lost)}
            assert screen.check_action("resolve", ()) is None
            await pilot.press("f7")
            await pilot.pause()
            assert not isinstance(app.screen, ResolveDialog)
        finally:
            central.start()
        # Back online, one conflict was resolved meanwhile outside this screen (as another
        # supervisor's device would): the list has the other, and the device closes its item.
        dead_conflict = next(
            c for c in central_conflicts(branch, ConflictStatus.OPEN) if c.holder_id == dead
        )
        with branch.sync.client() as client:
            client.decide_conflict(
                dead_conflict.id,
                ResolveConflictRequest(
                    decision=ConflictDecision.UPHELD, note="Decided at counter 2"
                ),
            )
        await app.run_action("app.go_home")
        await until(pilot, lambda: app.current_mode == "home")
        await app.run_action("open_service('conflicts')")
        await until(pilot, lambda: screen.found is not None and screen.found.source == "central")
        assert [row.holder_id for row in screen.found.rows] == [lost]
        assert screen.found.reconciled == 1
        assert "1 resolved elsewhere" in text(app, "#conflicts-source")
    assert [item.holder_id for item in branch.store.outbox.items("conflict")] == [lost]
    closed = [e for e in branch.store.audit.entries() if e.action == "supervisor.conflict_closed"]
    assert len(closed) == 1 and closed[0].detail["decision"] == "upheld"
