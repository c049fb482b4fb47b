"""SQLite's write-ahead log is copied into the database file by a background thread, at most
once every `CHECKPOINT_EVERY` seconds: a checkpoint per write made every next commit's fsync
wait behind the database file's (bench central_scale)."""

from __future__ import annotations

import time
from pathlib import Path

from central.db import CHECKPOINT_EVERY, Database
from tests.sync.helpers import wait_for


def test_a_burst_of_writes_is_checkpointed_once_a_second_and_nothing_is_left_behind(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'central.db'}")
    try:
        checkpointer = db._checkpointer
        assert checkpointer is not None
        with db.write() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        wait_for(lambda: checkpointer.checkpoints == 1, timeout=10, what="the first checkpoint")
        started = time.monotonic()
        for x in range(200):
            with db.write() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (?)", (x,))
        elapsed = time.monotonic() - started
        # 200 commits woke it; it ran at most once per interval (plus the one in progress)
        assert checkpointer.checkpoints <= 2 + int(elapsed / CHECKPOINT_EVERY)
        after_burst = checkpointer.checkpoints
        # the writes of the burst's last interval are checkpointed by a later wake-up
        wait_for(
            lambda: checkpointer.checkpoints > after_burst, timeout=10, what="a later checkpoint"
        )
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 200
    finally:
        db.dispose()
