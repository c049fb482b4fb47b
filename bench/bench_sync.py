"""The sync's own limits: 20,000 queued commands through the engine to the central on loopback
(SQLite), and one request's round trip.

Three goals (issue 15), each against a baseline measured in the same run on the same machine:

- the engine within 0.95 of raw pushes of the very same batches (raw httpx POSTs to
  `/v1/commands/push` of a fresh central, no outbox): what the device's outbox, card cache and
  engine cost (the engine is built as the application builds it, every applied answer's record
  kept in the card cache);
- the central's push within 2x of its floor: the no-op's HTTP and parsing (`/v1/noop`
  authenticates and parses a push body, then does nothing) plus the bare durable writes of the
  same rows (replayed with sqlite3, no decisions, no SQLAlchemy) plus the bare verification of the
  same signatures (issue 10: every command carries its maker's Ed25519 signature, and its
  approver's when it names one, which the central must verify; timed as bare `verify` calls with
  the same keys, made once). The floor without the verifies is printed beside it;
- one accepted request applied at the central (queued in the outbox, sent by the engine, the
  answer recorded) within 1.5x of one raw push's round trip: the latency a teller feels.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

TITLE = "Sync: the engine, the central's push and one request's latency (loopback, SQLite)"

COMMANDS = 20_000
#: The commands go in rounds, the engine and the baselines in turn in each (a round's figures
#: move by ±5% with the machine's other work, even between two raw pushes: ten rounds).
ROUNDS = 10
BATCH = 500  # the protocol's largest batch (`MAX_BATCH_COMMANDS`)
#: Commands of the round each way that is not counted (before the timed rounds).
WARM_UP = 1_000
#: Engine rate / raw pushes of the same batches.
GOAL_ENGINE = 0.95
#: The central's push / (the no-op + the bare durable writes), per command.
GOAL_CENTRAL = 2.0
#: One request queued, sent and recorded by the engine / one raw push's round trip.
GOAL_LATENCY = 1.5
#: Single requests timed for the latency (each way), after a few to warm up.
LATENCY_ROUNDS = 40


def _fill(device, commands: int) -> None:
    """Queue realistic card lives (apply, issue, collect, lose, find, lose) over many cards."""
    from tests.sync.helpers import fill_with_lives, holder_id, lifecycle_commands, next_serial

    outbox = device.store.outbox
    # Setup only: group the enqueues into a few durable writes instead of one per command.
    storage = outbox._storage
    cards, rest = divmod(commands, 6)
    for start in range(0, cards, 250):
        with storage.transaction():
            fill_with_lives(device, min(250, cards - start))
    n = next_serial()
    with storage.transaction():
        for command in lifecycle_commands(n)[:rest]:
            device.enqueue(holder_id(n), command)


def _queued_batches(device) -> list[list[dict]]:
    """The batches the engine will send, in the same order, as JSON (for the baselines)."""
    from sync.engine import wire_command

    outbox = device.store.outbox
    items = outbox.sendable(outbox.counts()["pending"])
    return [
        [wire_command(item).model_dump(mode="json") for item in items[i : i + BATCH]]
        for i in range(0, len(items), BATCH)
    ]


class _Timed:
    """Wraps an object and adds up the seconds spent in the named methods."""

    def __init__(self, inner, names: tuple[str, ...]) -> None:
        self._inner = inner
        self.seconds = 0.0  # on the engine's own thread
        self.background_seconds = 0.0  # on the engine's recording thread (overlaps requests)
        self._engine_thread = threading.get_ident()
        for name in names:
            setattr(self, name, self._timed(getattr(inner, name)))

    def _timed(self, method):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                if threading.get_ident() == self._engine_thread:
                    self.seconds += spent
                else:
                    self.background_seconds += spent

        return call

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def _raw_baseline(central, device, batches: list[list[dict]]) -> float:
    import httpx
    import orjson

    started = time.perf_counter()
    with httpx.Client(
        base_url=central.url,
        headers={"Authorization": f"Bearer {device.token}", "Content-Type": "application/json"},
        timeout=httpx.Timeout(30.0),
    ) as http:
        for batch in batches:
            answer = http.post("/v1/noop", content=orjson.dumps({"commands": batch}))
            answer.raise_for_status()
    return time.perf_counter() - started


def _raw_push(other, enrolled, batches: list[list[dict]]) -> tuple[float, list[dict], dict]:
    """The same batches POSTed with raw httpx to `/v1/commands/push` of a second central (so
    every command is applied there, not a duplicate), from its own device; no outbox at all.
    Also the signed commands and the public keys (by key id) that signed them."""
    import httpx
    import orjson

    from sync.protocol import key_id_of
    from tests.signing_keys import Keys

    # The same commands, from that central's device (the central checks who sends them), each
    # signed by its maker as the device signs it when it queues it (before the clock starts).
    keys = Keys(other.database())
    mine = [
        [
            keys.sign_body({**c, "device": enrolled.device_id, "branch": enrolled.branch})
            for c in batch
        ]
        for batch in batches
    ]
    gc.collect()
    started = time.perf_counter()
    with httpx.Client(
        base_url=other.url,
        headers={
            "Authorization": f"Bearer {enrolled.device_token}",
            "Content-Type": "application/json",
        },
        timeout=httpx.Timeout(60.0),
    ) as http:
        for batch in mine:
            answer = http.post("/v1/commands/push", content=orjson.dumps({"commands": batch}))
            answer.raise_for_status()
            results = orjson.loads(answer.content)["results"]
            assert all(r["outcome"] == "applied" for r in results), "not a fresh central"
    seconds = time.perf_counter() - started
    public = {key_id_of(key.public): key.public for key in keys._keys.values()}
    return seconds, [c for batch in mine for c in batch], public


def _verify_floor(signed: list[dict], public: dict[str, str]) -> float:
    """Seconds the bare Ed25519 verification of every signature of `signed` takes: the maker's
    of each command and the approver's where there is one, with the same keys (each key's
    object made once, outside the clock) over the same signed bytes (made outside the clock):
    nothing but `cryptography`'s `verify`, the work the protocol demands of any central."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from sync.protocol import APPROVER, MAKER, PushCommand, signing_bytes

    keys = {
        key_id: Ed25519PublicKey.from_public_bytes(_unb64url(text))
        for key_id, text in public.items()
    }
    checks = []
    for body in signed:
        command = PushCommand.model_validate(body)
        for role, signature in ((MAKER, command.signature), (APPROVER, command.approver_signature)):
            if signature:
                key_id, text = signature.split(".", 1)
                checks.append((keys[key_id], _unb64url(text), signing_bytes(command, role)))
    started = time.perf_counter()
    for key, signature, message in checks:
        key.verify(signature, message)
    return time.perf_counter() - started


