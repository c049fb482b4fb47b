"""The central at a city's size: the same reads and writes at 10k and at 1M cards.

Cards are written exactly as the central writes them (`_card_row`, one change feed row per card,
a cardholder row), bulk-loaded (SQLite: `executemany` in one transaction; PostgreSQL: `COPY`).
Then, through `CentralService` itself (no HTTP, so the database's share is what moves):

- idle-branch pull: a branch following 20 cards, none changed, pulling after the last 500 changes
  of the city (what 30 s bring); and the steady state, nothing new since its last pull;
- busy-branch pull: a branch following 2,000 cards, 200 of them changed among the last 5,000
  changes (by its active follows), and the same range walked in feed order, for comparison;
- a push of 50 commands and of 1 (loss reports on active cards: applied, new feed rows);
- a lookup by ID number and by card number (audited, followed);
- a supervisor's conflict list (50 open conflicts of the branch among 1% of the cards).

SQLite is measured without statistics and after `ANALYZE`; PostgreSQL (a throwaway cluster, as
the tests start it) after `VACUUM (ANALYZE)`, as autovacuum leaves a loaded table. The goal: p50
and p99 at 1M within 1.3x of the same at 10k. Both sizes are loaded first and each operation is
timed in blocks, the sizes in turn: a p99 is a tail of a few calls, and measured minutes apart
the two sizes' tails met different machines. Never run by the test suite (minutes, gigabytes in /tmp).
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TITLE = "Central at scale: 10k against 1M cards (SQLite, SQLite + ANALYZE, PostgreSQL)"

SIZES = (10_000, 1_000_000)
GOAL = 1.3
IDLE_FOLLOWS = 20
BUSY_FOLLOWS = 2_000
BUSY_RECENT = 200  # followed cards changed among the last RECENT_RANGE changes
RECENT_RANGE = 5_000
IDLE_RANGE = 500
BUSY_CONFLICTS = 50
#: Timed calls per operation and size: reads that change nothing, reads that are audited and
#: follow a new card each time, pushes of 1 and of 50 (each on new cards). They are made in
#: BLOCKS blocks, the two sizes in turn, so that the machine's other work falls on both alike.
READ_RUNS = 1000
LOOKUP_RUNS = 1000
RUNS = 100
PUSH50_RUNS = 20
BLOCKS = 10
BRANCH_IDLE, BRANCH_BUSY, ACTOR = "GZ-IDLE-001", "GZ-BUSY-001", "T900"
#: The branch that pushes (its changes land in the feed's tail, followed by no one measured).
BRANCH_PUSH, PUSHER = "GZ-PUSH-001", "T901"
#: The branch whose teller looks people up (each lookup follows the card: not the busy branch's).
BRANCH_LOOK, LOOKER = "GZ-LOOK-001", "T902"
#: Cards by use (n): idle follows [0, 20), busy follows [20, 1820) and the feed's last 5,000,
#: pushes from PUSHES[pass], lookups from LOOKUPS + 2 * (LOOKUP_RUNS + 2) * pass.
PUSHES = (1_820, 3_030)
LOOKUPS = 4_400


def _holder(n: int) -> str:
    from branch_app.domain.identity import resident_check_character

    born = dt.date(1960, 1, 1) + dt.timedelta(days=n // 1000)
    first17 = f"440106{born:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_check_character(first17)


def _card_number(n: int) -> str:
    from branch_app.domain.card_number import card_number_check_character

    first8 = f"G{n:07d}"
    return first8 + card_number_check_character(first8)


def _rows(size: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Cardholders, cards and changes of `size` active cards, in the central's own row form
    (timestamps as Python datetimes: each database's loader converts them as the central does)."""
    from branch_app.domain.lifecycle import CardRecord, CardState, FunctionStatus
    from central.service import _card_row

    now = dt.datetime.now(dt.UTC)
    holders, cards, changes = [], [], []
    for n in range(size):
        h = _holder(n)
        record = CardRecord(
            holder_id=h,
            version=1,
            card_number=_card_number(n),
            card_state=CardState.ACTIVE,
            social_security=FunctionStatus.NORMAL,
            financial=FunctionStatus.NORMAL,
            bank="demo-bank",
            generation=3,
            collected_on=dt.date(2024, 5, 6),
        )
        row = _card_row(record, now)
        holders.append((h, None, now))
        cards.append(row)
        changes.append((n + 1, h, 1, row[7], None, now))
    return holders, cards, changes


