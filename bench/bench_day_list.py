"""The day's list and the supervisor's sync queue with 10,000 items against a bare `DataTable`.

Each screen is opened in a headless app (`App.run_test`) with its rows ready (the service's read
is measured separately: it is a worker thread's job and does not hold the screen), and timed from
the request to the first paint with every row in the table, then from a Ctrl+End to the paint
with the cursor on the last row. The baseline, in the same run: a bare Textual app whose only
widget is a `DataTable`, given the same rows (same columns, same texts) at the same moment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time

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


async def _paint_and_end(pilot, table, open_screen) -> tuple[float, float]:
    """Seconds from `open_screen()` to the painted full table, and from Ctrl+End to the last
    row painted under the cursor."""
    started = time.perf_counter()
    open_screen()
    await _until(pilot, lambda: table() is not None and table().row_count == ROWS)
    await pilot.pause()  # the paint with the rows
    first = time.perf_counter() - started
    table().focus()
    await pilot.pause()
    started = time.perf_counter()
    await pilot.press("ctrl+end")
    await _until(pilot, lambda: table().cursor_row == ROWS - 1)
    await pilot.pause()
    return first, time.perf_counter() - started


async def bare(rows: list[tuple[str, ...]], columns: tuple[str, ...]) -> tuple[float, float]:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row", zebra_stripes=True)

    app = Bare()
    async with app.run_test(size=(120, 36)) as pilot:
        widget = app.query_one(DataTable)

        def fill() -> None:
            widget.add_columns(*columns)
            widget.add_rows(rows)

        return await _paint_and_end(pilot, lambda: widget, fill)


async def day_list(rows: list) -> tuple[float, float]:
    from textual.css.query import NoMatches
    from textual.widgets import DataTable

    from branch_app.domain.vocabulary import Role
    from branch_app.ui.screens.day_list import DayListScreen

    class Measured(DayListScreen):
        def _load(self) -> None:  # the rows as the worker would post them
            self.post_message(self.Loaded(list(rows), None))

    app = _branch_app(Role.TELLER)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()

        def table():
            try:
                return app.screen.query_one("#day-table", DataTable)
            except NoMatches:
                return None

        return await _paint_and_end(pilot, table, lambda: app.push_screen(Measured()))


async def sync_queue(report) -> tuple[float, float]:
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

        return await _paint_and_end(pilot, table, lambda: app.push_screen(Measured()))


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return (
        statistics.median(s[0] for s in samples),
        statistics.median(s[1] for s in samples),
    )


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
    queue_texts = [
        (r.status, r.holder_masked, r.kind, r.actor, r.made_at[11:16], r.reason or "")
        for r in report.rows
    ]
    queue_columns = ("status", "holder", "kind", "actor", "made", "reason")

    results: dict[str, list[tuple[float, float]]] = {
        "bare_day": [],
        "day": [],
        "bare_queue": [],
        "queue": [],
    }
    for _ in range(ROUNDS):
        results["bare_day"].append(asyncio.run(bare(day_texts, day_columns)))
        results["day"].append(asyncio.run(day_list(rows)))
        results["bare_queue"].append(asyncio.run(bare(queue_texts, queue_columns)))
        results["queue"].append(asyncio.run(sync_queue(report)))
    med = {name: _median(samples) for name, samples in results.items()}
    read_1k = service_read(1_000)

    def line(name: str, label: str, base: str) -> str:
        paint, end = med[name]
        bare_paint, bare_end = med[base]
        return (
            f"| {label} | {paint * 1000:.0f} | {bare_paint * 1000:.0f} | {paint / bare_paint:.2f}x "
            f"| {end * 1000:.0f} | {bare_end * 1000:.0f} | {end / bare_end:.2f}x |"
        )

    day_paint, queue_paint = med["day"][0], med["queue"][0]
    day_ratio = day_paint / med["bare_day"][0]
    queue_ratio = queue_paint / med["bare_queue"][0]
    ok = lambda good: "met" if good else "NOT met"  # noqa: E731
    return "\n".join(
        [
            f"{ROWS:,} rows, 120x36, headless (`run_test`), median of {ROUNDS} rounds, in ms. "
            "First paint: from opening the screen with its rows ready (for the baseline: from "
            "handing the same rows to a bare app's only `DataTable`) to the painted table; end: "
            "Ctrl+End to the last row painted under the cursor.",
            "",
            "| screen | first paint | bare DataTable | ratio | scroll to end | bare | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|",
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
        ]
    )


if __name__ == "__main__":
    print(run())
