"""`WritePacer`: space out the content-creating GitHub requests of one installation (secondary rate limits).

What GitHub documents (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
"About secondary rate limits", and .../best-practices-for-using-the-rest-api, "Avoid concurrent requests"
and "Pause between mutative requests"):

- "In general, no more than 80 content-generating requests per minute and no more than 500
  content-generating requests per hour are allowed" (web interface, REST and GraphQL alike);
- POST/PATCH/PUT/DELETE cost 5 points of the 900 points a minute one REST endpoint allows (180 writes a
  minute: looser than the 80, so implied by it);
- "make requests serially instead of concurrently", and for many mutative requests "wait at least one
  second between each request" (advice, not a limit GitHub states it enforces);
- a secondary-limit answer (403 or 429) carries `retry-after` (wait that long) or `x-ratelimit-remaining: 0`
  (wait until `x-ratelimit-reset`); otherwise wait at least a minute.

What the pacer enforces, per installation: its writes run one at a time (serially), their starts at least
`interval` apart (default 60/80 s plus a 10 ms margin for the request's own transit: never more than 80 in
any minute, `REPORT_BOT_WRITES_PER_MINUTE`), at most `per_hour` starts in any hour
(`REPORT_BOT_WRITES_PER_HOUR`, 500; 0 turns it off), and none while GitHub asked for a pause (`pause()`,
which the client calls on a 403/429 rate-limit answer). The one-second advice is not enforced: 80 a
minute is the documented limit and the burst at a deadline needs it. Reads are not paced.

`WritePacer` paces within one process (the embedded deployment has one); `bot.queue.pacing_pg.PgWritePacer`
does the same across every process sharing a PostgreSQL database; `pacing_pg.make_pacer` picks the one
for an engine.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

MARGIN = 0.01
"""Added to 60/per_minute: a request reaches GitHub a little after it starts, and not always equally late."""
HOUR = 3600.0
LOOKAHEAD = 0.25
"""`unless` is asked this long before the slot is due, so that its read does not delay the write."""

ASK_AFTER = 1.0
"""`unless` is asked only of a write that waits this long for its turn (a quiet day asks nothing)."""

Unless = Callable[[], Awaitable[bool]]
"""Asked when a write's turn comes after a wait: True drops it (`Superseded`) without spending a slot."""


class Superseded(Exception):
    """The write was dropped when its turn came (`unless` said so): what it would write is out of date."""


def interval_for(per_minute: float) -> float:
    """The spacing of write starts that keeps any minute at `per_minute` writes or fewer (0: unpaced)."""
    return 60.0 / per_minute + MARGIN if per_minute > 0 else 0.0


class Pacer(Protocol):
    """What the GitHub client needs of a pacer (both implementations)."""

    def slot(
        self, installation_id: int | None, unless: Unless | None = None
    ) -> AbstractAsyncContextManager[None]: ...

    async def pause(self, installation_id: int | None, seconds: float) -> None: ...


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float | None = None
    paused_until: float = 0.0
    starts: deque[float] = field(default_factory=deque)
    users: int = 0


class WritePacer:
    def __init__(
        self,
        interval: float = 1.0,
        *,
        per_hour: int = 0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval < 0 or per_hour < 0:
            raise ValueError("interval and per_hour must be >= 0")
        self.interval = interval
        self.per_hour = per_hour
        self._clock = clock
        self._sleep = sleep
        self._lanes: dict[int | None, _Lane] = {}

    def _due(self, lane: _Lane, now: float) -> float:
        """When the lane's next write may start."""
        due = max(now, lane.paused_until)
        if lane.last_start is not None:
            due = max(due, lane.last_start + self.interval)
        while lane.starts and lane.starts[0] <= now - HOUR:
            lane.starts.popleft()
        if self.per_hour and len(lane.starts) >= self.per_hour:
            due = max(due, lane.starts[-self.per_hour] + HOUR)
        return due

    @asynccontextmanager
    async def slot(self, installation_id: int | None, unless: Unless | None = None) -> AsyncIterator[None]:
        """Hold the installation's write slot for the body of the `async with` (one write at a time).
        When the turn comes, `unless()` True raises `Superseded` instead (the slot goes to the next)."""
        lane = self._lanes.setdefault(installation_id, _Lane())
        lane.users += 1
        try:
            async with lane.lock:
                await _wait_turn(lambda: self._due(lane, now := self._clock()) - now, self._sleep, unless)
                lane.last_start = self._clock()
                if self.per_hour:
                    lane.starts.append(lane.last_start)
                yield
        finally:
            lane.users -= 1
            if lane.users == 0 and self._lanes.get(installation_id) is lane and self._idle(lane):
                del self._lanes[installation_id]  # idle and due: forget it (bounded memory)

    def _idle(self, lane: _Lane) -> bool:
        now = self._clock()
        return self._due(lane, now) <= now and not lane.starts

    async def pause(self, installation_id: int | None, seconds: float) -> None:
        """No write of the installation starts in the next `seconds` (GitHub asked: Retry-After)."""
        if seconds <= 0:
            return
        lane = self._lanes.setdefault(installation_id, _Lane())
        lane.paused_until = max(lane.paused_until, self._clock() + seconds)


async def _wait_turn(
    left: Callable[[], float], sleep: Callable[[float], Awaitable[object]], unless: Unless | None
) -> None:
    """Sleep until `left()` is 0; then, if that took ASK_AFTER or more, ask `unless` (at most LOOKAHEAD
    early, beside the last sleep)."""
    asked: asyncio.Task[bool] | None = None
    if left() < ASK_AFTER:
        unless = None
    try:
        while (wait := left()) > 0:
            if unless is not None and asked is None and wait <= LOOKAHEAD:
                asked = asyncio.ensure_future(unless())
            await sleep(wait if asked is not None or unless is None else max(wait - LOOKAHEAD, 0.001))
        if unless is not None and await (asked if asked is not None else unless()):
            raise Superseded("a newer state is waiting: this write is not made")
    finally:
        if asked is not None and not asked.done():
            asked.cancel()
