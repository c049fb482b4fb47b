"""A crash-safe TinyDB storage: whole-file atomic replace, with the document kept in memory.

TinyDB's JSONStorage rewrites its file in place (a crash mid-write leaves it unreadable) and
rereads it on every operation. This storage:

- keeps the parsed document in memory; reads never touch the disk (one writer holds the
  folder lock, so nobody else changes the file);
- writes a temp file in the same folder, fsyncs it, `os.replace`s it over the file and fsyncs
  the folder (POSIX), so after a crash the file is either the old or the new version, whole;
- on Windows retries the replace briefly while another process (an antivirus, a backup tool)
  holds the file open;
- groups several TinyDB operations into one write with `transaction()`, and on a failed write
  rolls memory back to what is on disk, so memory and disk never disagree;
- never overwrites a file it could not read: opening raises StoreCorrupt and leaves it alone.

Serialisation uses orjson (measured in bench/bench_outbox.py against the standard library).

Every change the store makes to the disk goes through `FS` (a `FileSystem`): open, write, fsync,
replace, unlink, fsync of a folder. Tests swap it for one that counts or records the operations
(the crash-state explorer's seam); `write_atomically` and `append_durably` are built on it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from branch_app.store import schema
from branch_app.store.errors import StoreCorrupt, StoreTooNew, StoreWriteFailed

_TEMP_PATTERN = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp$")
_WINDOWS = sys.platform == "win32"
_REPLACE_RETRY_SECONDS = 2.0


class FileSystem:
    """The store's writing operations on the disk, in one place (see the module docstring)."""

    def open(self, path: Path, flags: int, mode: int = 0o600) -> int:
        return os.open(path, flags, mode)

    def write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def replace(self, source: Path, target: Path) -> None:
        """os.replace, retried briefly on Windows where an open handle makes it fail."""
        deadline = time.monotonic() + _REPLACE_RETRY_SECONDS
        delay = 0.01
        while True:
            try:
                os.replace(source, target)
                return
            except PermissionError:
                if not _WINDOWS or time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def unlink(self, path: Path) -> None:
        os.unlink(path)

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)

    def fsync_folder(self, folder: Path) -> None:
        """Make a rename or a new file durable. Only POSIX can open a folder; on Windows the
        rename is journaled."""
        if os.name != "posix" or not hasattr(os, "O_DIRECTORY"):
            return
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: The one seam every store write goes through.
FS = FileSystem()


def _fsync_folder(folder: Path) -> None:
    FS.fsync_folder(folder)


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old or the new file, whole."""
    folder = path.parent
    temp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = FS.open(temp, flags, 0o600)
    try:
        try:
            FS.write(fd, data)
            FS.fsync(fd)
        finally:
            FS.close(fd)
        FS.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            FS.unlink(temp)
        raise
    FS.fsync_folder(folder)


class AppendOnlyFile:
    """A file that only grows: each `append` is one write and one fsync, whatever it holds.

    Kept open between appends (the store holds the folder lock, so nobody else writes it). A new
    file's folder is fsynced once, so the file itself survives a power cut.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        created = not self.path.exists()
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self._fd: int | None = FS.open(self.path, flags, 0o600)
        #: Bytes in the file (appends land there; a failed one is cut back to it).
        self.size = os.fstat(self._fd).st_size
        if created:
            FS.fsync_folder(self.path.parent)

    def append(self, data: bytes) -> None:
        """Durable when it returns; on failure raises StoreWriteFailed."""
        if self._fd is None:
            raise StoreWriteFailed(self.path, "the file is closed")
        try:
            FS.write(self._fd, data)
            FS.fsync(self._fd)
        except OSError as exc:
            # a part written before the failure must not stay in front of the next append
            with contextlib.suppress(OSError):
                FS.truncate(self._fd, self.size)
            raise StoreWriteFailed(self.path, exc.strerror or str(exc)) from exc
        self.size += len(data)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                FS.close(fd)


def remove_temp_files(folder: Path) -> list[Path]:
    """Delete temp files a crash left behind (never a real store file); returns what went."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if entry.is_file() and _TEMP_PATTERN.match(entry.name):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def dumps(envelope: dict[str, Any]) -> bytes:
    return orjson.dumps(envelope)


def read_envelope(path: Path, kind: str) -> dict[str, Any]:
    """Parse and check a file's envelope without changing anything on disk."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreCorrupt(path, f"cannot be read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise StoreCorrupt(path, "the file is empty")
    try:
        envelope = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreCorrupt(path, f"not valid JSON at byte {exc.pos}") from None
    problem = schema.envelope_problem(envelope, kind)
    if problem is not None:
        raise StoreCorrupt(path, problem)
    if envelope["schema"] > schema.CURRENT[kind]:
        raise StoreTooNew(path, envelope["schema"], schema.CURRENT[kind])
    return envelope