def _follows(size: int, now: dt.datetime) -> list[tuple[Any, ...]]:
    """(branch, holder_id, since, active_at): the idle and busy branches, one background follow
    per ten cards for other branches."""
    rows = [(BRANCH_IDLE, _holder(n), now, now) for n in range(IDLE_FOLLOWS)]
    recent_start = size - RECENT_RANGE
    step = RECENT_RANGE // BUSY_RECENT
    busy = {recent_start + i * step for i in range(BUSY_RECENT)}
    busy |= set(range(IDLE_FOLLOWS, IDLE_FOLLOWS + BUSY_FOLLOWS - BUSY_RECENT))
    rows += [(BRANCH_BUSY, _holder(n), now, now) for n in sorted(busy)]
    rows += [(f"GZ-BG-{n % 1000:04d}", _holder(n), now, now) for n in range(0, size, 10)]
    return rows


def _conflicts(size: int, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for i, n in enumerate(range(7, size, 100)):
        branch = BRANCH_BUSY if i < BUSY_CONFLICTS else f"GZ-BG-{n % 1000:04d}"
        rows.append(
            {
                "command_id": uuid.uuid4().hex,
                "holder_id": _holder(n),
                "kind": "unlock",
                "reason": "card_mismatch",
                "message": None,
                "record": None,
                "command": '{"kind":"unlock"}',
                "actor": ACTOR,
                "device": "bench-device",
                "branch": branch,
                "opened_at": now,
                "status": "open",
            }
        )
    return rows


def _load(db, size: int, data) -> float:
    """Bulk-load `data` (`_rows(size)`) plus follows and conflicts; seconds taken."""
    from sqlalchemy import insert, update

    from central import models
    from central.service import _HotStatements

    started = time.perf_counter()
    holders, cards, changes = data
    now = dt.datetime.now(dt.UTC)
    hot = _HotStatements(db)
    stamp = hot.timestamp(now)
    follows = _follows(size, now)
    if db.is_sqlite:

        def fix(rows, at):
            return [(*r[:at], stamp, *r[at + 1 :]) for r in rows]

        with db.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO cardholders (holder_id, name, created_at) VALUES (?, ?, ?)",
                fix(holders, 2),
            )
            conn.exec_driver_sql(
                "INSERT INTO cards (holder_id, version, card_number, new_card_number, "
                "card_state, social_security, financial, record, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                fix(cards, 8),
            )
            conn.exec_driver_sql(
                "INSERT INTO changes (cursor, holder_id, version, record, command_id, "
                "changed_at) VALUES (?, ?, ?, ?, ?, ?)",
                fix(changes, 5),
            )
            conn.exec_driver_sql(
                "INSERT INTO branch_interest (branch, holder_id, since, active_at) "
                "VALUES (?, ?, ?, ?)",
                [(b, h, stamp, stamp) for b, h, _s, _a in follows],
            )
            conn.execute(insert(models.conflicts), _conflicts(size, now))
            conn.execute(update(models.feed_head).values(cursor=size))
    else:
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                for table, columns, rows in (
                    ("cardholders", "holder_id, name, created_at", holders),
                    (
                        "cards",
                        "holder_id, version, card_number, new_card_number, card_state, "
                        "social_security, financial, record, updated_at",
                        cards,
                    ),
                    (
                        "changes",
                        "cursor, holder_id, version, record, command_id, changed_at",
                        changes,
                    ),
                    ("branch_interest", "branch, holder_id, since, active_at", follows),
                ):
                    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            raw.commit()
        with db.write() as conn:
            conn.execute(insert(models.conflicts), _conflicts(size, now))
            conn.execute(update(models.feed_head).values(cursor=size))
        with db.engine.connect() as conn:
            # As autovacuum leaves a table after a bulk load: statistics, the visibility map and
            # hint bits set (else the first reads of each page write it back, in the timings).
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def _timed_block(call: Callable[[], Any], runs: int) -> list[float]:
    """Milliseconds of `runs` calls, the collector off (it would land on any of them)."""
    times = []
    gc.disable()
    try:
        for _ in range(runs):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        gc.enable()
    return times


