"""A crash-state explorer for the store: what a power cut could leave, not just a SIGKILL.

The approach of ALICE and CrashMonkey, done in process:

1. **Record.** A workload runs the real store code on a temp folder with a `RecordingFS`
   installed in place of `storage.FS` (the one seam every store write goes through). Each
   operation is logged with what it did: a file created, bytes written at an offset, a truncate,
   an fsync of a file, a rename, an unlink, an fsync of a folder. The keyring's writes (the
   store's keys live there, outside the folder) and the workload's acknowledgements ("this
   enqueue returned") go into the same log, in order.
2. **Build the crash states.** For every prefix of the log (a cut after each operation), the
   operations split into the durable ones (a write followed by an fsync of its file, a create,
   rename or unlink followed by an fsync of its folder) and the pending ones, which a power cut
   may drop, cut short or persist out of order. The states built per cut (`crash_plans`):
   all pending kept (what a SIGKILL leaves), all dropped, each one dropped alone, each one kept
   alone (it reached the disk before every earlier pending one: a reordering), every subset when
   there are at most `FULL_SUBSETS_UP_TO` pending operations, and each pending write cut short at
   a 4096-byte and at a 512-byte boundary (the first, a middle and the last boundary inside it),
   with the other pending operations kept and with them dropped; and, with the others kept, the
   write's full length on disk but the blocks after (or before) that boundary never written,
   reading as zeros (a file size that reached the disk before its data). Kept operations apply in
   program order: between two fsyncs the store's operations touch different files or different
   byte ranges, so "any order" is exactly "any subset".
3. **Materialise** each distinct state (same files, same bytes, same keyring: checked once)
   into a fresh folder; the checker opens the store there and judges the promise.

The keyring is modelled as durable at once (it is another system's storage): a state's keyring
is the last keyring write before the cut.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from branch_app.store import storage
from branch_app.store.crypto import MemoryKeyring

#: Every subset of the pending operations is tried when there are at most this many.
FULL_SUBSETS_UP_TO = 4
#: Block sizes a write may be cut short at.
BLOCKS = (4096, 512)
#: Files that are not store data (the OS lock file holds nothing).
IGNORED = frozenset({"store.lock"})

DATA_OPS = frozenset({"write", "truncate"})
NAME_OPS = frozenset({"create", "rename", "unlink"})


@dataclass(frozen=True)
class Op:
    """One logged operation. `path`/`source` are relative to the data folder ('/'-joined)."""

    index: int
    kind: str  # create write truncate fsync rename unlink fsync_dir keyring ack
    path: str = ""
    source: str = ""
    folder: str = ""
    inode: int = -1
    offset: int = 0
    data: bytes = b""
    size: int = 0
    keyring: tuple[tuple[str, str], ...] = ()
    ack: tuple[Any, ...] = ()

    def describe(self) -> str:
        if self.kind == "write":
            return f"#{self.index} write {self.path} [{self.offset}:{self.offset + len(self.data)}]"
        if self.kind == "rename":
            return f"#{self.index} rename {self.source} -> {self.path}"
        if self.kind == "ack":
            return f"#{self.index} ack {self.ack[0]}"
        return f"#{self.index} {self.kind} {self.path or self.folder}"


@dataclass
class Recording:
    """The folder as it was when recording started, and the log since."""

    root: Path
    folders: list[str]
    files: dict[str, int]  # name -> inode at the start
    contents: dict[int, bytes]  # inode -> bytes at the start (all durable)
    keyring: tuple[tuple[str, str], ...]
    ops: list[Op] = field(default_factory=list)

    def add(self, kind: str, **fields: Any) -> Op:
        op = Op(len(self.ops), kind, **fields)
        self.ops.append(op)
        return op

    def ack(self, *what: Any) -> None:
        """The workload's acknowledgement: the call that made `what` durable has returned."""
        self.add("ack", ack=tuple(what))


