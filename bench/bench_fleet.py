"""A fleet on one central: 1 worker against N workers of `central serve --workers N` on PostgreSQL.

Many simulated devices at once, on loopback only, bounded in count and in time: active devices
(instant-issuance branches, each with its own teller) push batches of their own card lives plus
commands racing with every other device on a few shared cards, and pull after each push; idle
devices only pull. Every request goes over HTTP to the real server; the database is a throwaway
PostgreSQL cluster with durable settings (`fsync`, `synchronous_commit` on, as a pilot runs it).

Checked after each run: every command answered exactly once, no 5xx, the feed's cursors without
a gap, every device's pulled versions of a card strictly increasing, and a serial replay of every
command, card by card in the order the central decided them, through the central's own decision
path (`CentralService._decide`: the same checks, `admit`, the lifecycle) on a fresh SQLite
central with the same staff and keys, which must give every outcome, version, reason and
applied record, and every card's final record.

Then the feed head (`feed_head`, the one row each write transaction ends on): how long a batch
holds it and the cap that puts on the central, against the throughput measured.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TITLE = "Fleet: 1 against N workers on PostgreSQL, many devices pushing and pulling at once"

WORKER_COUNTS = (1, 2)
ACTIVE_DEVICES = 24
IDLE_DEVICES = 24
BRANCHES = 6
ROUNDS = 30  # pushes per active device
BATCH = 25  # commands per push: OWN of the device's card lives, the rest on shared cards
OWN = 20
SHARED_CARDS = 20
IDLE_PULL_EVERY = 0.1  # seconds between an idle device's pulls
RUN_LIMIT = 120.0  # seconds: the run stops there whatever is left


# ---------------------------------------------------------------- the database


class _DurableCluster:
    """A throwaway PostgreSQL on 127.0.0.1 with the durable settings a pilot uses."""

    def __init__(self) -> None:
        from tests.central.conftest import _Cluster, _postgres_bin

        bindir = _postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.cluster = _Cluster(bindir)
        self.databases = 0

    def start(self) -> None:
        c = self.cluster
        if c.as_root:
            import shutil

            shutil.chown(c.base, "postgres", "postgres")
        steps = [
            ("initdb", "-D", str(c.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-instructions"),
            ("pg_ctl", "-D", str(c.data), "-w", "-t", "60", "-l", str(c.base / "server.log"),
             "-o", f"-c listen_addresses=127.0.0.1 -p {c.port} -k {c.base} -c fsync=on "
             "-c synchronous_commit=on -c max_connections=200 -c shared_buffers=256MB", "start"),
        ]  # fmt: skip
        for step in steps:
            done = c.run(*step)
            if done.returncode != 0:
                raise RuntimeError(f"{step[0]} failed: {done.stderr.strip()[-500:]}")

    def new_database(self) -> str:
        self.databases += 1
        name = f"fleet_{self.databases}"
        c = self.cluster
        done = c.run("createdb", "-h", "127.0.0.1", "-p", str(c.port), "-U", "postgres", name)
        if done.returncode != 0:
            raise RuntimeError(f"createdb failed: {done.stderr.strip()[-500:]}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{c.port}/{name}"

    def stop(self) -> None:
        self.cluster.stop()


# ---------------------------------------------------------------- the devices' work


@dataclass
class _Device:
    device_id: str
    token: str
    branch: str
    actor: str
    bodies: list[bytes] = field(default_factory=list)  # one push body per round
    ids: list[list[str]] = field(default_factory=list)
    cursor: int = 0
    pulled: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class _Run:
    answers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    doubled: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    idle_pull_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    commands: int = 0
    stopped_early: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _shared_commands() -> list[dict[str, Any]]:
    from tests.central.conftest import LOSS_AT_BRANCH, unlock

    return [LOSS_AT_BRANCH, unlock(0), LOSS_AT_BRANCH, unlock(0, at_card_bank=False)]


def _shared_holder(i: int) -> tuple[str, Any]:
    """The i-th shared card: an active record whose card number `unlock` names."""
    from tests.central.conftest import active_record

    record = active_record(900 + i)
    return record.holder_id, record


def _build(central: Any, signer: Any, serial: Iterator[int]) -> list[_Device]:
    """Enrol the active devices, one teller each, and make every push body (signed)."""
    import orjson

    from branch_app.domain.lifecycle import command_to_dict
    from tests.central.conftest import card_number
    from tests.sync.helpers import holder_id, lifecycle_commands

    devices = []
    shared_payloads = _shared_commands()
    for d in range(ACTIVE_DEVICES):
        branch = f"GZ-FLEET-{d % BRANCHES:03d}"
        actor = f"F{d:03d}"
        central.add_staff(actor, "bench-password-1", role="teller", branch=branch)
        enrolled = central.enrol_device(branch=branch, place="instant_branch")
        device = _Device(enrolled.device_id, enrolled.device_token, branch, actor)
        lives_needed = -(-ROUNDS * OWN // 6)
        lives = []
        for _ in range(lives_needed):
            n = next(serial)
            lives.append((holder_id(n), lifecycle_commands(n)))
        own = [(h, life[step]) for step in range(6) for h, life in lives][: ROUNDS * OWN]
        for r in range(ROUNDS):
            commands: list[dict[str, Any]] = []
            for holder, command in own[r * OWN : (r + 1) * OWN]:
                commands.append(_wire(device, holder, command_to_dict(command), len(commands)))
            for j in range(BATCH - OWN):
                i = (d + r + j) % SHARED_CARDS
                holder, _record = _shared_holder(i)
                payload = dict(shared_payloads[(d + r + j) % len(shared_payloads)])
                if payload["kind"] == "unlock":
                    payload["card_number"] = card_number(900 + i)
                commands.append(_wire(device, holder, payload, len(commands)))
            if signer is not None:
                commands = [signer.sign_body(c) for c in commands]
            device.ids.append([c["id"] for c in commands])
            device.bodies.append(orjson.dumps({"commands": commands}))
        devices.append(device)
    return devices


def _wire(device: _Device, holder: str, payload: dict[str, Any], seq: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "kind": payload["kind"],
        "holder_id": holder,
        "base_version": 0,
        "payload": payload,
        "actor": device.actor,
        "device": device.device_id,
        "branch": device.branch,
        "made_at": dt.datetime.now(dt.UTC).isoformat(),
        "seq": seq + 1,
    }


def _signer(database: Any) -> Any:
    """Signs commands as each device would, when this central checks signatures (issue 10)."""
    import sync.protocol

    if not hasattr(sync.protocol, "signing_bytes"):
        return None
    from tests.signing_keys import Keys

    return Keys(database)


def _drive(url: str, devices: list[_Device], idle_tokens: list[str]) -> _Run:
    """Every active device pushes its rounds, pulling after each; idle devices pull meanwhile."""
    import httpx
    import orjson

    run = _Run()
    stop = threading.Event()
    start = threading.Barrier(len(devices) + len(idle_tokens) + 1)
    deadline = [0.0]

    def pull(http: httpx.Client, cursor: int, times: list[float]) -> tuple[int, list[Any]]:
        began = time.perf_counter()
        answer = http.get("/v1/changes", params={"since": cursor, "limit": 500})
        spent = (time.perf_counter() - began) * 1000
        with run.lock:
            run.statuses[answer.status_code] += 1
            times.append(spent)
        if answer.status_code != 200:
            return cursor, []
        page = orjson.loads(answer.content)
        return int(page["next_cursor"]), page["changes"]

    def active(device: _Device) -> None:
        headers = {"Authorization": f"Bearer {device.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
            start.wait(timeout=60)
            for body, ids in zip(device.bodies, device.ids, strict=True):
                if stop.is_set() or time.monotonic() > deadline[0]:
                    run.stopped_early = True
                    return
                began = time.perf_counter()
                answer = http.post("/v1/commands/push", content=body)
                spent = (time.perf_counter() - began) * 1000
                results = orjson.loads(answer.content)["results"] if answer.is_success else []
                with run.lock:
                    run.statuses[answer.status_code] += 1
                    run.push_ms.append(spent)
                    for result in results:
                        key = (device.device_id, result["id"])
                        if key in run.answers:
                            run.doubled += 1
                        run.answers[key] = result
                    run.commands += len(results)
                if [r["id"] for r in results] != ids:
                    stop.set()  # an unanswered command: the check below names it
                    return
                device.cursor, changes = pull(http, device.cursor, run.pull_ms)
                for change in changes:
                    device.pulled[change["holder_id"]].append(int(change["record"]["version"]))

    def idle(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        cursor = 0
        pause = threading.Event()
        with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
            start.wait(timeout=60)
            while not stop.is_set() and time.monotonic() < deadline[0]:
                cursor, _ = pull(http, cursor, run.idle_pull_ms)
                pause.wait(IDLE_PULL_EVERY)

    threads = [threading.Thread(target=active, args=(d,)) for d in devices]
    idlers = [threading.Thread(target=idle, args=(t,)) for t in idle_tokens]
    for thread in threads + idlers:
        thread.start()
    deadline[0] = time.monotonic() + RUN_LIMIT
    start.wait(timeout=60)
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    stop.set()
    for thread in idlers:
        thread.join()
    return run


# ---------------------------------------------------------------- the checks


#: Tables whose size per row the city's estimate needs (docs/SCALE.md).
SIZED_TABLES = ("cards", "commands", "changes", "branch_interest", "conflicts")


def _sizes(central: Any) -> dict[str, tuple[int, int]]:
    """(rows, bytes with indexes and TOAST) per table, after VACUUM ANALYZE (PostgreSQL)."""
    from sqlalchemy import text

    db = central.database()
    sizes = {}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in SIZED_TABLES:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
            rows = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            size = conn.execute(text(f"SELECT pg_total_relation_size('{table}')")).scalar_one()
            sizes[table] = (int(rows), int(size))
    return sizes


def _replay(central: Any, devices: list[_Device], run: _Run, signer: Any) -> dict[str, int]:
    """Replay every command serially through the central's own decision path and compare."""
    import orjson
    from sqlalchemy import func, select

    from branch_app.domain.vocabulary import Place, Role
    from central import models
    from central.auth import DeviceIdentity, add_staff, password_hasher, register_signing_key
    from central.db import Database
    from central.service import CentralService
    from central.settings import CentralSettings
    from sync.protocol import PushCommand

    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for device in devices:
        for body in device.bodies:
            for command in orjson.loads(body)["commands"]:
                by_key[device.device_id, command["id"]] = command
    source = central.database()
    with source.read() as conn:
        rows = conn.execute(
            select(
                models.commands.c.device,
                models.commands.c.id,
                models.commands.c.holder_id,
                models.commands.c.version_at_receipt,
                models.commands.c.outcome,
            )
        ).all()
        finals = dict(conn.execute(select(models.cards.c.holder_id, models.cards.c.record)).all())
        head = conn.execute(select(models.feed_head.c.cursor)).scalar_one()
        feed = conn.execute(
            select(
                func.count(), func.min(models.changes.c.cursor), func.max(models.changes.c.cursor)
            )
        ).one()
    per_card: dict[str, list[tuple[int, bool, str, str]]] = defaultdict(list)
    for row in rows:
        version = -1 if row.version_at_receipt is None else int(row.version_at_receipt)
        per_card[row.holder_id].append((version, row.outcome == "applied", row.device, row.id))

    identities = {d.device_id: d for d in devices}
    mismatches = 0
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as folder:
        db = Database(f"sqlite:///{folder}/replay.db")
        db.create_schema()
        cheap = CentralSettings(password_time_cost=1, password_memory_kib=8192)
        now = dt.datetime.now(dt.UTC)
        with db.write() as conn:
            for device in devices:
                add_staff(
                    conn,
                    password_hasher(cheap),
                    staff_id=device.actor,
                    name="bench",
                    role=Role.TELLER,
                    branch=device.branch,
                    password="bench-password-1",
                )
                if signer is not None:
                    key = signer.key(device.actor, device.device_id)
                    register_signing_key(
                        conn,
                        db,
                        staff_id=device.actor,
                        device_id=device.device_id,
                        public_key=key.public,
                        now=now,
                        days=30,
                    )
        service = CentralService(db, db.audit_key())
        for i in range(SHARED_CARDS):
            service.put_record(_shared_holder(i)[1])
        for commands in per_card.values():
            commands.sort()  # decided on version v: every refusal at v, then the one applied
            runs: list[tuple[str, list[str]]] = []
            for _version, _applied, device_id, command_id in commands:
                if runs and runs[-1][0] == device_id:
                    runs[-1][1].append(command_id)
                else:
                    runs.append((device_id, [command_id]))
            for device_id, ids in runs:
                device = identities[device_id]
                origin = DeviceIdentity(device_id, "bench", device.branch, Place.INSTANT_BRANCH)
                batch = [PushCommand.model_validate(by_key[device_id, i]) for i in ids]
                for command, result in zip(batch, service.push(origin, batch), strict=True):
                    fleet = run.answers[device_id, command.id]
                    same = (
                        result.outcome.value == fleet["outcome"]
                        and result.version == fleet.get("version")
                        and result.reason == fleet.get("reason")
                        and (result.outcome.value != "applied" or result.record == fleet["record"])
                    )
                    mismatches += not same
        with db.read() as conn:
            replayed = dict(
                conn.execute(select(models.cards.c.holder_id, models.cards.c.record)).all()
            )
        db.dispose()
    final_mismatches = sum(
        orjson.loads(finals[h]) != orjson.loads(replayed.get(h, "null")) for h in finals
    )
    backwards = sum(
        any(b <= a for a, b in itertools.pairwise(versions))
        for device in devices
        for versions in device.pulled.values()
    )
    return {
        "commands stored": len(rows),
        "replay mismatches (outcome, version, reason, applied record)": mismatches,
        "cards whose final record differs from the replay's": final_mismatches,
        "cards": len(finals),
        "feed rows": int(feed[0]),
        "feed gaps": int(head) - int(feed[0]) if feed[0] else 0,
        "feed head": int(head),
        "pulled versions not strictly increasing (device, card)": backwards,
    }


