"""One writer per data folder: an OS file lock held for as long as the store is open.

The lock (`store.lock` in the data folder) is taken without waiting, so a second instance of
the application fails at once with StoreLocked instead of hanging. The OS releases it when the
process dies, even by SIGKILL or a power cut, so a crash never leaves the folder locked.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from branch_app.store.errors import StoreLocked

LOCK_NAME = "store.lock"


class FolderLock:
    """The exclusive lock on a data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_NAME
        # thread_local=False: the store is used from UI and worker threads alike.
        self._lock = FileLock(str(self.path), timeout=0, thread_local=False, is_singleton=False)

    def acquire(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreLocked(self.data_dir) from None

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