class RecordingFS(storage.FileSystem):
    """The real file system, with every operation logged (see the module docstring)."""

    def __init__(self, recording: Recording) -> None:
        self.rec = recording
        self.names = dict(recording.files)  # what the folder holds now, name -> inode
        self.next_inode = max(self.names.values(), default=0) + 1
        self.fds: dict[int, tuple[int, str, bool]] = {}  # fd -> (inode, name, append)

    def rel(self, path: Path) -> str:
        relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(self.rec.root))
        return relative.as_posix()

    @staticmethod
    def parent(name: str) -> str:
        return name.rpartition("/")[0]

    def open(self, path: Path, flags: int, mode: int = 0o600) -> int:
        fd = super().open(path, flags, mode)
        name = self.rel(path)
        inode = self.names.get(name)
        if inode is None:
            inode = self.next_inode
            self.next_inode += 1
            self.names[name] = inode
            self.rec.add("create", path=name, folder=self.parent(name), inode=inode)
        if flags & os.O_TRUNC:
            self.rec.add("truncate", path=name, inode=inode, size=0)
        self.fds[fd] = (inode, name, bool(flags & os.O_APPEND))
        return fd

    def known(self, fd: int) -> tuple[int, str, bool]:
        """What an fd is; one opened before recording began (the open audit month) is found
        through /proc."""
        if fd not in self.fds:
            name = self.rel(Path(os.readlink(f"/proc/self/fd/{fd}")))
            append = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)
            self.fds[fd] = (self.names[name], name, append)
        return self.fds[fd]

    def write(self, fd: int, data: bytes) -> None:
        inode, name, append = self.known(fd)
        offset = os.fstat(fd).st_size if append else os.lseek(fd, 0, os.SEEK_CUR)
        super().write(fd, data)
        self.rec.add("write", path=name, inode=inode, offset=offset, data=bytes(data))

    def fsync(self, fd: int) -> None:
        super().fsync(fd)
        inode, name, _ = self.known(fd)
        self.rec.add("fsync", path=name, inode=inode)

    def close(self, fd: int) -> None:
        super().close(fd)
        self.fds.pop(fd, None)

    def replace(self, source: Path, target: Path) -> None:
        super().replace(source, target)
        src, dst = self.rel(source), self.rel(target)
        inode = self.names.pop(src)
        self.names[dst] = inode
        self.rec.add("rename", path=dst, source=src, folder=self.parent(dst), inode=inode)

    def unlink(self, path: Path) -> None:
        super().unlink(path)
        name = self.rel(path)
        inode = self.names.pop(name, -1)
        self.rec.add("unlink", path=name, folder=self.parent(name), inode=inode)

    def truncate(self, fd: int, size: int) -> None:
        super().truncate(fd, size)
        inode, name, _ = self.known(fd)
        self.rec.add("truncate", path=name, inode=inode, size=size)

    def fsync_folder(self, folder: Path) -> None:
        super().fsync_folder(folder)
        self.rec.add("fsync_dir", folder=self.rel(folder) if folder != self.rec.root else "")


class RecordingKeyring(MemoryKeyring):
    """A memory keyring whose writes go into the log (the keyring is durable at once)."""

    recording: Recording | None = None

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username, password)
        if self.recording is not None:
            self.recording.add("keyring", keyring=frozen_keyring(self))

    def delete_password(self, service: str, username: str) -> None:
        super().delete_password(service, username)
        if self.recording is not None:
            self.recording.add("keyring", keyring=frozen_keyring(self))


def frozen_keyring(keyring: MemoryKeyring) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(keyring.export().items()))