def _p50_p99(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, round(0.99 * len(times)) - 1)]


Operation = tuple[Callable[[], Any], int]  # the call, and how many times it is timed


def _interleaved(
    by_size: dict[int, dict[str, Operation]],
) -> dict[int, dict[str, tuple[float, float]]]:
    """p50 and p99 (ms) of every operation at every size, timed in BLOCKS blocks, the sizes in
    turn within each (after two warm-up calls each)."""
    names = list(next(iter(by_size.values())))
    samples: dict[int, dict[str, list[float]]] = {size: {} for size in by_size}
    for name in names:
        for ops in by_size.values():
            call, _runs = ops[name]
            call()
            call()
        for block in range(BLOCKS):
            for size, ops in by_size.items():
                call, runs = ops[name]
                share = runs // BLOCKS + (1 if block < runs % BLOCKS else 0)
                samples[size].setdefault(name, []).extend(_timed_block(call, share))
    return {
        size: {name: _p50_p99(times) for name, times in by_name.items()}
        for size, by_name in samples.items()
    }


def _operations(db, size: int, run: int) -> dict[str, Operation]:
    """The operations to time on `db` (of `size` cards) in pass `run`, set up and ready."""
    from branch_app.domain.vocabulary import ConflictStatus, Place, Role
    from central.auth import DeviceIdentity, StaffIdentity, add_staff, password_hasher
    from central.service import CentralService
    from central.settings import CentralSettings
    from sync.protocol import LookupRequest, PushCommand

    settings = CentralSettings(password_time_cost=1, password_memory_kib=8192)
    hasher = password_hasher(settings)
    staff = (
        (PUSHER, "Bench Pusher", Role.TELLER, BRANCH_PUSH),
        (ACTOR, "Bench Teller", Role.TELLER, BRANCH_BUSY),
        (LOOKER, "Bench Looker", Role.TELLER, BRANCH_LOOK),
        ("S900", "Bench Supervisor", Role.SUPERVISOR, BRANCH_BUSY),
    )
    with db.write() as conn:
        for staff_id, name, role, branch in staff:
            add_staff(
                conn,
                hasher,
                staff_id=staff_id,
                name=name,
                role=role,
                branch=branch,
                password="bench password 1",
            )
    service = CentralService(db, b"\x01" * 32)
    idle = DeviceIdentity("bench-idle", "idle", BRANCH_IDLE, Place.BRANCH)
    busy = DeviceIdentity("bench-device", "busy", BRANCH_BUSY, Place.BRANCH)
    pusher = DeviceIdentity("bench-push", "push", BRANCH_PUSH, Place.BRANCH)
    looker = DeviceIdentity("bench-look", "look", BRANCH_LOOK, Place.BRANCH)
    teller = StaffIdentity(LOOKER, "Bench Looker", Role.TELLER, BRANCH_LOOK)
    supervisor = StaffIdentity("S900", "Bench Supervisor", Role.SUPERVISOR, BRANCH_BUSY)
    head = size  # the loaded feed's end: the busy branch's changes are among its last 5,000
    with db.read() as conn:
        now = CentralService._watermark(conn)  # past the pushes of an earlier pass
    out: dict[str, Operation] = {}

    out["idle pull, 500 new"] = (lambda: service.changes(idle, now - IDLE_RANGE, 200), READ_RUNS)
    out["idle pull, nothing new"] = (lambda: service.changes(idle, now, 200), READ_RUNS)

    def busy_pull() -> None:
        page = service.changes(busy, head - RECENT_RANGE, 200)
        assert len(page.changes) == BUSY_RECENT, len(page.changes)

    def busy_pull_by_range() -> None:
        service.range_scan = 10**9
        try:
            busy_pull()
        finally:
            service.range_scan = RANGE_DEFAULT

    out["busy pull, by follows"] = (busy_pull, READ_RUNS)
    out["busy pull, by feed range"] = (busy_pull_by_range, READ_RUNS)

    ids = iter(range(LOOKUPS + 2 * (LOOKUP_RUNS + 2) * run, size))
    out["lookup by ID"] = (
        lambda: service.lookup(
            teller,
            looker,
            LookupRequest(holder_id=_holder(next(ids)), purpose="holder_enquiry"),
        ),
        LOOKUP_RUNS,
    )
    out["lookup by card number"] = (
        lambda: service.lookup(
            teller,
            looker,
            LookupRequest(card_number=_card_number(next(ids)), purpose="holder_enquiry"),
        ),
        LOOKUP_RUNS,
    )
    out["conflict list (open)"] = (
        lambda: service.conflicts(supervisor, ConflictStatus.OPEN, 100),
        READ_RUNS,
    )

    pushed = iter(range(PUSHES[run], size))
    seq = iter(range(1, 10**9))

    def command(n: int) -> PushCommand:
        return PushCommand(
            id=uuid.uuid4().hex,
            kind="report_loss",
            holder_id=_holder(n),
            base_version=1,
            payload={"kind": "report_loss", "channel": "card_bank_branch"},
            actor=PUSHER,
            device=pusher.device_id,
            branch=BRANCH_PUSH,
            made_at="2026-03-02T01:02:03+00:00",
            seq=next(seq),
        )

    from tests.signing_keys import Keys

    # Every command carries its maker's signature (issue 10), made as the device makes it when
    # it queues the request: before the clock starts, so the push measures the central's work.
    keys = Keys(db)
    ready = iter(
        [keys.sign(command(next(pushed))) for _ in range(RUNS + 2 + (PUSH50_RUNS + 2) * 50)]
    )

    def push(count: int) -> None:
        answers = service.push(pusher, [next(ready) for _ in range(count)])
        assert all(a.outcome == "applied" for a in answers), answers[0]

    out["push of 1"] = (lambda: push(1), RUNS)
    out["push of 50"] = (lambda: push(50), PUSH50_RUNS)
    return out


