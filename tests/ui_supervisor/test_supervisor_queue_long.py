"""The sync queue with thousands of items: the table paints its first screenful at once and
takes the rest in chunks, and a rejected item at the very end is reached (Ctrl+End) and closed
with its note like any other."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input, Static

from branch_app.store import LocalStore
from branch_app.ui.screens.supervisor_queue import SyncQueueScreen
from branch_app.ui.widgets.paged_table import PagedTable

from .conftest import NOW, SIZE, supervisor_app, until
from .test_supervisor_local import queue_with_answers

#: Conflicts put before the store's own items (the rejected one comes last).
MANY = 3_000


async def test_a_rejected_item_after_thousands_is_reached_and_closed(store: LocalStore) -> None:
    from branch_app.services.supervisor import read_queue

    items = queue_with_answers(store)

    class LongQueue(SyncQueueScreen):
        def _load(self, generation: int) -> None:  # type: ignore[override]  # behind MANY
            report = read_queue(self.store(), None, NOW)
            real = sorted(report.rows, key=lambda row: row.status == "rejected")
            model = next(row for row in real if row.status == "conflict")
            filler = tuple(replace(model, item_id=f"{n:032x}", seq=10_000 + n) for n in range(MANY))
            self.post_message(
                self.QueueLoaded(replace(report, rows=filler + tuple(real)), None, generation)
            )

    app = supervisor_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = LongQueue()
        app.push_screen(screen)
        await until(pilot, lambda: screen.report is not None and bool(screen.query("#queue-items")))
        grid = screen.query_one("#queue-items", PagedTable)
        await until(pilot, lambda: grid.total == MANY + 2 and grid.row_count > 0)
        grid.focus()
        await pilot.press("ctrl+end")
        await until(pilot, lambda: grid.cursor_row == MANY + 1)
        selected = screen.selected()
        assert selected is not None and selected.item_id == items["rejected"].id

        screen.query_one("#queue-note", Input).value = "Redone at the counter, right ID"
        await pilot.press("f7")
        await until(
            pilot, lambda: "Closed 1" in str(screen.query_one("#queue-message", Static).content)
        )
        await until(pilot, lambda: grid.total == MANY + 1)
        assert store.outbox.items("rejected") == []
        closing = store.outbox.closing(items["rejected"].id)
        assert closing is not None and closing[2] == "Redone at the counter, right ID"