def _snapshot(root: Path) -> tuple[list[str], dict[str, bytes]]:
    folders, files = [], {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_dir():
            folders.append(name)
        elif name not in IGNORED:
            files[name] = path.read_bytes()
    return folders, files


def _fs_modules() -> list[Any]:
    """Every loaded module holding the seam by name (`from storage import FS`)."""
    return [
        module
        for name, module in list(sys.modules.items())
        if (name.startswith(("branch_app", "sync")) and getattr(module, "FS", None) is storage.FS)
    ]


@contextmanager
def recording(root: Path, keyring: RecordingKeyring) -> Iterator[Recording]:
    """Log every store operation on `root` made inside the block. On the way out, checks the
    seam: replaying the whole log on the starting folder gives what is on disk now, so no write
    went around it."""
    folders, files = _snapshot(root)
    names = {name: number for number, name in enumerate(sorted(files), start=1)}
    rec = Recording(
        root=root,
        folders=folders,
        files=names,
        contents={names[name]: data for name, data in files.items()},
        keyring=frozen_keyring(keyring),
    )
    recorder = RecordingFS(rec)
    original = storage.FS
    modules = _fs_modules()
    for module in modules:
        module.FS = recorder
    keyring.recording = rec
    try:
        yield rec
    finally:
        keyring.recording = None
        for module in modules:
            module.FS = original
    now_folders, now_files = _snapshot(root)
    replayed = apply_plan(rec, Plan(len(rec.ops), frozenset(), {}))[0]
    stray = sorted(set(now_files.items()) ^ set(replayed.items()), key=lambda kv: kv[0])
    assert not stray, f"writes around the FileSystem seam: {[name for name, _ in stray]}"
    assert set(now_folders) == set(rec.folders), "a folder was made around the seam"


# -- crash states ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One crash state: the log cut after `cut` operations, with `dropped` pending operations
    lost and `torn` writes (op index -> bytes kept) cut short."""

    cut: int
    dropped: frozenset[int]
    #: op index -> where a write is cut (bytes into it): its first n bytes reached the disk, or
    #: with `zeros` the first n and zeros after, or (n < 0) zeros before byte -n and the rest
    torn: dict[int, int]
    label: str = ""
    #: the write's full length reached the disk, the blocks not written read as zeros
    zeros: bool = False

    def __hash__(self) -> int:
        return hash((self.cut, self.dropped, tuple(sorted(self.torn.items())), self.zeros))


def pending_ops(ops: list[Op], cut: int) -> list[Op]:
    """The operations among the first `cut` that a power cut may still lose."""
    synced_files: set[int] = set()
    synced_folders: set[str] = set()
    pending: list[Op] = []
    for op in reversed(ops[:cut]):
        if op.kind == "fsync":
            synced_files.add(op.inode)
        elif op.kind == "fsync_dir":
            synced_folders.add(op.folder)
        elif (op.kind in DATA_OPS and op.inode not in synced_files) or (
            op.kind in NAME_OPS and op.folder not in synced_folders
        ):
            pending.append(op)
    pending.reverse()
    return pending


def _boundaries(op: Op) -> list[int]:
    """Bytes of `op.data` to keep when it is cut at a block boundary inside it (bounded: the
    first, a middle and the last boundary of each block size)."""
    kept: set[int] = set()
    start, end = op.offset, op.offset + len(op.data)
    for block in BLOCKS:
        inside = list(range((start // block + 1) * block, end, block))
        if inside:
            for boundary in {inside[0], inside[len(inside) // 2], inside[-1]}:
                kept.add(boundary - start)
    return sorted(kept)


def crash_plans(ops: list[Op]) -> Iterator[Plan]:
    """Every state of the bounded model (see the module docstring), cut by cut."""
    for cut in range(len(ops) + 1):
        pending = [op.index for op in pending_ops(ops, cut)]
        every = frozenset(pending)
        yield Plan(cut, frozenset(), {}, "all kept")
        if not pending:
            continue
        yield Plan(cut, every, {}, "all dropped")
        if len(pending) <= FULL_SUBSETS_UP_TO:
            for size in range(1, len(pending)):
                for chosen in itertools.combinations(pending, size):
                    yield Plan(cut, frozenset(chosen), {}, "subset dropped")
        else:
            for index in pending:
                yield Plan(cut, frozenset({index}), {}, "one dropped")
                yield Plan(cut, every - {index}, {}, "one kept")
        for index in pending:
            op = ops[index]
            if op.kind != "write":
                continue
            for keep in _boundaries(op):
                yield Plan(cut, frozenset(), {index: keep}, "torn, others kept")
                yield Plan(cut, every - {index}, {index: keep}, "torn, others dropped")
                # the file's length reached the disk but not all of its blocks: zeros
                yield Plan(cut, frozenset(), {index: keep}, "zero tail, others kept", True)
                yield Plan(cut, frozenset(), {index: -keep}, "zero head, others kept", True)


def apply_plan(rec: Recording, plan: Plan) -> tuple[dict[str, bytes], tuple[tuple[str, str], ...]]:
    """The files (name -> bytes) and the keyring a plan leaves."""
    names = dict(rec.files)
    contents: dict[int, bytearray] = {}
    keyring = rec.keyring

    def content(inode: int) -> bytearray:
        if inode not in contents:
            contents[inode] = bytearray(rec.contents.get(inode, b""))
        return contents[inode]

    for op in rec.ops[: plan.cut]:
        if op.index in plan.dropped:
            continue
        if op.kind == "keyring":
            keyring = op.keyring
        elif op.kind == "create":
            names[op.path] = op.inode
            content(op.inode)
        elif op.kind == "write":
            data = op.data
            if op.index in plan.torn:
                keep = plan.torn[op.index]
                if not plan.zeros:
                    data = data[:keep]
                elif keep > 0:
                    data = data[:keep] + bytes(len(data) - keep)
                else:
                    data = bytes(-keep) + data[-keep:]
            body = content(op.inode)
            if len(body) < op.offset:
                body.extend(bytes(op.offset - len(body)))
            body[op.offset : op.offset + len(data)] = data
        elif op.kind == "truncate":
            body = content(op.inode)
            del body[op.size :]
            body.extend(bytes(op.size - len(body)))
        elif op.kind == "rename":
            names.pop(op.source, None)
            names[op.path] = op.inode
        elif op.kind == "unlink":
            names.pop(op.path, None)
    files = {name: bytes(content(inode)) for name, inode in names.items()}
    return files, keyring


def materialise(
    rec: Recording, files: dict[str, bytes], keyring: tuple[tuple[str, str], ...], where: Path
) -> MemoryKeyring:
    """Write a state's files into a fresh folder; returns its keyring."""
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    for folder in rec.folders:
        (where / folder).mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (where / name).write_bytes(data)
    return MemoryKeyring.from_export(dict(keyring))


@dataclass
class Exploration:
    """What exploring one workload did."""

    workload: str
    operations: int
    plans: int = 0
    states: int = 0  # distinct states opened and checked
    opened: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # detail -> count

    def summary(self) -> str:
        refused = sum(self.refused.values())
        return (
            f"crash states [{self.workload}]: {self.operations} operations, {self.plans} crash "
            f"plans, {self.states} distinct states checked ({self.opened} opened, "
            f"{refused} refused naming the damaged file)"
        )


def explore(
    rec: Recording,
    workload: str,
    check: Callable[[Path, MemoryKeyring, list[Op], Plan], str | None],
    scratch: Path,
) -> Exploration:
    """Build every planned state, check each distinct one once. `check` returns None when the
    store opened, or the refusal's detail when it refused as promised; it raises
    AssertionError (with the plan described) when the promise is broken."""
    result = Exploration(workload, len(rec.ops))
    seen: set[bytes] = set()
    where = scratch / "state"
    for plan in crash_plans(rec.ops):
        result.plans += 1
        files, keyring = apply_plan(rec, plan)
        digest = hashlib.blake2b(digest_size=16)
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + hashlib.sha1(files[name]).digest())
        digest.update(repr(keyring).encode())
        acks = [op for op in rec.ops[: plan.cut] if op.kind == "ack"]
        digest.update(repr([op.ack for op in acks]).encode())
        key = digest.digest()
        if key in seen:
            continue
        seen.add(key)
        result.states += 1
        state_keyring = materialise(rec, files, keyring, where)
        try:
            refused = check(where, state_keyring, acks, plan)
        except AssertionError as exc:
            raise AssertionError(f"{describe_plan(rec, plan)}\n{exc}") from exc
        if refused is None:
            result.opened += 1
        else:
            result.refused[refused] = result.refused.get(refused, 0) + 1
    return result


def describe_plan(rec: Recording, plan: Plan) -> str:
    """A plan in words, for a failing assertion (and to keep it as a regression test)."""
    lines = [f"crash state: cut after {plan.cut} of {len(rec.ops)} operations ({plan.label})"]
    for index in sorted(plan.dropped):
        lines.append(f"  dropped {rec.ops[index].describe()}")
    for index, keep in sorted(plan.torn.items()):
        how = "zeros after" if plan.zeros and keep > 0 else "zeros before" if plan.zeros else ""
        how = f"{how} byte {abs(keep)}" if how else f"cut short to {keep} bytes"
        lines.append(f"  {how}: {rec.ops[index].describe()}")
    tail = rec.ops[max(0, plan.cut - 6) : plan.cut]
    lines.append("  last operations: " + "; ".join(op.describe() for op in tail))
    return "\n".join(lines)