def _unb64url(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scratch_central(path: Path, *, actor: str, device: str, branch: str):
    """An in-process central on a new SQLite file with one teller, and the device pushing to it
    (at an instant-issuance branch, as `open_device`: the card lives issue cards)."""
    from branch_app.domain.vocabulary import Place, Role
    from central.auth import DeviceIdentity, add_staff, password_hasher
    from central.db import Database
    from central.service import CentralService
    from central.settings import CentralSettings

    db = Database(f"sqlite:///{path}")
    db.create_schema()
    cheap = CentralSettings(password_time_cost=1, password_memory_kib=8192)
    with db.write() as conn:
        add_staff(
            conn,
            password_hasher(cheap),
            staff_id=actor,
            name="bench",
            role=Role.TELLER,
            branch=branch,
            password="bench-password-1",
        )
    identity = DeviceIdentity(device, "bench", branch, Place.INSTANT_BRANCH)
    return db, CentralService(db, db.audit_key()), identity


def _write_floor(batches: list[list[dict]]) -> float:
    """Seconds the central's own database writes for `batches` take with nothing else at all.

    The batches are first applied in-process by the central's own code (on a scratch database),
    which records every bulk write it makes (`_HotStatements.run`: commands, cardholders, cards,
    follows, change feed); then the very same statements and rows are replayed batch by batch
    on a fresh database with the same schema through bare sqlite3 (WAL, `synchronous=FULL`, one
    commit per batch, no checkpoints): no HTTP, no parsing, no decisions, no reads, no
    SQLAlchemy. A lower bound on what any durable push of these batches costs on this disk.
    """
    import sqlite3

    import orjson

    import central.service as service_module
    from central.db import Database
    from sync.protocol import PushRequest

    first = batches[0][0]
    writes: list[list[tuple[str, list]]] = []
    hot = service_module._HotStatements
    stored = vars(hot)["run"]
    run_for_real = stored.__func__

    def recording(conn, sql: str, rows: list) -> None:
        if rows:
            writes[-1].append((sql, list(rows)))
        run_for_real(conn, sql, rows)

    with tempfile.TemporaryDirectory(prefix="bench-floor-") as folder:
        db, service, device = _scratch_central(
            Path(folder) / "decided.db",
            actor=first["actor"],
            device=first["device"],
            branch=first["branch"],
        )
        from tests.signing_keys import Keys

        keys = Keys(db)  # each command signed by its maker, as a device queues it
        signed = [[keys.sign_body(command) for command in batch] for batch in batches]
        hot.run = staticmethod(recording)
        try:
            for batch in signed:
                writes.append([])
                request = PushRequest.model_validate_json(orjson.dumps({"commands": batch}))
                results = service.push(device, list(request.commands))
                assert all(r.outcome == "applied" for r in results), "not a fresh central"
        finally:
            hot.run = stored
        db.dispose()

        replay = Database(f"sqlite:///{folder}/floor.db")
        replay.create_schema()
        replay.dispose()
        raw = sqlite3.connect(f"{folder}/floor.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            raw.execute(f"PRAGMA {pragma}")
        raw.execute("PRAGMA wal_autocheckpoint=0")
        started = time.perf_counter()
        for batch_writes in writes:
            raw.execute("BEGIN IMMEDIATE")
            for sql, rows in batch_writes:
                raw.executemany(sql, rows)
            raw.execute("COMMIT")
        seconds = time.perf_counter() - started
        raw.close()
    return seconds


class _Stopwatch:
    """Adds up wall-clock seconds spent in named functions, replaced on their modules or classes
    for the time of a `with` block (cheap enough not to distort the figures, unlike cProfile)."""

    def __init__(self, targets: list[tuple[object, str, str]]) -> None:
        self.seconds: dict[str, float] = {label: 0.0 for _, _, label in targets}
        self._targets = targets
        self._saved: list[tuple[object, str, object]] = []

    def __enter__(self) -> _Stopwatch:
        import inspect

        for owner, name, label in self._targets:
            # As stored: a staticmethod stays one; an inherited method is deleted again after.
            self._saved.append((owner, name, vars(owner).get(name)))
            wrapped = self._wrap(getattr(owner, name), label)
            static = isinstance(inspect.getattr_static(owner, name), staticmethod)
            setattr(owner, name, staticmethod(wrapped) if static else wrapped)
        return self

    def __exit__(self, *_exc: object) -> None:
        for owner, name, stored in reversed(self._saved):
            if stored is None:
                delattr(owner, name)
            else:
                setattr(owner, name, stored)
        self._saved.clear()

    def _wrap(self, function, label: str):
        seconds = self.seconds

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - started

        return timed


def _central_breakdown(batches: int = 6) -> list[str]:
    """Where the central's time goes: the bench's own mix (six-step lives of 250 cards at a
    time, interleaved), applied in-process on SQLite without HTTP, timed part by part."""
    import uuid

    import orjson

    import branch_app.domain.admission as admission_module
    import central.service as service_module
    from branch_app.domain.lifecycle import command_to_dict
    from central.service import CentralService
    from sync.protocol import PushRequest
    from tests.sync.helpers import holder_id, lifecycle_commands, next_serial

    commands: list[dict] = []
    while len(commands) < batches * BATCH:
        lives = [(n, lifecycle_commands(n)) for n in (next_serial() for _ in range(250))]
        for step in range(6):
            for n, life in lives:
                command = life[step]
                commands.append(
                    {
                        "id": uuid.uuid4().hex,
                        "kind": command.kind,
                        "holder_id": holder_id(n),
                        "base_version": 0,
                        "payload": command_to_dict(command),
                        "actor": "T1",
                        "device": "dev-1",
                        "branch": "B1",
                        "made_at": "2026-11-28T09:00:00.000Z",
                        "seq": len(commands) + 1,
                    }
                )
    cls = CentralService
    watch = _Stopwatch(
        [
            (service_module, "command_from_dict", "domain: command_from_dict"),
            (service_module, "admit", "domain: admission.admit (every rule, the lifecycle)"),
            (admission_module, "decide", "of which lifecycle.decide"),
            (service_module, "record_to_dict", "domain: record_to_dict"),
            (cls, "_decide", "_decide (checks, signatures, domain, the answer)"),
            (
                service_module,
                "_signed_by",
                "of which the signatures (key row, signed bytes, verify)",
            ),
            (service_module._PublicKeys, "verifies", "of which Ed25519 verify (keys made once)"),
            (cls, "_lock_cards", "_lock_cards (read and lock the cards, new cards)"),
            (cls, "_store_records", "_store_records (card rows, change feed)"),
            (service_module, "_body_hash", "body hash"),
            (service_module._HotStatements, "run", "driver executemany (all bulk writes)"),
        ]
    )
    parse = push = commit = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-central-") as folder:
        db, service, device = _scratch_central(
            Path(folder) / "central.db", actor="T1", device="dev-1", branch="B1"
        )
        from sqlalchemy.engine.base import RootTransaction

        from tests.signing_keys import Keys

        keys = Keys(db)  # each command signed by its maker, as a device queues it
        signed = [keys.sign_body(command) for command in commands]
        bodies = [
            orjson.dumps({"commands": signed[i : i + BATCH]})
            for i in range(0, batches * BATCH, BATCH)
        ]

        commit_watch = _Stopwatch([(RootTransaction, "commit", "commit")])
        with watch, commit_watch:
            for body in bodies:
                started = time.perf_counter()
                request = PushRequest.model_validate_json(body)
                parsed = time.perf_counter()
                service.push_response(device, list(request.commands))  # as `/v1/commands/push`
                parse += parsed - started
                push += time.perf_counter() - parsed
        commit = commit_watch.seconds["commit"]
        db.dispose()
    n = batches * BATCH
    per = 1e6 / n
    domain = sum(v for k, v in watch.seconds.items() if k.startswith("domain:"))
    rows = [
        ("parsing and validating the body (the no-op does this too)", parse),
        ("`CentralService.push_response`, all of it (the answers' JSON included)", push),
        *[(f"· {label}", seconds) for label, seconds in watch.seconds.items()],
        ("· commit (one per batch, WAL fsynced: `synchronous=FULL`)", commit),
    ]
    lines = [
        f"Where the central's time goes: {n:,} commands of the same mix applied in-process "
        f"(SQLite, no HTTP), timed part by part (µs per command; the · rows are parts of "
        f"the push; the domain rows are called from `_decide`, and `record_to_dict` also when a "
        f"new card is made).",
        "",
        "| part | µs per command |",
        "|---|---:|",
        *[f"| {label} | {seconds * per:.0f} |" for label, seconds in rows],
        "",
        f"The domain lifecycle alone (`branch_app.domain`, called as it must be for every "
        f"command) takes {domain * per:.0f} µs per command, "
        f"{domain / push:.0%} of the push; parsing a body takes {parse * per:.0f}.",
    ]
    return lines


def _latency(central, device) -> tuple[list[float], list[float], list[float]]:
    """Seconds for one request, LATENCY_ROUNDS times each way, alternating: (queued in the outbox
    until the central's answer (applied) reaches the engine; until the engine's run returns with
    the answer recorded in the outbox; one raw push of one such command).
    Each is a new person's first application (applied), so every round does the same work."""
    import httpx
    import orjson

    from branch_app.domain.vocabulary import Outcome
    from sync.engine import outbox_result, wire_command
    from sync.protocol import PushResult
    from tests.sync.helpers import holder_id, lifecycle_commands, next_serial

    engine = device.engine(central.url, batch_size=BATCH, read_timeout=60.0)
    answered_at: list[float] = []
    push = engine.central.push

    def timed_push(commands, **how):
        answers = push(commands, **how)
        answered_at.append(time.perf_counter())
        return answers

    engine.central.push = timed_push  # the moment the central's answer reaches the device
    engine_times: list[float] = []
    recorded_times: list[float] = []
    raw_times: list[float] = []
    with httpx.Client(
        base_url=central.url,
        headers={"Authorization": f"Bearer {device.token}", "Content-Type": "application/json"},
        timeout=httpx.Timeout(30.0),
    ) as http:
        for round_number in range(LATENCY_ROUNDS + 5):
            n = next_serial()
            device.enqueue(holder_id(n), lifecycle_commands(n)[0])
            answered_at.clear()
            started = time.perf_counter()
            summary = engine.run(pull=False)
            recorded = time.perf_counter() - started
            spent = answered_at[0] - started
            assert summary.ok and summary.outcomes[Outcome.APPLIED] == 1, summary
            # The raw push: the same kind of command, queued the same way, sent by hand.
            n = next_serial()
            item_id = device.enqueue(holder_id(n), lifecycle_commands(n)[0])
            item = device.store.outbox.get(item_id)
            body = orjson.dumps({"commands": [wire_command(item).model_dump(mode="json")]})
            began = time.perf_counter()
            answer = http.post("/v1/commands/push", content=body)
            raw = time.perf_counter() - began
            answer.raise_for_status()
            assert orjson.loads(answer.content)["results"][0]["outcome"] == "applied"
            device.store.outbox.record_results(
                [outbox_result(PushResult(id=item_id, outcome=Outcome.APPLIED, version=1))]
            )
            if round_number >= 5:  # the first rounds warm connections and caches
                engine_times.append(spent)
                recorded_times.append(recorded)
                raw_times.append(raw)
    return engine_times, recorded_times, raw_times


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * len(values))]


