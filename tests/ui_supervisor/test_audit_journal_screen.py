"""The audit journal screen over a real store: the entries newest first with holders masked, a
holder search that needs a purpose and is recorded, the chain checked from the screen (whole,
then broken), an export of a period written and recorded; and the snapshots in both languages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from branch_app.config import AppConfig, BranchProfile, CentralConfig, PrinterConfig, UiConfig
from branch_app.domain.roles import Role
from branch_app.services.audit_review import EXPORTED, HOLDER_SEARCHED
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.store.crypto import KeySet
from branch_app.ui.screens.supervisor_audit import AuditJournalScreen

from .conftest import SIZE, StepClock, holder, supervisor_app, until
from .test_audit_review import NAME, day_of_work
from .test_supervisor_local import text

#: Where exports go in these tests when no folder is typed (a fixed path: the snapshots show it).
DOCUMENTS = "/srv/branch/documents"


def config(language: str = "en") -> AppConfig:
    return AppConfig(
        branch=BranchProfile(code="GZ-001", bank="icbc"),
        ui=UiConfig(language=language),
        printer=PrinterConfig(folder=DOCUMENTS),
        central=CentralConfig(url="http://127.0.0.1:8765"),
    )


async def opened(pilot: Pilot) -> AuditJournalScreen:
    await pilot.app.run_action("open_service('audit_journal')")
    await until(pilot, lambda: isinstance(pilot.app.screen, AuditJournalScreen))
    screen = pilot.app.screen
    assert isinstance(screen, AuditJournalScreen)
    await until(pilot, lambda: screen.result is not None)
    return screen


def typed(screen: AuditJournalScreen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#audit-{name}", Input).value = value


async def test_search_by_holder_needs_a_purpose_is_recorded_and_shows_the_holder_masked(
    store: LocalStore,
) -> None:
    day_of_work(store)
    app = supervisor_app(store, config=config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        grid = screen.query_one("#audit-table", DataTable)
        assert grid.row_count == store.audit.head == 4
        first = [str(cell) for cell in grid.get_row_at(0)]
        assert first[0] == "4" and first[4] == "T002"  # newest first
        shown = " ".join(
            str(cell) for row in range(grid.row_count) for cell in grid.get_row_at(row)
        )
        assert holder(1) not in shown and holder(2) not in shown
        assert "4 entries." in text(app, "#audit-found")

        typed(screen, holder="44010619900101002X")  # a wrong check character
        await pilot.press("f7")
        await until(pilot, lambda: "check" in text(app, "#audit-message").lower())
        assert store.audit.head == 4

        typed(screen, holder=holder(2))
        await pilot.press("f7")  # no purpose: refused, nothing recorded
        await until(pilot, lambda: "Choose why" in text(app, "#audit-message"))
        assert store.audit.head == 4

        screen.query_one("#audit-purpose", Select).value = "holder_enquiry"
        typed(screen, note="complaint 7")
        await pilot.press("f7")
        await until(pilot, lambda: screen.result is not None and screen.result.audit_n == 5)
        await until(pilot, lambda: grid.row_count == 3)
        holders = {str(grid.get_row_at(row)[2]) for row in range(grid.row_count)}
        assert holders == {"440106********0021"}
        assert "recorded as entry 5" in text(app, "#audit-found")
        assert "440106********0021" in text(app, "#audit-found")
        assert screen.query_one("#audit-holder", Input).value == ""  # not left on the screen
        entry = store.audit.entries(limit=1)[0]
        assert (entry.action, entry.actor, entry.reason) == (
            HOLDER_SEARCHED,
            "DEMO-SUPERVISOR",
            "holder_enquiry",
        )
        assert entry.subject == store.keys.pseudonym(holder(2))

        grid.move_cursor(row=0)
        await until(pilot, lambda: "Entry 5" in text(app, "#audit-detail"))
        assert NAME not in text(app, "#audit-detail")

        # the search's own action is offered now, and a search by staff and action finds it
        await until(pilot, lambda: HOLDER_SEARCHED in screen.actions)
        typed(screen, actor="demo-supervisor")
        screen.query_one("#audit-action", Select).value = HOLDER_SEARCHED
        await pilot.press("f7")
        await until(pilot, lambda: grid.row_count == 1 and screen.result.audit_n is None)
        assert str(grid.get_row_at(0)[2]).startswith("#")  # the keyed hash's first characters


async def test_verify_from_the_screen_whole_then_broken(store: LocalStore) -> None:
    day_of_work(store)
    app = supervisor_app(store, config=config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await pilot.press("f8")
        await until(pilot, lambda: "intact: 4 entries checked" in text(app, "#audit-message"))
        assert screen.check is not None and screen.check.ok

        path = store.audit.files()[-1]
        lines = path.read_bytes().split(b"\n")
        third = orjson.loads(lines[3])
        third["action"] = "counter.nothing"
        lines[3] = orjson.dumps(third)
        path.write_bytes(b"\n".join(lines))
        await pilot.press("f8")
        await until(pilot, lambda: "not intact" in text(app, "#audit-message"))
        message = text(app, "#audit-message")
        assert f"entry {third['n']} was changed" in message and path.name in message
        assert "store check" in message


async def test_export_a_period_to_a_typed_folder(store: LocalStore, tmp_path: Path) -> None:
    day_of_work(store)
    app = supervisor_app(store, config=config("zh"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await pilot.press("f10")  # no period yet
        await until(pilot, lambda: "起止两个日期" in text(app, "#audit-message"))
        typed(screen, **{"from": "2025-03-01", "to": "2025-03-1x"})
        await pilot.press("f10")
        await until(pilot, lambda: "年-月-日" in text(app, "#audit-message"))
        folder = tmp_path / "inspector"
        typed(screen, to="2025-03-14", folder=str(folder))
        await pilot.press("f10")
        await until(pilot, lambda: screen.exported is not None)
        done = screen.exported
        assert done.path.parent == folder and done.entries == 4
        assert done.sha256 in text(app, "#audit-message")
        data = done.path.read_text("utf-8")
        assert holder(1) not in data and holder(2) not in data and NAME not in data
        entry = store.audit.entries(limit=1)[0]
        assert (entry.action, entry.detail["sha256"]) == (EXPORTED, done.sha256)
        # the list is read again: the export's own entry is in it
        await until(pilot, lambda: screen.query_one("#audit-table", DataTable).row_count == 5)
        assert EXPORTED in {str(row.action) for row in screen.result.rows}


async def test_a_teller_has_no_audit_journal(store: LocalStore) -> None:
    app = supervisor_app(store, role=Role.TELLER, config=config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.check_action("open_service", ("audit_journal",)) is False


# -- snapshots -------------------------------------------------------------------------------------


@pytest.fixture
def keyed_store(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalStore]:
    """The fixtures' store with a fixed audit key: the holders' keyed hashes (shown by their
    first characters) are then the same in every run."""
    generate = KeySet.generate.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        KeySet, "generate", classmethod(lambda cls: replace(generate(cls), audit_key=bytes(32)))
    )
    opened = LocalStore.open(tmp_path / "data", keyring=memory_keyring, clock=StepClock())
    try:
        yield opened
    finally:
        opened.close()


def loaded(
    search: Callable[[AuditJournalScreen], None] | None = None,
) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        screen = await opened(pilot)
        if search is not None:
            search(screen)
            generation = screen.generation
            await pilot.press("f7")
            await until(pilot, lambda: screen.generation > generation and not _working(screen))
        # The table sizes its columns to the new rows when it is next idle: under load a
        # snapshot could catch it with the headers' widths.
        table = screen.query_one("#audit-table", DataTable)
        await until(pilot, lambda: not table._require_update_dimensions)
        await pilot.pause()

    return run_before


def _working(screen: Any) -> bool:
    return screen.result is None or screen.result.audit_n is None


def test_snapshot_entries_english(snap_compare, keyed_store: LocalStore) -> None:
    day_of_work(keyed_store)
    app = supervisor_app(keyed_store, config=config())
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded())


def test_snapshot_holder_search_chinese(snap_compare, keyed_store: LocalStore) -> None:
    day_of_work(keyed_store)

    def by_holder(screen: AuditJournalScreen) -> None:
        typed(screen, holder=holder(2), note="投诉 7")
        screen.query_one("#audit-purpose", Select).value = "holder_enquiry"

    app = supervisor_app(keyed_store, language="zh", config=config("zh"))
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded(by_holder))