class AtomicJSONStorage(Storage):
    """A TinyDB storage over one envelope file; see the module docstring for the guarantees."""

    def __init__(self, path: Path, kind: str, envelope: dict[str, Any]) -> None:
        self.path = Path(path)
        self.kind = kind
        self._envelope = envelope
        self._depth = 0
        self._dirty = False
        self._deferring = 0
        self._deferred = False
        self.writes = 0

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, kind: str, *, create: bool = True) -> AtomicJSONStorage:
        """Open (migrating if needed) or create the file; a damaged file raises StoreCorrupt.

        A migrated file's original is kept as `<name>.schema<N>.bak` before the new one is
        written, so a migration can always be undone by hand.
        """
        path = Path(path)
        if not path.exists():
            if not create:
                raise StoreCorrupt(path, "the file is missing")
            storage = cls(path, kind, schema.new_envelope(kind))
            storage.flush()
            return storage
        envelope = read_envelope(path, kind)
        try:
            envelope, start = schema.migrate(envelope, kind)
        except (LookupError, KeyError, TypeError, ValueError) as exc:
            raise StoreCorrupt(path, f"cannot be migrated: {exc}") from None
        storage = cls(path, kind, envelope)
        if start != schema.CURRENT[kind]:
            # the original, durable before the migrated file replaces it (a copy left in the
            # page cache could be lost to a power cut that keeps the migrated file)
            backup = path.with_name(f"{path.name}.schema{start}.bak")
            write_atomically(backup, path.read_bytes())
            storage.flush()
        return storage

    @classmethod
    def in_memory(cls, path: Path, kind: str, envelope: dict[str, Any]) -> AtomicJSONStorage:
        """A storage for a file that will be written on the first flush (archives, recovery)."""
        return cls(path, kind, envelope)

    # -- TinyDB's Storage interface ---------------------------------------------------------

    def read(self) -> dict[str, Any]:
        return self._envelope["tables"]

    def write(self, data: dict[str, Any]) -> None:
        self._envelope["tables"] = data
        self.mark_dirty()

    def close(self) -> None:
        """Nothing to do: every write is already durable."""

    # -- ours -------------------------------------------------------------------------------

    @property
    def meta(self) -> dict[str, Any]:
        """File-wide values saved with the tables (change them inside a transaction)."""
        return self._envelope["meta"]

    @property
    def schema_version(self) -> int:
        return int(self._envelope["schema"])

    def envelope(self) -> dict[str, Any]:
        return self._envelope

    def mark_dirty(self) -> None:
        if self._depth:
            self._dirty = True
        elif self._deferring:
            self._deferred = True
        else:
            self.flush()

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Changes made inside stay in memory and reach the disk with the next durable write
        (or `flush_deferred`): only for changes a crash may lose without harm."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1

    @property
    def has_deferred(self) -> bool:
        """Whether memory holds changes kept back by `deferred()` that the file lacks."""
        return self._deferred

    def flush_deferred(self) -> None:
        """Write changes kept back by `deferred()`, if any (at a clean close)."""
        if self._deferred:
            self.flush()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group changes into one durable write; an error inside undoes them in memory."""
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._dirty = False
                self._reload()
            raise
        self._depth -= 1
        if self._depth == 0 and self._dirty:
            self._dirty = False
            if self._deferring:
                self._deferred = True
            else:
                self.flush()

    def flush(self) -> None:
        """Write the whole document durably; on failure memory returns to the file's contents."""
        data = dumps(self._envelope)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, data)
        except OSError as exc:
            self._reload()
            raise StoreWriteFailed(self.path, exc.strerror or str(exc)) from exc
        self._deferred = False
        self.writes += 1

    def size_on_disk(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def _reload(self) -> None:
        """Put memory back to what the file holds (after a failed write or an aborted change)."""
        self._deferred = False
        if self.path.exists():
            self._envelope, _ = schema.migrate(read_envelope(self.path, self.kind), self.kind)
        else:
            self._envelope = schema.new_envelope(self.kind)