# ---------------------------------------------------------------- the feed head


def _head_hold(url: str, size: int) -> tuple[float, float]:
    """How long a batch of `size` commands holds the feed head (its `UPDATE ... RETURNING` to the
    end of the commit: the changes' insert and the commit's WAL flush), in-process, one pusher:
    (median ms held, median ms of the whole push)."""
    from sqlalchemy import Connection
    from sqlalchemy.engine.base import RootTransaction

    import central.service as service_module
    from branch_app.domain.lifecycle import command_to_dict
    from branch_app.domain.vocabulary import Place, Role
    from central.auth import DeviceIdentity, add_staff, password_hasher
    from central.db import Database
    from central.service import CentralService
    from central.settings import CentralSettings
    from sync.protocol import PushCommand
    from tests.sync.helpers import holder_id, lifecycle_commands, next_serial

    db = Database(url, pool_size=2)
    db.create_schema()
    cheap = CentralSettings(password_time_cost=1, password_memory_kib=8192)
    with db.write() as conn:
        add_staff(
            conn,
            password_hasher(cheap),
            staff_id="H001",
            name="bench",
            role=Role.TELLER,
            branch="GZ-HEAD",
            password="bench-password-1",
        )
    signer = _signer(db)
    service = CentralService(db, db.audit_key())
    origin = DeviceIdentity("head-device", "bench", "GZ-HEAD", Place.INSTANT_BRANCH)
    taken: list[float] = []
    held: list[float] = []
    pushes: list[float] = []
    statement = service_module._ADVANCE_CURSOR
    original_execute = Connection.execute

    def execute(self: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
        if sql is statement:
            taken.append(time.perf_counter())
        return original_execute(self, sql, *args, **kwargs)

    original_commit = RootTransaction.commit

    def commit(self: Any) -> None:
        original_commit(self)
        if taken:
            held.append(time.perf_counter() - taken.pop())

    connection_class = Connection
    connection_class.execute = execute  # type: ignore[method-assign,assignment]
    RootTransaction.commit = commit  # type: ignore[method-assign]
    try:
        for _ in range(40):
            lives = [(n, lifecycle_commands(n)) for n in (next_serial() for _ in range(size))]
            commands = []
            for k, (n, life) in enumerate(lives):
                body = {
                    "id": uuid.uuid4().hex,
                    "kind": life[0].kind,
                    "holder_id": holder_id(n),
                    "base_version": 0,
                    "payload": command_to_dict(life[0]),
                    "actor": "H001",
                    "device": "head-device",
                    "branch": "GZ-HEAD",
                    "made_at": dt.datetime.now(dt.UTC).isoformat(),
                    "seq": k + 1,
                }
                if signer is not None:
                    body = signer.sign_body(body)
                commands.append(PushCommand.model_validate(body))
            began = time.perf_counter()
            results = service.push(origin, commands)
            pushes.append(time.perf_counter() - began)
            assert all(r.outcome.value == "applied" for r in results), results[0]
    finally:
        connection_class.execute = original_execute  # type: ignore[method-assign]
        RootTransaction.commit = original_commit  # type: ignore[method-assign]
        db.dispose()
    return statistics.median(held[5:]) * 1000, statistics.median(pushes[5:]) * 1000


# ---------------------------------------------------------------- the run


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


SIZES: dict[str, tuple[int, int]] = {}


def _one(cluster: _DurableCluster, workers: int, folder: Path) -> tuple[_Run, dict[str, int]]:
    from tests.central.test_central_workers import WorkersCentral
    from tests.sync.helpers import next_serial

    url = cluster.new_database()
    workdir = folder / f"workers-{workers}"
    workdir.mkdir()
    with WorkersCentral(url, workdir, workers=workers) as central:
        central.start()
        db = central.database()
        signer = _signer(db)
        from central.service import CentralService

        seeding = CentralService(db, db.audit_key())
        for i in range(SHARED_CARDS):
            seeding.put_record(_shared_holder(i)[1])
        serial = iter(next_serial, None)
        devices = _build(central, signer, serial)
        idle_tokens = [
            central.enrol_device(branch=f"GZ-FLEET-{i % BRANCHES:03d}").device_token
            for i in range(IDLE_DEVICES)
        ]
        run = _drive(central.url, devices, idle_tokens)
        checks = _replay(central, devices, run, signer)
        SIZES.update(_sizes(central))
        expected = ACTIVE_DEVICES * ROUNDS * BATCH
        checks["commands sent"] = expected if not run.stopped_early else run.commands
        checks["commands answered"] = len(run.answers)
        checks["answered twice"] = run.doubled
        checks["5xx answers"] = sum(n for s, n in run.statuses.items() if s >= 500)
        checks["other non-200 answers"] = sum(
            n for s, n in run.statuses.items() if s != 200 and s < 500
        )
    return run, checks


def run() -> str:
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results: dict[int, tuple[_Run, dict[str, int]]] = {}
    cluster = _DurableCluster()
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as folder:
        try:
            cluster.start()
            for workers in WORKER_COUNTS:
                results[workers] = _one(cluster, workers, Path(folder))
            holds = {size: _head_hold(cluster.new_database(), size) for size in (1, BATCH)}
        finally:
            with contextlib.suppress(Exception):
                cluster.stop()
    return _report(results, holds, load)


def _report(
    results: dict[int, tuple[_Run, dict[str, int]]],
    holds: dict[int, tuple[float, float]],
    load: float,
) -> str:
    import os

    one = results[WORKER_COUNTS[0]][0]
    base_rate = one.commands / one.seconds
    lines = [
        f"{ACTIVE_DEVICES} active devices ({BRANCHES} instant-issuance branches, one teller "
        f"each) push {ROUNDS} batches of {BATCH} commands ({OWN} of their own card lives, "
        f"{BATCH - OWN} racing on {SHARED_CARDS} shared cards) and pull after each push; "
        f"{IDLE_DEVICES} idle devices pull every {IDLE_PULL_EVERY * 1000:.0f} ms meanwhile. "
        f"PostgreSQL with `fsync` and `synchronous_commit` on, loopback, the clients in one "
        f"process on the same machine (they share its cores with the server and the database). "
        f"Load average when it started: {load:.1f} on {os.cpu_count()} cores.",
        "",
        "| workers | commands | seconds | commands/s | vs 1 worker | pulls/s | push p50 / p99 ms "
        "| pull p50 / p99 ms | idle pull p50 / p99 ms | outcomes |",
        "|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for workers, (r, _checks) in results.items():
        rate = r.commands / r.seconds
        outcomes = Counter(a["outcome"] for a in r.answers.values())
        lines.append(
            f"| {workers} | {r.commands:,} | {r.seconds:.1f} | {rate:,.0f} | "
            f"{rate / base_rate:.2f}x | {(len(r.pull_ms) + len(r.idle_pull_ms)) / r.seconds:,.0f} | "
            f"{_pct(r.push_ms, 0.5):.0f} / {_pct(r.push_ms, 0.99):.0f} | "
            f"{_pct(r.pull_ms, 0.5):.1f} / {_pct(r.pull_ms, 0.99):.1f} | "
            f"{_pct(r.idle_pull_ms, 0.5):.1f} / {_pct(r.idle_pull_ms, 0.99):.1f} | "
            f"{', '.join(f'{k} {v:,}' for k, v in sorted(outcomes.items()))} |"
        )
    lines += ["", "Checks after each run (every one must be 0 where it says so):", ""]
    names = list(next(iter(results.values()))[1])
    lines += [
        "| check | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for name in names:
        lines.append(
            f"| {name} | " + " | ".join(f"{c[name]:,}" for _r, c in results.values()) + " |"
        )
    ok = all(
        c["replay mismatches (outcome, version, reason, applied record)"] == 0
        and c["cards whose final record differs from the replay's"] == 0
        and c["feed gaps"] == 0
        and c["answered twice"] == 0
        and c["5xx answers"] == 0
        and c["commands answered"] == c["commands sent"]
        and c["pulled versions not strictly increasing (device, card)"] == 0
        for _r, c in results.values()
    )
    lines += [
        "",
        f"Every command answered once, no 5xx, no feed gap, pulls in order, and the serial "
        f"replay matched every outcome and record: **{'yes' if ok else 'NO'}**.",
        "",
        "Bytes per row on PostgreSQL after the last run (table, indexes and TOAST, after "
        "`VACUUM ANALYZE`; docs/SCALE.md multiplies these): "
        + "; ".join(
            f"`{t}` {size / rows:,.0f} B ({rows:,} rows)"
            for t, (rows, size) in SIZES.items()
            if rows
        )
        + ".",
        "",
        "The feed head (the one row every write transaction that changes a card ends on), "
        "measured in-process on the same PostgreSQL, one pusher, new cards: the time a batch "
        "holds the row, from its `UPDATE ... RETURNING` to the end of its commit (the "
        "changes' insert and the WAL flush), against the whole push:",
        "",
        "| batch | head held p50 ms | push p50 ms | share | the head's cap: batches/s "
        "| commands/s |",
        "|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {size} | {hold:.2f} | {push:.2f} | {hold / push:.0%} | {1000 / hold:,.0f} "
            f"| {1000 / hold * size:,.0f} |"
            for size, (hold, push) in holds.items()
        ],
        "",
        f"Transactions that change cards pass the head one at a time, whatever the number of "
        f"workers or cores: the cap is 1 / (time held). The fleet above ran batches of {BATCH} "
        f"and reached "
        + ", ".join(
            f"{r.commands / r.seconds / (1000 / holds[BATCH][0] * BATCH):.0%} of that cap with "
            f"{w} worker{'s' if w > 1 else ''}"
            for w, (r, _c) in results.items()
        )
        + ".",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
