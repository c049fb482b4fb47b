"""The day's list and the supervisor's sync queue with 10,000 items against a bare `DataTable`.

Each screen is opened in a headless app (`App.run_test`, 120x36) with its rows ready (the
service's read is measured separately: it is a worker thread's job and does not hold the screen).
The baseline, in the same run: a bare Textual app whose only widget is a `DataTable`, handed the
same rows (same columns, same texts) at once with `add_rows`. Both are timed the same way, by the
table's own `render_lines` (wrapped for the bench: it is what the compositor calls to draw it):

- first paint: from handing the rows over (pushing the screen; `add_rows` for the baseline) to
  the first time the table is drawn with its rows sized in (the first screenful on screen);
- all rows held: to the first drawing with all 10,000 rows in the table and sized (the screens
  take the rest in chunks after the first paint; the bare table holds them all at first paint);
- Ctrl+End at once: pressed right after the first paint, to the first drawing with the cursor on
  the last row and the last row in view (the screens must take the rows they do not hold yet);
- Ctrl+End, all held: the same, pressed (from the top again) once all rows are held.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

TITLE = "Day's list and sync queue with 10,000 items against a bare DataTable"
ROWS = 10_000
ROUNDS = 3
NOW = dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def day_rows(count: int) -> list:
    from branch_app.services.day import DayRow, DayStatus

    statuses = list(DayStatus)
    services = ["report_loss", "apply_replacement", "unlock", "apply_first"]
    return [
        DayRow(
            outbox_id=f"{n:032x}",
            reference=f"{n + 1}-{n:08X}",
            service=services[n % len(services)],
            holder_masked="440106********1235",
            status=statuses[n % len(statuses)],
            made_at=NOW + dt.timedelta(seconds=n),
            fee_yuan=20 if n % 4 == 1 else 0,
            teller="T001",
        )
        for n in range(count)
    ]


def queue_report(count: int):
    from branch_app.services.supervisor import QueueReport, QueueRow

    rows = tuple(
        QueueRow(
            item_id=f"{n:032x}",
            seq=n + 1,
            status="conflict" if n % 2 else "rejected",
            kind="report_loss",
            payload={"kind": "report_loss", "channel": "card_bank_branch"},
            holder_masked="440106********1235",
            actor="T001",
            made_at=(NOW + dt.timedelta(seconds=n)).isoformat(),
            reason="card_not_active",
            message=None,
        )
        for n in range(count)
    )
    counts = {"conflict": count // 2, "rejected": count - count // 2}
    return QueueReport(counts, None, None, NOW, rows)


def _branch_app(role):
    from branch_app.config import AppConfig, BranchProfile, CentralConfig, UiConfig
    from branch_app.demo.staff import demo_staff
    from branch_app.ui.app import BranchApp
    from branch_app.ui.services import AppServices

    config = AppConfig(
        branch=BranchProfile(code="GZ-001", bank="icbc"),
        ui=UiConfig(language="zh"),
        central=CentralConfig(url="http://127.0.0.1:9"),
    )
    services = AppServices(clock=lambda: NOW, staff=demo_staff(role))
    return BranchApp(config, services)


async def _until(pilot, condition, deadline: float = 60.0) -> None:
    give_up = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > give_up:
            raise TimeoutError("condition not reached")
        await pilot.pause()


class _Drawn:
    """When a table was first drawn in each wanted state: `DataTable.render_lines` (what the
    compositor calls to draw it; the screens' table inherits it) is wrapped once, and each
    drawing is checked against the states still awaited."""

    waiting: ClassVar[dict[str, Callable[[Any], bool]]] = {}
    at: ClassVar[dict[str, float]] = {}
    then: ClassVar[dict[str, Callable[[], None]]] = {}

    @classmethod
    def install(cls) -> None:
        from textual.widgets import DataTable

        if getattr(DataTable.render_lines, "bench_wrapped", False):
            return
        original = DataTable.render_lines

        def render_lines(table, crop):
            lines = original(table, crop)
            for name, wanted in list(cls.waiting.items()):
                if wanted(table):
                    cls.at[name] = time.perf_counter()
                    del cls.waiting[name]
                    if name in cls.then:
                        cls.then.pop(name)()
            return lines

        render_lines.bench_wrapped = True  # type: ignore[attr-defined]
        DataTable.render_lines = render_lines  # type: ignore[method-assign]

    @classmethod
    def watch(cls, name: str, wanted: Callable[[Any], bool], then=None) -> None:
        cls.at.pop(name, None)
        cls.waiting[name] = wanted
        if then is not None:
            cls.then[name] = then

    @classmethod
    async def wait(cls, pilot, *names: str) -> None:
        await _until(pilot, lambda: all(name in cls.at for name in names))


def _sized(table, rows: int) -> bool:
    """The table holds at least `rows` rows and is sized for them (they can be drawn)."""
    return table.row_count >= rows and table.virtual_size.height >= rows + 1


def _at_end(table) -> bool:
    return (
        table.cursor_row == ROWS - 1
        and _sized(table, ROWS)
        and table.scroll_y >= table.max_scroll_y > 0
    )


#: Rows that fill the first screen of every table measured here (36 lines, less the chrome).
SCREENFUL = 20


async def _measure(pilot, table, open_screen, end_at_once: bool) -> tuple[float, ...]:
    """(first paint, all rows held, Ctrl+End) in seconds; Ctrl+End is pressed as soon as the
    first paint is drawn when `end_at_once` (from the drawing itself, so no pause of the test
    harness lets the screens take more rows first), else once all rows are held and drawn."""
    _Drawn.install()
    pressed: list[float] = []

    def press_end() -> None:
        async def press() -> None:
            table().focus()
            pressed.append(time.perf_counter())
            await pilot.press("ctrl+end")

        asyncio.get_running_loop().create_task(press())

    _Drawn.watch(
        "shown", lambda t: t is table() and _sized(t, SCREENFUL), press_end if end_at_once else None
    )
    _Drawn.watch("held", lambda t: t is table() and _sized(t, ROWS))
    _Drawn.watch("end", lambda t: t is table() and _at_end(t))
    started = time.perf_counter()
    open_screen()
    await _Drawn.wait(pilot, "shown", "held")
    if not end_at_once:
        await pilot.pause()
        press_end()
    await _Drawn.wait(pilot, "end")
    at = _Drawn.at
    return at["shown"] - started, at["held"] - started, at["end"] - pressed[0]


async def bare(rows: Sequence[Sequence[str]], columns: tuple[str, ...], at_once: bool):
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row", zebra_stripes=True)

    app = Bare()
    async with app.run_test(size=(120, 36)) as pilot:
        widget = app.query_one(DataTable)
        await pilot.pause()

        def fill() -> None:
            widget.add_columns(*columns)
            widget.add_rows(rows)

        return await _measure(pilot, lambda: widget, fill, at_once)


async def day_list(rows: list, at_once: bool):
    from textual.css.query import NoMatches
    from textual.widgets import DataTable

    from branch_app.domain.vocabulary import Role
    from branch_app.ui.screens.day_list import DayListScreen

    class Measured(DayListScreen):
        def _load(self) -> None:  # type: ignore[override]  # the rows as the worker posts them
            self.post_message(self.Loaded(list(rows), None))

        def _refresh_statuses(self) -> None:  # type: ignore[override]  # no store behind these
            return None

    app = _branch_app(Role.TELLER)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()

        def table():
            try:
                return app.screen.query_one("#day-table", DataTable)
            except NoMatches:
                return None

        return await _measure(pilot, table, lambda: app.push_screen(Measured()), at_once)


async def sync_queue(report, at_once: bool):
    from textual.css.query import NoMatches
    from textual.widgets import DataTable

    from branch_app.domain.vocabulary import Role
    from branch_app.ui.screens.supervisor_queue import SyncQueueScreen

    class Measured(SyncQueueScreen):
        def action_reload(self) -> None:  # the report as the worker would post it
            self.post_message(self.QueueLoaded(report, None, self.next_generation()))

    app = _branch_app(Role.SUPERVISOR)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()

        def table():
            try:
                return app.screen.query_one("#queue-items", DataTable)
            except NoMatches:
                return None

        return await _measure(pilot, table, lambda: app.push_screen(Measured()), at_once)


def _median(samples: list[tuple[float, ...]]) -> tuple[float, ...]:
    return tuple(statistics.median(s[i] for s in samples) for i in range(len(samples[0])))


def service_read(count: int) -> float:
    """Seconds for `DayBook.rows()` over a real store with `count` requests made today."""
    import tempfile
    from pathlib import Path

    from branch_app.domain.vocabulary import Place, Role
    from branch_app.services.counter import Desk
    from branch_app.services.day import DayBook
    from branch_app.store import LocalStore, MemoryKeyring

    holder = "440106199001011235"
    with tempfile.TemporaryDirectory() as folder:
        store = LocalStore.open(Path(folder) / "data", keyring=MemoryKeyring())
        try:
            for n in range(count):
                store.accept(
                    "report_loss",
                    holder,
                    {"kind": "report_loss", "channel": "card_bank_branch"},
                    base_version=1,
                    actor="T001",
                    device="PC-1",
                    branch="GZ-001",
                    action="counter.report_loss",
                    reason="bench",
                    detail={"command": {"kind": "report_loss"}, "fee_yuan": 0, "n": n},
                )
            desk = Desk("T001", Role.TELLER, Place.BRANCH, "GZ-001", "PC-1")
            book = DayBook(store, desk, clock=lambda: dt.datetime.now().astimezone())
            started = time.perf_counter()
            rows = book.rows()
            elapsed = time.perf_counter() - started
            assert len(rows) == count, len(rows)
            return elapsed
        finally:
            store.close()


def run() -> str:
    from branch_app.i18n import set_language, t

    set_language("zh")
    rows = day_rows(ROWS)
    day_texts = [
        (
            f"{r.made_at:%H:%M}",
            r.reference,
            t(f"receipt.service.{r.service}"),
            r.holder_masked,
            str(r.fee_yuan),
            t(f"day.status.{r.status.value}"),
        )
        for r in rows
    ]
    day_columns = tuple(
        t(f"day.col.{c}") for c in ("time", "reference", "service", "holder", "fee", "status")
    )
    report = queue_report(ROWS)
    from branch_app.ui.screens.supervisor_base import local_time
    from branch_app.ui.supervisor_text import kind_short, reason_text

    queue_texts = [
        (
            t(f"supervisor.status.{r.status}"),
            r.holder_masked,
            kind_short(r.kind, r.payload),
            r.actor,
            local_time(r.made_at, NOW),
            reason_text(r.reason, r.message),
        )
        for r in report.rows
    ]
    queue_columns = tuple(
        t(f"supervisor.col.{c}") for c in ("status", "holder", "kind", "actor", "made_at", "reason")
    )

    results: dict[str, list[tuple[float, ...]]] = {}
    for _ in range(ROUNDS):  # each screen right after its baseline, in turn
        for at_once in (False, True):
            suffix = "_now" if at_once else ""
            runs = (
                ("bare_day", lambda a=at_once: bare(day_texts, day_columns, a)),
                ("day", lambda a=at_once: day_list(rows, a)),
                ("bare_queue", lambda a=at_once: bare(queue_texts, queue_columns, a)),
                ("queue", lambda a=at_once: sync_queue(report, a)),
            )
            for name, measure in runs:
                results.setdefault(name + suffix, []).append(asyncio.run(measure()))
    med = {name: _median(samples) for name, samples in results.items()}
    read_1k = service_read(1_000)

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f}"

    def line(name: str, label: str, base: str) -> str:
        paint, held, end = med[name]
        bare_paint, bare_held, bare_end = med[base]
        now, bare_now = med[name + "_now"][2], med[base + "_now"][2]
        return (
            f"| {label} | {ms(paint)} | {ms(bare_paint)} | {paint / bare_paint:.2f}x "
            f"| {ms(held)} | {ms(bare_held)} "
            f"| {ms(now)} | {ms(bare_now)} | {now / bare_now:.2f}x "
            f"| {ms(end)} | {ms(bare_end)} | {end / bare_end:.2f}x |"
        )

    day_paint, queue_paint = med["day"][0], med["queue"][0]
    day_ratio = day_paint / med["bare_day"][0]
    queue_ratio = queue_paint / med["bare_queue"][0]
    ok = lambda good: "met" if good else "NOT met"  # noqa: E731
    return "\n".join(
        [
            f"{ROWS:,} rows, 120x36, headless (`run_test`), median of {ROUNDS} rounds, in ms; "
            "each screen and its baseline (a bare app whose only widget is a `DataTable`, handed "
            "the same rows with `add_rows`) measured the same way, in turn, in the same run, by "
            "the table's own drawing (`render_lines`). First paint: from handing the rows over "
            "(pushing the screen with its rows ready; `add_rows`) to the first drawing of the "
            f"table with its first screenful ({SCREENFUL} rows) sized in. All held: to the first "
            "drawing with all rows in the table (the screens take the rest in chunks after the "
            "first paint; the bare table has them all at its first paint). Ctrl+End at once: "
            "pressed right after the first paint, to the first drawing with the cursor on the "
            "last row and the last row in view (the screens must first take the rows they do "
            "not hold yet). Ctrl+End held: the same, pressed once all rows are held.",
            "",
            "| screen | first paint | bare | ratio | all held | bare "
            "| Ctrl+End at once | bare | ratio | Ctrl+End held | bare | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            line("day", "Day's list (当日业务)", "bare_day"),
            line("queue", "Sync queue (supervisor)", "bare_queue"),
            "",
            f"- Goal, first paint under 0.5 s: day's list **{day_paint:.2f} s** "
            f"({ok(day_paint < 0.5)}), sync queue **{queue_paint:.2f} s** ({ok(queue_paint < 0.5)}).",
            f"- Goal, within 2x of the bare DataTable: day's list **{day_ratio:.2f}x** "
            f"({ok(day_ratio <= 2)}), sync queue **{queue_ratio:.2f}x** ({ok(queue_ratio <= 2)}).",
            f"- The day's list read (`DayBook.rows()`, a worker thread) over a real store with "
            f"1,000 requests made today: {read_1k * 1000:.0f} ms (it reads the audit journal once "
            "and the outbox's live items; the archive only for items no longer live).",
            "- How: both screens use `branch_app.ui.widgets.paged_table.PagedTable`, Textual's "
            "`DataTable` (same look, keys and messages) handed the first 200 rows at once and the "
            "rest 1,000 at a time after each refresh, the rows formatted as they are taken and "
            "measured with `cell_len` as they are added (a bare `DataTable` measures every cell "
            "through Rich on its first idle: the bare column's first paint).",
            "- What is left: a Ctrl+End pressed before all rows are held takes the rest at once: "
            "`DataTable.add_row` costs about 50 us a row here (a reactive set per row), so that "
            "press costs a few hundred ms on 10,000 rows, against the bare table's tens (which "
            "paid its whole load up front). Once all rows are held, Ctrl+End is as fast as the "
            "bare table's. The figures of the previous section (bare 4.1 s, screens 6.2 s) were "
            "taken differently (row count reached, then a test-harness pause, on a loaded "
            "machine) and are not comparable with these.",
        ]
    )


if __name__ == "__main__":
    print(run())
