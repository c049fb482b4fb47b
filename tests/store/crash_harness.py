"""The crash harness: a child process works on the store while the parent SIGKILLs it.

The child (forked, so it starts in milliseconds) enqueues commands, marks them sending, records
answers and failures, caches records and writes audit entries, in a random mix. After each
enqueue *returns* it writes `E <id>` to a pipe, and after each answer is recorded `R <id>
<status>`. The parent kills it at a random moment (after a random number of reports plus a
random few hundred microseconds), then opens the store and checks:

- the store opens: no file is damaged, every encrypted field decrypts, the audit chain holds;
- every id whose enqueue had returned is present exactly once (live file and archive together);
- every answer that had been recorded is still the item's status;
- sequence numbers are unique.

Used by tests/store/test_store_crash.py (a short run) and bench/crash_soak.py (a long one).
POSIX only (fork and SIGKILL).
"""

from __future__ import annotations

import os
import random
import select
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from branch_app.store import LocalStore, MemoryKeyring, StoreError
from branch_app.store.outbox import TABLE

HOLDER_IDS = [
    "11010519491231002X",
    "440106198001011234",
    "440104199512250021",
    "44010619900307002X",
]
STATUSES = ["accepted", "accepted", "merged", "conflict", "rejected"]


def _report(fd: int, line: str) -> None:
    os.write(fd, (line + "\n").encode("ascii"))


def child_main(data_dir: Path, keyring: MemoryKeyring, seed: int, fd: int) -> None:
    """The child's endless work; it only ever ends by being killed."""
    rng = random.Random(seed)
    store = LocalStore.open(data_dir, keyring=keyring, archive_threshold=rng.choice([3, 8, 50]))
    outbox = store.outbox
    while True:
        roll = rng.random()
        holder = rng.choice(HOLDER_IDS)
        if roll < 0.55:
            item = outbox.enqueue(
                rng.choice(["report_loss", "unlock", "apply"]),
                holder,
                {"kind": "report_loss", "channel": "card_bank_branch", "n": rng.random()},
                base_version=rng.randint(1, 9),
                actor="T001",
                device="PC-CRASH",
                branch="GZ-001",
            )
            _report(fd, f"E {item.id}")
        elif roll < 0.65:
            outbox.mark_sending([i.id for i in outbox.sendable(rng.randint(1, 4))])
        elif roll < 0.80:
            batch = outbox.sendable(rng.randint(1, 4))
            answers = [(i.id, rng.choice(STATUSES)) for i in batch]
            outbox.record_results([{"id": i, "status": s, "version": 2} for i, s in answers])
            for item_id, status in answers:
                _report(fd, f"R {item_id} {status}")
        elif roll < 0.88:
            outbox.record_failure([i.id for i in outbox.sendable(2)], "central unreachable")
        elif roll < 0.94:
            store.card_cache.put({"holder_id": holder, "version": rng.randint(1, 9)})
        else:
            store.audit.record("card.lookup", actor="T001", holder_id=holder, reason="crash test")


@dataclass
class CrashReport:
    kills: int = 0
    enqueued: int = 0
    answered: int = 0
    archived: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _read_available(fd: int, chunks: list[bytes], deadline: float) -> bool:
    """Read what the pipe holds until the deadline; False at end of file."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return True
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        chunks.append(chunk)
        if b"\n" in chunk:
            return True


def kill_child_at_random(
    data_dir: Path, keyring: MemoryKeyring, rng: random.Random
) -> tuple[list[str], dict[str, str]]:
    """Fork a child, let it report a random number of lines, kill it; returns what it reported."""
    read_fd, write_fd = os.pipe()
    seed = rng.getrandbits(32)
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            child_main(data_dir, keyring, seed, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    chunks: list[bytes] = []
    wanted = rng.randint(0, 12)
    deadline = time.monotonic() + 20
    alive = True
    while alive and b"".join(chunks).count(b"\n") < wanted and time.monotonic() < deadline:
        alive = _read_available(read_fd, chunks, deadline)
    spin_until = time.perf_counter() + rng.random() * 0.003  # land anywhere in the next write
    while time.perf_counter() < spin_until:
        pass
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while True:  # everything the child wrote before it died is still in the pipe
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    enqueued: list[str] = []
    answers: dict[str, str] = {}
    for line in b"".join(chunks).decode("ascii").splitlines():
        parts = line.split()
        if parts and parts[0] == "E":
            enqueued.append(parts[1])
        elif parts and parts[0] == "R":
            answers.setdefault(parts[1], parts[2])  # the first answer is the one that counts
    return enqueued, answers


def check_store(
    data_dir: Path, keyring: MemoryKeyring, enqueued: list[str], answers: dict[str, str]
) -> tuple[list[str], int]:
    """Open the store after a kill and check every promise; returns (problems, archived)."""
    problems: list[str] = []
    for path in data_dir.rglob("*.json"):
        try:
            orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            problems.append(f"{path.name} is not valid JSON")
    try:
        store = LocalStore.open(data_dir, keyring=keyring)
    except StoreError as exc:
        return [*problems, f"the store does not open: {exc}"], 0
    with store:
        report = store.check()
        if not report.ok:
            problems.append(f"audit chain broken: {report.audit}")
        live = list(store.outbox._storage.read().get(TABLE, {}).values())
        archived = store.archive.all_docs()
        found = Counter(d["id"] for d in live) + Counter(d["id"] for d in archived)
        for item_id in enqueued:
            if found[item_id] != 1:
                problems.append(f"item {item_id} present {found[item_id]} times")
        seqs = Counter(d["seq"] for d in live) + Counter(d["seq"] for d in archived)
        if any(n > 1 for n in seqs.values()):
            problems.append("a sequence number was used twice")
        for item_id, status in answers.items():
            if item_id in found and store.outbox.get(item_id).status != status:
                problems.append(f"item {item_id} lost its answer {status}")
        return problems, len(archived)


def crash_run(data_dir: Path, kills: int, seed: int = 4) -> CrashReport:
    """Kill a working child `kills` times, checking the store after every kill."""
    rng = random.Random(seed)
    keyring = MemoryKeyring()
    LocalStore.open(data_dir, keyring=keyring).close()  # make the keys before any child
    report = CrashReport()
    started = time.monotonic()
    all_enqueued: list[str] = []
    all_answers: dict[str, str] = {}
    for _ in range(kills):
        enqueued, answers = kill_child_at_random(data_dir, keyring, rng)
        all_enqueued += enqueued
        for item_id, status in answers.items():
            all_answers.setdefault(item_id, status)
        problems, archived = check_store(data_dir, keyring, all_enqueued, all_answers)
        report.kills += 1
        report.problems += problems
        report.archived = archived
        if problems:
            break
    report.enqueued = len(all_enqueued)
    report.answered = len(all_answers)
    report.seconds = time.monotonic() - started
    return report
