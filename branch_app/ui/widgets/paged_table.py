"""A `DataTable` that paints its first screenful at once and takes the rest in chunks.

Textual's `DataTable` holds every row, and on the first idle after rows were added it measures
every new cell through Rich (`default_cell_formatter` and `measure`: about 0.4 ms a row of six
cells here) before it can size and paint itself; with 10,000 rows that is about 4 s during which
nothing is drawn. Textual-fastdatatable (what Harlequin's results viewer uses) replaces the table
with one that renders only the visible rows from a backend; this keeps Textual's own table (its
look, keys, messages and every test that queries a `DataTable`) and changes two things:

- `show(columns, rows, keys, cursor)` hands the table the first `FIRST` rows (more than any screen
  shows, and at least through the row the cursor goes back to) at once, and the rest `CHUNK` rows
  at a time after each refresh, so the first screenful is painted before the rest is taken and
  the keyboard is served between chunks;
- the rows it adds are measured as they are added with `cell_len` (the same width Rich gives a
  single-line cell without markup; a cell that may hold markup, an emoji code or a line break is
  measured the way `DataTable` does), so the idle pass has nothing left to measure.

The table's rows are always a prefix of the rows handed to `show`; whatever needs a row beyond
it brings the rest in at once: Ctrl+End (`action_scroll_bottom`), a page or a line down near the
end of what is held, `ensure(index)`. The screens keep their own rows (search runs on those, never
on the table), so a row not yet in the table is still found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Generic, Self, TypeVar, overload

from rich.cells import cell_len
from rich.text import Text
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets._data_table import default_cell_formatter

if TYPE_CHECKING:
    from textual.widgets.data_table import CursorType, RowKey

#: A cell as the screens give it: plain text or a Rich `Text`.
Cell = str | Text

Item = TypeVar("Item")


class Formatted(Sequence[tuple[Cell, ...]], Generic[Item]):
    """The screen's items as table rows, each formatted when the table takes it (so the words
    of rows not yet held are not looked up before the first paint)."""

    def __init__(self, items: Sequence[Item], form: Callable[[Item], tuple[Cell, ...]]) -> None:
        self._items = items
        self._form = form

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> tuple[Cell, ...]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[Cell, ...]]: ...
    def __getitem__(self, index: int | slice) -> tuple[Cell, ...] | Sequence[tuple[Cell, ...]]:
        if isinstance(index, slice):
            return [self._form(item) for item in self._items[index]]
        return self._form(self._items[index])


class PagedTable(DataTable[Cell]):
    #: Rows handed to the table at once: more than a screen shows.
    FIRST = 200
    #: Rows handed to the table after each refresh until all are held.
    CHUNK = 1000

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str | None = None,
        cursor_type: CursorType = "row",
        zebra_stripes: bool = False,
    ) -> None:
        super().__init__(
            id=id, classes=classes, cursor_type=cursor_type, zebra_stripes=zebra_stripes
        )
        self._source: Sequence[Sequence[Cell]] = ()
        self._source_keys: Sequence[str] | None = None
        self._held = 0
        self._generation = 0
        self._measured: set[RowKey] = set()
        self._widths: list[int] = []

    # -- what the screens call -------------------------------------------------------------------
    def show(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        keys: Sequence[str] | None = None,
        cursor: int | None = None,
    ) -> None:
        """Replace the columns and rows; put the cursor on row `cursor` (its index in `rows`)."""
        self._generation += 1
        self.clear(columns=True)
        self.add_columns(*columns)
        self._source = rows
        self._source_keys = keys
        self._held = 0
        self._widths = [0] * len(columns)
        self._take(max(self.FIRST, (cursor or 0) + self.FIRST // 2))
        if cursor:
            self.move_cursor(row=cursor, animate=False)
        self._schedule()

    @property
    def total(self) -> int:
        """How many rows were handed to `show` (the table holds `row_count` of them so far)."""
        return len(self._source)

    def under_cursor(self, items: Sequence[Item]) -> Item | None:
        """The item of `items` (the rows' sources, in row order) under the cursor, if any."""
        if not 0 <= self.cursor_row < len(items):
            return None
        return items[self.cursor_row]

    @property
    def complete(self) -> bool:
        """Whether the table holds every row handed to `show`."""
        return self._held >= len(self._source)

    def ensure(self, index: int) -> None:
        """Hold rows at least through `index` (all of them when it is past the end)."""
        if index >= self._held:
            self._take(index + 1)

    def finish(self) -> None:
        """Hold every row now."""
        self._take(len(self._source))

    def clear(self, columns: bool = False) -> Self:
        """Empty the table and forget the rows still to come."""
        self._generation += 1
        self._source = ()
        self._source_keys = None
        self._held = 0
        return super().clear(columns)

    # -- the keys that go past what is held ------------------------------------------------------
    def action_scroll_bottom(self) -> None:
        self.finish()
        super().action_scroll_bottom()

    def action_page_down(self) -> None:
        self.ensure(self.cursor_row + 2 * max(self.scrollable_content_region.height, 1))
        super().action_page_down()

    def action_cursor_down(self) -> None:
        self.ensure(self.cursor_row + 2)
        super().action_cursor_down()

    # -- taking rows -----------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self.complete:
            self.call_after_refresh(self._more, self._generation)

    def _more(self, generation: int) -> None:
        if generation != self._generation or self.complete:
            return  # shown again since, or brought in by a key
        self._take(self._held + self.CHUNK)
        self._schedule()

    def _take(self, end: int) -> None:
        start, end = self._held, min(end, len(self._source))
        if end <= start:
            return
        widths = self._widths
        keys = self._source_keys
        for index in range(start, end):
            cells = self._source[index]
            for column, cell in enumerate(cells):
                width = self._cell_width(cell)
                if width > widths[column]:
                    widths[column] = width
            key = self.add_row(*cells, key=keys[index] if keys is not None else None)
            self._measured.add(key)
        self._held = end

    def _cell_width(self, cell: Cell) -> int:
        if isinstance(cell, str):
            if "[" in cell or "\n" in cell or cell.count(":") > 1:
                return measure(self.app.console, default_cell_formatter(cell, False, 1), 1)
            return cell_len(cell)
        if "\n" in cell.plain:
            return measure(self.app.console, cell, 1)
        return cell.cell_len

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """The rows `_take` added were measured as they came; `DataTable` measures the others
        (none from the screens) and sizes the table."""
        for column, width in zip(self.ordered_columns, self._widths, strict=False):
            column.content_width = max(column.content_width, width)
        others = [key for key in new_rows if key not in self._measured]
        self._measured.clear()
        super()._update_dimensions(others)
