"""`WritePacer`: space out the mutating GitHub requests of one installation (secondary rate limits).

GitHub asks integrations to send POST/PATCH/PUT/DELETE requests of one installation one at a time and at
least a second apart. `async with pacer.slot(installation_id):` waits for the installation's previous write
to finish and until `interval` seconds have passed since it started; other installations are not blocked.
The pacing is per process (the embedded deployment has one).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float | None = None
    users: int = 0


class WritePacer:
    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval < 0:
            raise ValueError("interval must be >= 0")
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lanes: dict[int | None, _Lane] = {}

    @asynccontextmanager
    async def slot(self, installation_id: int | None) -> AsyncIterator[None]:
        """Hold the installation's write slot for the body of the `async with` (one write at a time)."""
        lane = self._lanes.setdefault(installation_id, _Lane())
        lane.users += 1
        try:
            async with lane.lock:
                if lane.last_start is not None:
                    while (wait := lane.last_start + self.interval - self._clock()) > 0:
                        await self._sleep(wait)
                lane.last_start = self._clock()
                yield
        finally:
            lane.users -= 1
            idle = lane.users == 0 and self._lanes.get(installation_id) is lane
            if idle and (lane.last_start is None or self._clock() - lane.last_start >= self.interval):
                del self._lanes[installation_id]  # idle and due: forget it (bounded memory)
