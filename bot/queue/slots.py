"""`InstallationSlots`: at most N running jobs per installation across every worker process (PostgreSQL).

A job holds one of its installation's N slots, a session-level advisory lock on a connection of its own for
as long as it runs. A process that dies (even by SIGKILL) loses its connections and with them its slots, so a
limit can never be leaked. A job whose installation has no free slot waits here (its worker slot stays taken).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg

_SLOT_CLASS = 0x52420000  # advisory-lock key space: (class + slot, installation id)


class InstallationSlots:
    def __init__(self, conninfo: str, *, poll: float = 0.05) -> None:
        self.conninfo = conninfo
        self.poll = poll

    @asynccontextmanager
    async def hold(self, installation_id: int | None, limit: int) -> AsyncIterator[None]:
        if installation_id is None:
            yield
            return
        conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        try:
            objid = installation_id & 0x7FFFFFFF
            while True:
                for slot in range(limit):
                    cur = await conn.execute(
                        "SELECT pg_try_advisory_lock(%s, %s)", (_SLOT_CLASS + slot, objid)
                    )
                    row = await cur.fetchone()
                    if row is not None and row[0]:
                        break
                else:
                    await asyncio.sleep(self.poll)
                    continue
                break
            yield  # closing the connection below releases the slot
        finally:
            await conn.close()