RANGE_DEFAULT = 2_000


@contextmanager
def _databases(folder: Path) -> Iterator[dict[str, Callable[[int], Any]]]:
    """Makers of a fresh database per (kind, size)."""
    from central.db import Database

    cluster = None
    made: list[Any] = []

    def sqlite(size: int) -> Any:
        db = Database(f"sqlite:///{folder / f'central-{size}.db'}")
        db.create_schema()
        made.append(db)
        return db

    def postgres(size: int) -> Any:
        nonlocal cluster
        from tests.central.conftest import _Cluster, _postgres_bin

        if cluster is None:
            bindir = _postgres_bin()
            if bindir is None:
                raise RuntimeError("PostgreSQL is not installed")
            cluster = _Cluster(bindir)
            url = cluster.start()
            cluster.url = url  # type: ignore[attr-defined]
        base = cluster.url.rsplit("/", 1)[0]  # type: ignore[attr-defined]
        name = f"scale_{size}"
        cluster.run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", name)
        db = Database(f"{base}/{name}")
        db.create_schema()
        made.append(db)
        return db

    try:
        yield {"sqlite": sqlite, "postgresql": postgres}
    finally:
        for db in made:
            db.dispose()
        if cluster is not None:
            cluster.stop()


def run() -> str:
    results: dict[tuple[str, int], dict[str, tuple[float, float]]] = {}
    loads: dict[tuple[str, int], float] = {}
    plans: dict[int, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="central-scale-") as tmp, _databases(Path(tmp)) as make:
        dbs: dict[tuple[str, int], Any] = {}
        for size in SIZES:
            t = time.perf_counter()
            data = _rows(size)
            print(f"  {size:,} cards made in {time.perf_counter() - t:.1f} s", flush=True)
            for kind in ("sqlite", "postgresql"):
                dbs[kind, size] = make[kind](size)
                loads[kind, size] = _load(dbs[kind, size], size, data)
                print(f"  {kind} {size:,}: loaded in {loads[kind, size]:.1f} s", flush=True)
            del data

        def measure(label: str, kind: str, run: int) -> None:
            ops = {size: _operations(dbs[kind, size], size, run) for size in SIZES}
            for size, figures in _interleaved(ops).items():
                results[label, size] = figures
            print(f"  {label}: measured", flush=True)

        measure("SQLite, no statistics", "sqlite", 0)
        for size in SIZES:
            db = dbs["sqlite", size]
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            db.engine.dispose()  # new connections read the statistics
        measure("SQLite + ANALYZE", "sqlite", 1)
        for size in SIZES:
            plans[size] = _card_lookup_plan(dbs["sqlite", size])
        measure("PostgreSQL", "postgresql", 0)
    total = time.perf_counter() - started
    report = _report(results, loads, total)
    return (
        report
        + "\n\nSQLite + ANALYZE, the card-number lookup's plan: "
        + "; ".join(f"{size:,}: {plan}" for size, plan in plans.items())
    )


