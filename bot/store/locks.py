"""One writer per place (a repository's pinned issue, a pull request's comment) across processes.

On PostgreSQL (several replicas) a session advisory lock, taken with `pg_try_advisory_lock` in a loop so that
waiting stays cancellable, and held on its own autocommit connection for the body of the `async with`. On
SQLite the deployment is one process, where the caller's asyncio lock is enough: nothing is done here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Connection, Engine, text

from bot.store.engine import is_sqlite

_TRY = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")


def _try(engine: Engine, key: str) -> Connection | None:
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        if conn.execute(_TRY, {"key": key}).scalar():
            return conn
    except BaseException:
        conn.close()
        raise
    conn.close()
    return None


def _release(conn: Connection, key: str) -> None:
    try:
        conn.execute(_UNLOCK, {"key": key})
    finally:
        conn.close()


@asynccontextmanager
async def place_lock(engine: Engine, key: str, *, poll: float = 0.05) -> AsyncIterator[None]:
    """Hold `key` across every process sharing the PostgreSQL database (no-op on SQLite)."""
    if is_sqlite(engine):
        yield
        return
    while (conn := await asyncio.to_thread(_try, engine, key)) is None:
        await asyncio.sleep(poll)
    try:
        yield
    finally:
        await asyncio.to_thread(_release, conn, key)
