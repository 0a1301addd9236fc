"""Engines for SQLite (the embedded default) and PostgreSQL (scaled), and schema set-up on start.

SQLite connections run in WAL mode with a busy timeout and foreign keys on; every transaction opened with
`engine.begin()` starts with `BEGIN IMMEDIATE` (it takes the single write lock up front, so a transaction that
reads then writes never fails half-way with "database is locked"). Read-only work goes through
`reader(engine)`, whose transactions start with a plain deferred `BEGIN` and run beside a writer.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

from bot.settings import normalize_database_url

BUSY_TIMEOUT_MS = 15_000
_BEGIN_OPTION = "report_bot_begin"


def make_engine(database_url: str, **engine_kwargs: Any) -> Engine:
    """An Engine for a SQLAlchemy URL (`postgresql://` means psycopg 3); creates a SQLite file's folder."""
    url = make_url(normalize_database_url(database_url))
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **engine_kwargs)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql")
    engine_kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **engine_kwargs)


def reader(engine: Engine) -> Engine:
    """The same engine, for read-only transactions (deferred BEGIN on SQLite; no change elsewhere)."""
    return engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"})


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: URL, **engine_kwargs: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    connect_args = engine_kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
    if in_memory:
        # One shared connection: an in-memory database exists only inside its connection (tests only).
        engine_kwargs.setdefault("poolclass", StaticPool)
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args=connect_args, **engine_kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the sqlite3 module, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                _wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine


def _wal(cursor: Any) -> None:
    """Put the database in WAL mode (it stays so: later connections find it set and skip the switch).
    Switching needs the file to itself; several connections opening a NEW database together have seen
    "database is locked" from it (tests/test_store.py, under load), so it is tried again for up to the busy
    timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def init_db(engine: Engine) -> int:
    """Create the schema on a fresh database or migrate an older one; returns the schema version."""
    from bot.store.migrations import migrate

    return migrate(engine)
