"""Enqueue latency of the outbox against a bare durable file write of the same size.

For 100, 1,000 and 10,000 commands in the store, each enqueue is timed and, right after it, a
bare "write a file of the live outbox's size, fsync, os.replace, fsync the folder" (the floor
that any crash-safe whole-file store pays). Two layouts:

- *archived*: the steady state. The newest 100 commands are pending (not yet sent); every
  older one was accepted by the central and moved to the monthly archive file, so the live file
  that each enqueue rewrites holds only the pending ones;
- *all pending*: nothing could be archived (a device offline for a very long time): every
  command is in the live file. This shows what archiving buys.

Also: opening the store, peak memory (tracemalloc) of open + 20 enqueues, and orjson against
the standard json module on the live file.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import orjson

from branch_app.store import LocalStore, MemoryKeyring
from branch_app.store.storage import write_atomically

TITLE = "Outbox enqueue latency against a bare fsync + replace"
SIZES = (100, 1_000, 10_000)
PENDING = 100
SAMPLES = 200
HOLDERS = ["11010519491231002X", "440106198001011234", "440104199512250021", "44010619900307002X"]
PAYLOAD = {
    "kind": "report_loss",
    "channel": "card_bank_branch",
    "note": "holder present, ID checked",
}


def _enqueue(store: LocalStore, n: int) -> str:
    return store.outbox.enqueue(
        "report_loss",
        HOLDERS[n % len(HOLDERS)],
        PAYLOAD,
        base_version=3,
        actor="T001",
        device="PC-07",
        branch="GZ-001",
    ).id


def build(folder: Path, keyring: MemoryKeyring, total: int, archived: bool) -> None:
    """A store holding `total` commands; with `archived`, all but the newest 100 archived."""
    with LocalStore.open(folder, keyring=keyring, archive_threshold=10**9) as store:
        ids: list[str] = []
        for start in range(0, total, 1_000):
            made = store.outbox.enqueue_many(
                {
                    "kind": "report_loss",
                    "holder_id": HOLDERS[n % len(HOLDERS)],
                    "payload": PAYLOAD,
                    "base_version": 3,
                    "actor": "T001",
                    "device": "PC-07",
                    "branch": "GZ-001",
                }
                for n in range(start, min(total, start + 1_000))
            )
            ids += [item.id for item in made]
        if archived and total > PENDING:
            answered = ids[: total - PENDING]
            store.outbox.record_results({"id": i, "status": "accepted"} for i in answered)
            store.outbox.archive_finished()


def _bare_write(folder: Path, size: int) -> float:
    data = os.urandom(size // 2).hex().encode()[:size]
    started = time.perf_counter()
    write_atomically(folder / "bare.json", data)
    return time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def measure(folder: Path, keyring: MemoryKeyring) -> dict[str, float]:
    started = time.perf_counter()
    store = LocalStore.open(folder, keyring=keyring, archive_threshold=10**9)
    opened = time.perf_counter() - started
    enqueue_times: list[float] = []
    bare_times: list[float] = []
    bare_dir = folder / "bare"
    bare_dir.mkdir(exist_ok=True)
    live_before = len(store.outbox)
    try:
        for n in range(SAMPLES):
            started = time.perf_counter()
            _enqueue(store, n)
            enqueue_times.append(time.perf_counter() - started)
            bare_times.append(_bare_write(bare_dir, store.outbox.path.stat().st_size))
        live_after = len(store.outbox)
        size = store.outbox.path.stat().st_size
        archived = len(store.archive.all_docs())
    finally:
        store.close()
    return {
        "open_ms": opened * 1000,
        "p50": _pct(enqueue_times, 0.50),
        "p99": _pct(enqueue_times, 0.99),
        "bare_p50": _pct(bare_times, 0.50),
        "bare_p99": _pct(bare_times, 0.99),
        "live_before": live_before,
        "live_after": live_after,
        "archived": archived,
        "size_kb": size / 1024,
    }


def peak_memory(folder: Path, keyring: MemoryKeyring) -> float:
    """Peak Python memory (MiB) of opening the store and 20 enqueues."""
    tracemalloc.start()
    try:
        with LocalStore.open(folder, keyring=keyring, archive_threshold=10**9) as store:
            for n in range(20):
                _enqueue(store, n)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def serializer_comparison(folder: Path) -> tuple[float, float, float, float]:
    """Median ms to dump and to load the live outbox with orjson and with json."""
    raw = (folder / "outbox.json").read_bytes()
    envelope = orjson.loads(raw)

    def median(fn) -> float:
        runs = []
        for _ in range(15):
            started = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs) * 1000

    return (
        median(lambda: orjson.dumps(envelope)),
        median(lambda: json.dumps(envelope, ensure_ascii=False).encode()),
        median(lambda: orjson.loads(raw)),
        median(lambda: json.loads(raw)),
    )


def run() -> str:
    keyring = MemoryKeyring()
    rows = []
    results: dict[tuple[int, bool], dict[str, float]] = {}
    memory: dict[tuple[int, bool], float] = {}
    serializer = None
    with tempfile.TemporaryDirectory(
        prefix="bench-outbox-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        for archived in (True, False):
            for total in SIZES:
                folder = Path(tmp) / f"{'archived' if archived else 'pending'}-{total}"
                build(folder, keyring, total, archived)
                if not archived and total == 1_000:
                    serializer = serializer_comparison(folder)
                results[(total, archived)] = measure(folder, keyring)
                memory[(total, archived)] = peak_memory(folder, keyring)
    for (total, archived), r in results.items():
        layout = "archived" if archived else "all pending"
        rows.append(
            f"| {total:,} | {layout} | {int(r['live_before']):,}–{int(r['live_after']):,} / "
            f"{int(r['archived']):,} | {r['size_kb']:,.0f} KiB | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['bare_p50']:.2f} | {r['bare_p99']:.2f} | {r['p50'] / r['bare_p50']:.2f}x | "
            f"{r['open_ms']:.0f} | {memory[(total, archived)]:.1f} |"
        )
    at_1000 = results[(1_000, True)]
    at_10000 = results[(10_000, True)]
    goal_ratio = at_1000["p50"] / at_1000["bare_p50"]
    lines = [
        f"{SAMPLES} enqueues per row, each followed by a bare write of the live file's size "
        "(temp file, fsync, `os.replace`, fsync of the folder) in the same run. Times in ms.",
        "",
        "| commands in store | layout | live (before–after) / archived | live file | enqueue p50 "
        "| enqueue p99 | bare p50 | bare p99 | p50 ratio | open | peak MiB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"- Goal 1, p50 within 2x of the bare write with 1,000 commands: **{goal_ratio:.2f}x** "
        f"({'met' if goal_ratio <= 2 else 'NOT met'}).",
        f"- Goal 2, p99 under 30 ms with 10,000 commands: **{at_10000['p99']:.2f} ms** "
        f"({'met' if at_10000['p99'] < 30 else 'NOT met'}); with nothing archivable (all "
        f"10,000 pending) it is {results[(10_000, False)]['p99']:.2f} ms, which is what "
        "archiving avoids.",
        "- Layout *archived*: the newest 100 commands are pending in the live file; every older "
        "one was accepted and moved to the archive (`archive/outbox-YYYY-MM.<seq>.json` "
        "parts), which an enqueue never touches. The live file grows by the 200 measured "
        "enqueues.",
        "- Peak MiB: tracemalloc peak of opening the store and 20 enqueues (the archive is not "
        "loaded at open).",
    ]
    if serializer is not None:
        o_dump, j_dump, o_load, j_load = serializer
        lines.append(
            f"- Serialiser, live file of 1,000 items: orjson dumps {o_dump:.2f} ms vs json "
            f"{j_dump:.2f} ms ({j_dump / o_dump:.1f}x), loads {o_load:.2f} ms vs {j_load:.2f} ms "
            f"({j_load / o_load:.1f}x): the storage uses orjson."
        )
    return "\n".join(lines)