def run(profile: bool = False) -> str:
    import os
    import statistics

    import orjson

    from branch_app.store.crypto import MemoryKeyring
    from central.dev.server import start_central
    from tests.sync.helpers import open_device

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    outcomes: Counter = Counter()
    retries = 0
    raw_seconds = push_seconds = engine_seconds = verify_seconds = 0.0
    # Kept as JSON bytes for the floors computed after the runs: the bench's own 20,000 command
    # dicts would otherwise sit in the collector's heap and make every collection the engine's
    # allocations trigger dearer than on a device.
    kept_batches: list[bytes] = []
    round_ratios: list[float] = []  # the engine against the raw pushes, round by round
    with (
        tempfile.TemporaryDirectory(prefix="bench-sync-") as folder,
        start_central() as central,
        start_central() as second,
    ):
        central.add_staff("T100", "bench-password-1", role="teller")
        device = open_device(central, Path(folder) / "store", "T100", MemoryKeyring())
        second.add_staff("T100", "bench-password-1", role="teller")
        enrolled = second.enrol_device(place="instant_branch")  # as `open_device`
        try:
            import sync.engine as engine_module
            from sync.engine import SyncEngine

            # The engine as the application builds it (`SyncService.engine`): the outbox, the
            # client, and the card cache that every applied answer's record goes to.
            built = device.engine(central.url, batch_size=BATCH, read_timeout=60.0)
            outbox = _Timed(
                device.store.outbox, ("sendable", "mark_sending", "record_results", "counts")
            )
            client = _Timed(built.central, ("push",))
            cache = _Timed(built.pull_target, ("apply_changes",))
            engine = SyncEngine(outbox, client, cache, batch_size=BATCH, retry=built.retry)
            # What the engine's thread waits for besides the central: the recording thread (the
            # previous batch's answers; at the end of a run, the last batch's) and the batch
            # prepared in the background.
            waits = _Stopwatch(
                [
                    (engine_module._Recorder, "wait", "recording"),
                    (SyncEngine, "_take_prefetched", "prepared"),
                ]
            )
            profiler = cProfile.Profile() if profile else None
            # A round each way first, not counted: the first requests of each (connections,
            # the centrals' first pushes from these devices, code loaded on first use).
            _fill(device, WARM_UP)
            warm_batches = _queued_batches(device)
            _raw_baseline(central, device, warm_batches)
            assert built.run(pull=False).ok
            _raw_push(second, enrolled, warm_batches)
            # In rounds, each way in turn, so that the machine's other work falls on both alike.
            for _round in range(ROUNDS):
                _fill(device, COMMANDS // ROUNDS)
                queued = device.store.outbox.counts()["pending"]
                these = _queued_batches(device)
                kept_batches.append(orjson.dumps(these))
                # Each timed part starts from a collected heap, so that a collection left due
                # by the part before does not fall on the next one.
                gc.collect()
                raw_seconds += _raw_baseline(central, device, these)
                gc.collect()
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                with waits:
                    summary = engine.run(pull=False)
                if profiler:
                    profiler.disable()
                engine_round = time.perf_counter() - started
                engine_seconds += engine_round
                assert summary.ok and summary.answered == queued, summary
                outcomes.update(summary.outcomes)
                retries += summary.retries
                seconds, signed, public = _raw_push(second, enrolled, these)  # collects too
                push_seconds += seconds
                round_ratios.append(seconds / engine_round)
                verify_seconds += _verify_floor(signed, public)
            engine_times, recorded_times, raw_times = _latency(central, device)
        finally:
            device.store.close()

    batches = [batch for kept in kept_batches for batch in orjson.loads(kept)]
    queued = sum(len(b) for b in batches)
    floor_seconds = _write_floor(batches)
    waited_recording = waits.seconds["recording"]
    waited_prepared = waits.seconds["prepared"]
    other = engine_seconds - client.seconds - outbox.seconds - waited_recording - waited_prepared
    push_rate = queued / push_seconds
    engine_rate = queued / engine_seconds
    engine_ratio = engine_rate / push_rate
    old_floor = raw_seconds + floor_seconds
    floor = old_floor + verify_seconds
    central_ratio = push_seconds / floor
    old_ratio = push_seconds / old_floor
    one_engine = statistics.median(engine_times)
    one_raw = statistics.median(raw_times)
    latency_ratio = one_engine / one_raw
    per = 1e6 / queued

    def verdict(met: bool) -> str:
        return "met" if met else "missed"

    lines = [
        f"{queued:,} commands (six-step card lives), batches of {BATCH}. "
        f"Load average when it started: {load:.1f} on {os.cpu_count()} cores (other work on the "
        f"machine moves the absolute figures; each ratio compares figures of the same run).",
        "",
        "| goal | measured | baseline (same run) | ratio | goal | |",
        "|---|---:|---:|---:|---:|---|",
        f"| the engine against raw pushes of the same batches | {engine_rate:,.0f} commands/s "
        f"| {push_rate:,.0f} commands/s | **{engine_ratio:.2f}** | ≥ {GOAL_ENGINE} "
        f"| **{verdict(engine_ratio >= GOAL_ENGINE)}** |",
        f"| the central's push against its floor (no-op + bare durable writes + bare signature "
        f"verifies) | {push_seconds * per:.0f} µs/command | {floor * per:.0f} µs/command "
        f"({raw_seconds * per:.0f} + {floor_seconds * per:.0f} + {verify_seconds * per:.0f}) "
        f"| **{central_ratio:.2f}x** | ≤ {GOAL_CENTRAL}x "
        f"| **{verdict(central_ratio <= GOAL_CENTRAL)}** |",
        f"| (the same against the floor before signatures: no-op + bare durable writes) "
        f"| {push_seconds * per:.0f} µs/command | {old_floor * per:.0f} µs/command "
        f"({raw_seconds * per:.0f} + {floor_seconds * per:.0f}) | {old_ratio:.2f}x "
        f"| ({GOAL_CENTRAL}x) | {verdict(old_ratio <= GOAL_CENTRAL)} |",
        f"| one request queued, sent by the engine and applied at the central (its answer back "
        f"on the device), against one raw push "
        f"| {one_engine * 1000:.1f} ms | {one_raw * 1000:.1f} ms | **{latency_ratio:.2f}x** "
        f"| ≤ {GOAL_LATENCY}x | **{verdict(latency_ratio <= GOAL_LATENCY)}** |",
        "",
        "| path | seconds | commands/s |",
        "|---|---:|---:|",
        f"| raw httpx POST to `/v1/noop` (HTTP and parsing only) | {raw_seconds:.2f} "
        f"| {queued / raw_seconds:,.0f} |",
        f"| raw httpx POST to `/v1/commands/push` of a fresh central (no outbox) "
        f"| {push_seconds:.2f} | {push_rate:,.0f} |",
        f"| sync engine to `/v1/commands/push` | {engine_seconds:.2f} | {engine_rate:,.0f} |",
        f"| the central's writes replayed with bare sqlite3 (WAL, `synchronous=FULL`, one commit "
        f"per batch) | {floor_seconds:.2f} | {queued / floor_seconds:,.0f} |",
        f"| the same signatures verified with bare Ed25519 `verify` calls (same keys, objects "
        f"made once) | {verify_seconds:.2f} | {queued / verify_seconds:,.0f} |",
        "",
        f"Outcomes: { {str(k): v for k, v in outcomes.items()} }; retries: {retries}; "
        f"{ROUNDS} rounds of {COMMANDS // ROUNDS:,} commands, each: the no-op, the engine, the "
        f"raw push, in turn, after one of {WARM_UP:,} each way not counted. The engine against "
        f"the raw pushes round by round: "
        f"{' / '.join(f'{r:.2f}' for r in round_ratios)} (median "
        f"{statistics.median(round_ratios):.2f}).",
        "",
        "Where the engine's time goes (wall clock of the run):",
        "",
        "| part | seconds | share |",
        "|---|---:|---:|",
        f"| waiting for `/v1/commands/push` (HTTP + the central applying each command) "
        f"| {client.seconds:.2f} | {client.seconds / engine_seconds:.0%} |",
        f"| local outbox on the engine's thread: `sendable` (a run's first batch), `counts` "
        f"| {outbox.seconds:.2f} | {outbox.seconds / engine_seconds:.0%} |",
        f"| waiting for the recording thread (mostly a run's last batch: its answers recorded "
        f"durably before the run returns) | {waited_recording:.2f} "
        f"| {waited_recording / engine_seconds:.0%} |",
        f"| waiting for the next batch prepared in the background | {waited_prepared:.2f} "
        f"| {waited_prepared / engine_seconds:.0%} |",
        f"| engine itself (a run's first batch made a body, answers checked and counted, "
        f"threads handed their work) | {other:.2f} | {other / engine_seconds:.0%} |",
        "",
        f"On the engine's other two threads, once each request is written and while it is "
        f"answered: the outbox's `record_results` (durable writes, archiving), `mark_sending` and "
        f"`sendable` took {outbox.background_seconds:.2f} s, the card cache's `apply_changes` (the "
        f"applied answers' records, one durable write per batch) "
        f"{cache.background_seconds + cache.seconds:.2f} s.",
        "",
        f"One request, {LATENCY_ROUNDS} times each way, alternating (p50 / p90): the engine's "
        f"run until the central's answer is back (count nothing, choose the batch, check it, "
        f"mark it sending, send: the central applies and commits before it answers) "
        f"{one_engine * 1000:.1f} / {_p90(engine_times) * 1000:.1f} ms; until the run returns "
        f"with the answer recorded durably in the outbox "
        f"{statistics.median(recorded_times) * 1000:.1f} / {_p90(recorded_times) * 1000:.1f} ms "
        f"({statistics.median(recorded_times) / one_raw:.2f}x the raw push); the raw push's "
        f"round trip {one_raw * 1000:.1f} / {_p90(raw_times) * 1000:.1f} ms.",
    ]
    lines += ["", *_central_breakdown()]
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        lines += ["", "```", out.getvalue(), "```"]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.bench_sync (with a client-side profile)
    print(run(profile=True))