def _card_lookup_plan(db) -> str:
    """EXPLAIN QUERY PLAN of the lookup's statement by card number, as the central runs it."""
    from sqlalchemy import select
    from sqlalchemy.dialects import sqlite

    from central import models

    cards = models.cards
    query = (
        select(cards.c.holder_id, cards.c.record, cards.c.version)
        .where((cards.c.card_number == "G00000011") | (cards.c.new_card_number == "G00000011"))
        .limit(1)
    )
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with db.read() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
    return " / ".join(str(row[-1]) for row in rows)


def _report(results, loads, total: float) -> str:
    small, large = SIZES
    lines = [
        f"Same operations at {small:,} and {large:,} cards; p50 / p99 in ms through "
        f"`CentralService` (no HTTP), of {READ_RUNS} calls per operation and size ({LOOKUP_RUNS} "
        f"for the lookups, {RUNS} pushes of 1, {PUSH50_RUNS} of 50), timed in {BLOCKS} blocks "
        "with the two sizes in turn, so that the machine's other work falls on both alike. "
        f"Ratio: 1M over 10k; goal at most {GOAL}x. Whole run {total:.0f} s.",
        "",
    ]
    kinds = sorted(
        {k for k, _ in results},
        key=["SQLite, no statistics", "SQLite + ANALYZE", "PostgreSQL"].index,
    )
    for kind in kinds:
        a, b = results[kind, small], results[kind, large]
        lines += [
            f"**{kind}**",
            "",
            "| operation | 10k p50 | 10k p99 | 1M p50 | 1M p99 | ratio p50 | ratio p99 |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name in a:
            (p50a, p99a), (p50b, p99b) = a[name], b[name]
            r50, r99 = p50b / p50a, p99b / p99a
            flag = "" if max(r50, r99) <= GOAL else " ⚠"
            lines.append(
                f"| {name} | {p50a:.2f} | {p99a:.2f} | {p50b:.2f} | {p99b:.2f} | "
                f"{r50:.2f} | {r99:.2f}{flag} |"
            )
        lines.append("")
    lines.append(
        "Bulk load (s): "
        + ", ".join(f"{kind} {size:,}: {sec:.1f}" for (kind, size), sec in sorted(loads.items()))
    )
    return "\n".join(lines)
