"""Engine setup and transactions for SQLite (WAL) and PostgreSQL.

Writes go through `Database.write()`: on SQLite a process-level lock plus `BEGIN IMMEDIATE` make
them strictly one after another (and wait politely for another process's writer); on PostgreSQL
the callers lock the card row with `SELECT ... FOR UPDATE`. Reads use `Database.read()`, which on
SQLite's WAL never waits for a writer. Statement parameters are hidden from error messages so an
id number can never reach a log through an exception.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from central import models

_WRITE_OPTION = "central_write"
#: Where an older central kept the lookup audit's key, beside the hashes it keys.
LEGACY_AUDIT_KEY = "audit_key"
#: WAL pages after which a commit checkpoints by itself: only a bound for when the background
#: checkpointer falls behind (a commit that checkpoints waits for fsyncs of the database file).
_WAL_AUTOCHECKPOINT_PAGES = 16_000
#: Page cache per SQLite connection, in KiB (SQLite's default is 2 MiB).
_PAGE_CACHE_KIB = 32 * 1024
#: Seconds between two background checkpoints at most (see `_Checkpointer`).
CHECKPOINT_EVERY = 1.0

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back; everything the central stores is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Database:
    """One database (SQLite file or PostgreSQL) and its connection pool."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.is_postgres = self.url.get_backend_name() == "postgresql"
        if not (self.is_sqlite or self.is_postgres):
            raise ValueError(f"unsupported database {self.url.get_backend_name()!r}")
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
            # psycopg prepares a statement run five times, and PostgreSQL may then switch it to a
            # generic plan that cannot see which branch or card is asked: a branch's conflict
            # list walked every branch's conflicts by id (1.6 ms at 10,000, growing with the
            # city). Every execution is planned for its own values instead (about 0.1-0.3 ms).
            kwargs["connect_args"] = {"options": "-c plan_cache_mode=force_custom_plan"}
        self.engine: Engine = create_engine(self.url, **kwargs)
        self._write_lock: threading.Lock | None = threading.Lock() if self.is_sqlite else None
        self._checkpointer: _Checkpointer | None = None
        self._audit_key: bytes | None = None
        if self.is_sqlite:
            self._configure_sqlite()
            if database and database != ":memory:":
                self._checkpointer = _Checkpointer(self.engine)

    def _configure_sqlite(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit, so an answered command survives a power
            # loss too, not only a crash of the process. A push commits once per batch, so this
            # costs one fsync per up to 500 commands (measured: about 15 µs per command).
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT_PAGES}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # SQLite keeps 2 MB of pages per connection by default: a busy branch's pull seeks
            # 2,000 followed cards' changes, whose index pages at 1M cards are spread over far
            # more than that, and each pull read them again from the kernel.
            cursor.execute(f"PRAGMA cache_size={-_PAGE_CACHE_KIB}")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get(_WRITE_OPTION):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        guard = self._write_lock if self._write_lock is not None else nullcontext()
        with guard, self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn
        if self._checkpointer is not None:
            self._checkpointer.poke()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def create_schema(self) -> list[str]:
        """Create missing tables, bring an older central's tables up to these (additive
        columns and indexes, `models.upgrade`), and the rows the central needs (idempotent).
        Returns the DDL the upgrade ran, for the admin commands to say."""
        models.metadata.create_all(self.engine)
        with self.write() as conn:
            upgraded = models.upgrade(conn)
            if conn.execute(select(models.feed_head.c.id)).first() is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(models.feed_head).values(id=1, cursor=0))
                except IntegrityError:
                    pass
        return upgraded

    @staticmethod
    def meta(conn: Connection, key: str) -> str | None:
        return conn.execute(
            select(models.central_meta.c.value).where(models.central_meta.c.key == key)
        ).scalar_one_or_none()

    def audit_key(self) -> bytes:
        """The lookup audit's key for an embedded (tests) or demo central that was given none.

        Made by this process and kept beside this object only, never in the database: the key
        of the audit's keyed hashes must not sit beside them. A real central reads its key from
        the settings (`CentralSettings.configured_audit_key`)."""
        if self._audit_key is None:
            self._audit_key = secrets.token_bytes(32)
        return self._audit_key

    def legacy_audit_key(self) -> bytes | None:
        """The key an older central kept in `central_meta` (see `central new-audit-key
        --from-database`), or None."""
        with self.read() as conn:
            value = self.meta(conn, LEGACY_AUDIT_KEY)
        return None if value is None else bytes.fromhex(value)

    def drop_legacy_audit_key(self) -> None:
        with self.write() as conn:
            conn.execute(
                delete(models.central_meta).where(models.central_meta.c.key == LEGACY_AUDIT_KEY)
            )

    def truncate_all(self) -> None:
        """Empty every table and reset the feed (tests): faster than dropping and creating."""
        with self.write() as conn:
            if self.is_postgres:
                names = ", ".join(t.name for t in models.TRUNCATE_ORDER)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                for table in models.TRUNCATE_ORDER:
                    conn.execute(delete(table))
            conn.execute(update(models.feed_head).values(cursor=0))

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()


class _Checkpointer:
    """Copies SQLite's write-ahead log into the database file on a thread of its own, at most
    once every `CHECKPOINT_EVERY` seconds.

    Left to SQLite, the commit that crosses the WAL's page limit does the checkpoint itself,
    fsyncs included, while its request waits (a third of a push's time on loopback). Here a
    committed write wakes a background thread that runs a PASSIVE checkpoint on its own
    connection: it never blocks writers or readers, and the fsyncs happen off the request path.
    Not after every write: each checkpoint fsyncs the database file, and on one disk the next
    commit's WAL fsync waits behind it (at 1M cards a lookup's p50 went from 0.75 to 1.2 ms and
    a push of one command's from 1.0 to 1.6 ms with a checkpoint per write; `bench
    central_scale`). Durability is unchanged: with `synchronous=FULL` a commit is fsynced in the
    WAL when it returns; the checkpoint copies committed pages into the database file and
    fsyncs it. `wal_autocheckpoint` stays as a bound if this thread falls behind.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.checkpoints = 0
        self._thread = threading.Thread(target=self._loop, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                raw = self._engine.raw_connection()
                try:
                    # isolation_level is None on our connections: no transaction is opened.
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
                    self.checkpoints += 1
                finally:
                    raw.close()
            except Exception as exc:  # the next commit tries again; SQLite's bound still holds
                log.warning("WAL checkpoint failed (%s)", type(exc).__name__)
            if self._stop.wait(CHECKPOINT_EVERY):  # writes meanwhile wake the next one
                return
