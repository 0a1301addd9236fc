"""`InstallationSlots`: at most N running jobs per installation across every worker process (PostgreSQL).

A job holds one of its installation's N slots, a session-level advisory lock, on a pooled connection for as
long as it runs, and unlocks it at the end. A process that dies (even by SIGKILL) loses its connections and
with them its slots, so a limit can never be leaked. A job whose installation has no free slot waits here
(its worker slot stays taken).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

_SLOT_CLASS = 0x52420000  # advisory-lock key space: (class + slot, installation id)


class InstallationSlots:
    def __init__(self, conninfo: str, *, size: int, poll: float = 0.05) -> None:
        self.poll = poll
        self.pool: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
            conninfo, min_size=0, max_size=max(size, 1), open=False, kwargs={"autocommit": True}
        )

    async def __aenter__(self) -> InstallationSlots:
        await self.pool.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def hold(self, installation_id: int | None, limit: int) -> AsyncIterator[None]:
        if installation_id is None:
            yield
            return
        objid = installation_id & 0x7FFFFFFF
        async with self.pool.connection() as conn:
            slot = await self._take(conn, objid, limit)
            try:
                yield
            finally:
                try:
                    await asyncio.shield(conn.execute("SELECT pg_advisory_unlock(%s, %s)", (slot, objid)))
                except BaseException:
                    with contextlib.suppress(Exception):
                        await conn.close()  # the pool drops a closed connection, and with it the lock
                    raise

    async def _take(self, conn: AsyncConnection, objid: int, limit: int) -> int:
        while True:
            for slot in range(_SLOT_CLASS, _SLOT_CLASS + limit):
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (slot, objid))
                row = await cur.fetchone()
                if row is not None and row[0]:
                    return slot
            await asyncio.sleep(self.poll)
