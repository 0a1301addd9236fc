"""`PgWritePacer`: the write pacing of `bot.queue.pacing` held across every process sharing PostgreSQL.

Each installation has a row in `write_lanes` (bot/store/write_pacing.py). Taking the slot is one short
transaction that locks that row (`SELECT ... FOR UPDATE`) and, by the database's clock, either takes it —
no write in flight (`busy_until`), no pause (`paused_until`), the last start `interval` ago or more, fewer
than `per_hour` starts in the last hour (`write_starts`) — or says how long to wait. Nothing is held while
waiting (no connection, no lock); the write in flight holds a lease (`busy_until`, `lease` seconds) so that a
process killed mid-write does not block the installation for longer. Within a process, one coroutine per
installation asks the database at a time (an asyncio lock, first come first served); the others queue
behind it, so waiting costs a query per write slot, not one per waiting job.

`pause()` (a 403/429 rate-limit answer seen by any process) sets `paused_until` for every process.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from bot.queue.pacing import ASK_AFTER, HOUR, LOOKAHEAD, Pacer, Superseded, Unless, WritePacer, interval_for
from bot.store.write_pacing import write_lanes_table as lanes
from bot.store.write_pacing import write_starts_table as starts

BUSY_POLL = 0.02
"""How often to look again while another process's write is in flight (writes take ~0.1-1 s)."""
JITTER = 0.01
"""Seconds added at random to a wait for the slot (fairness between processes)."""


def _now(conn: Connection) -> float:
    return float(conn.execute(select(func.extract("epoch", func.clock_timestamp()))).scalar_one())


class PgWritePacer:
    def __init__(
        self,
        engine: Engine,
        interval: float,
        *,
        per_hour: int = 0,
        lease: float = 60.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval < 0 or per_hour < 0 or lease <= 0:
            raise ValueError("interval and per_hour must be >= 0, lease > 0")
        self.engine = engine
        self.interval = interval
        self.per_hour = per_hour
        self.lease = lease
        self._sleep = sleep
        self._locks: dict[int, asyncio.Lock] = {}

    # -- the transactions (synchronous: run in a thread) ----------------------------------------------------
    def _try_take(self, installation_id: int, take: bool = True) -> float:
        """Take the installation's slot (0.0) or say how many seconds until it may be free (`take` False:
        only say, take nothing)."""
        with self.engine.begin() as conn:
            conn.execute(
                pg_insert(lanes)
                .values(installation_id=installation_id, last_start=0.0, busy_until=0.0, paused_until=0.0)
                .on_conflict_do_nothing(index_elements=["installation_id"])
            )
            row = conn.execute(
                select(lanes).where(lanes.c.installation_id == installation_id).with_for_update()
            ).one()
            now = _now(conn)
            due = max(row.paused_until, row.last_start + self.interval)
            if row.busy_until > now:
                due = max(due, min(row.busy_until, now + BUSY_POLL))
            if self.per_hour:
                conn.execute(
                    delete(starts).where(
                        starts.c.installation_id == installation_id, starts.c.at <= now - HOUR
                    )
                )
                nth = conn.execute(
                    select(starts.c.at)
                    .where(starts.c.installation_id == installation_id)
                    .order_by(starts.c.at.desc())
                    .offset(self.per_hour - 1)
                    .limit(1)
                ).scalar()
                if nth is not None:
                    due = max(due, float(nth) + HOUR)
            if due > now:
                return max(due - now, 0.001)
            if not take:
                return 0.0
            conn.execute(
                update(lanes)
                .where(lanes.c.installation_id == installation_id)
                .values(last_start=now, busy_until=now + self.lease)
            )
            if self.per_hour:
                conn.execute(insert(starts).values(installation_id=installation_id, at=now))
            return 0.0

    def _release(self, installation_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(lanes).where(lanes.c.installation_id == installation_id).values(busy_until=0.0)
            )

    def _pause(self, installation_id: int, seconds: float) -> None:
        with self.engine.begin() as conn:
            until = _now(conn) + seconds
            stmt = pg_insert(lanes).values(
                installation_id=installation_id, last_start=0.0, busy_until=0.0, paused_until=until
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["installation_id"],
                    set_={"paused_until": func.greatest(lanes.c.paused_until, stmt.excluded.paused_until)},
                )
            )

    # -- the interface of WritePacer ----------------------------------------------------------------------
    @asynccontextmanager
    async def slot(self, installation_id: int | None, unless: Unless | None = None) -> AsyncIterator[None]:
        """Hold the installation's write slot, across processes, for the body of the `async with`; when the
        turn comes, `unless()` True raises `Superseded` instead (see WritePacer.slot)."""
        key = installation_id or 0
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            wait = await asyncio.to_thread(self._try_take, key, False) if unless is not None else 0.0
            if unless is not None and wait >= ASK_AFTER:
                while wait > LOOKAHEAD:
                    await self._sleep(wait - LOOKAHEAD)
                    wait = await asyncio.to_thread(self._try_take, key, False)
                if await unless():
                    raise Superseded("a newer state is waiting: this write is not made")
            while (wait := await asyncio.to_thread(self._try_take, key)) > 0:
                # A little jitter: processes waiting for the same turn wake in a random order, so the one
                # that wrote last does not win every turn (each process gets its share of the writes).
                await self._sleep(wait + random.uniform(0, JITTER))
            try:
                yield
            finally:
                await asyncio.shield(asyncio.to_thread(self._release, key))  # a cancelled write frees it too

    async def pause(self, installation_id: int | None, seconds: float) -> None:
        """No write of the installation starts, in any process, in the next `seconds`."""
        if seconds > 0:
            await asyncio.to_thread(self._pause, installation_id or 0, seconds)

    def paused_for(self, installation_id: int) -> float:
        """Seconds left of the installation's pause (0.0: none), by the database's clock."""
        with self.engine.connect() as conn:
            until = conn.execute(
                select(lanes.c.paused_until).where(lanes.c.installation_id == installation_id)
            ).scalar()
            return max(float(until or 0.0) - _now(conn), 0.0)


def make_pacer(
    engine: Engine | None,
    per_minute: float,
    per_hour: int,
    interval: float | None = None,
    *,
    lease: float = 60.0,
) -> Pacer:
    """The pacer for a deployment: across processes on PostgreSQL, in this process on SQLite.
    `interval` (seconds between write starts) overrides the one `per_minute` gives. `lease`: how long the slot
    of a process that died mid-write stays taken (PostgreSQL) — make it what one write can take at most."""
    spacing = interval if interval is not None else interval_for(per_minute)
    if engine is not None and engine.dialect.name == "postgresql":
        return PgWritePacer(engine, spacing, per_hour=per_hour, lease=lease)
    return WritePacer(spacing, per_hour=per_hour)
