"""The paged table (`branch_app.ui.widgets.paged_table`): the first screenful at once, the rest
in chunks after refreshes, the same column widths as Textual's own `DataTable` for the same rows
(it measures the rows itself), and every row reachable before all are held."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from branch_app.ui.widgets.paged_table import Cell, PagedTable
from tests.ui.conftest import wait_until

COLUMNS = ("time", "reference", "service", "holder", "fee", "status")


def rows(count: int) -> list[tuple[Cell, ...]]:
    return [
        (
            f"10:{n % 60:02d}",
            f"{n + 1}-{n:08X}",
            "补领新卡" if n % 3 else "挂失",
            "440106********1235",
            "[b]20[/b]" if n == 1_500 else str(n % 7),  # markup is measured as DataTable does
            Text("已生效 (applied at the central)" if n == 2_500 else "待发送"),
        )
        for n in range(count)
    ]


class Both(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="plain", cursor_type="row")
        yield PagedTable(id="paged", cursor_type="row")


async def test_first_rows_at_once_the_rest_in_chunks_with_the_same_widths() -> None:
    data = rows(3_000)
    app = Both()
    async with app.run_test(size=(120, 36)) as pilot:
        plain = app.query_one("#plain", DataTable)
        paged = app.query_one("#paged", PagedTable)
        plain.add_columns(*COLUMNS)
        plain.add_rows(data)
        paged.show(COLUMNS, data, [str(n) for n in range(3_000)])
        assert paged.row_count == PagedTable.FIRST and not paged.complete  # before any refresh
        await wait_until(pilot, lambda: paged.complete and paged.row_count == 3_000)
        await wait_until(pilot, lambda: paged.virtual_size.height == 3_001)
        await wait_until(pilot, lambda: plain.virtual_size.height == 3_001)
        widths = [c.content_width for c in paged.ordered_columns]
        assert widths == [c.content_width for c in plain.ordered_columns]
        assert paged.virtual_size == plain.virtual_size
        assert paged.get_row("2999") == list(data[2_999])


async def test_ctrl_end_and_the_cursor_reach_rows_not_yet_held() -> None:
    data = rows(5_000)
    app = Both()
    async with app.run_test(size=(120, 36)) as pilot:
        paged = app.query_one("#paged", PagedTable)
        paged.show(COLUMNS, data, cursor=4_000)  # a cursor kept across a reload, far down
        assert paged.row_count > 4_000 and paged.cursor_row == 4_000
        paged.show(COLUMNS, data)
        paged.focus()
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: paged.cursor_row == 4_999)
        assert paged.complete and paged.row_count == 5_000

        paged.show(COLUMNS, data)
        paged.clear()  # nothing of the old rows comes in after a clear
        await pilot.pause()
        await pilot.pause()
        assert paged.row_count == 0 and paged.total == 0
