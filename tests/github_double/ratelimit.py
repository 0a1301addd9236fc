"""x-ratelimit-* bookkeeping per actor and resource, over an hourly window like GitHub's."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    used: int
    reset: int
    resource: str

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": self.resource,
        }


class RateLimits:
    def __init__(self, limit: int = 5000, unauthenticated_limit: int = 60, window: int = 3600) -> None:
        self.limit = limit
        self.unauthenticated_limit = unauthenticated_limit
        self.window = window
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str], tuple[int, int]] = {}  # (actor, resource) -> (reset, used)
        self._history: list[
            tuple[str, str, int, int]
        ] = []  # finished windows: (actor, resource, reset, used)

    def consume(self, actor: str | None, resource: str) -> Budget:
        limit = self.limit if actor else self.unauthenticated_limit
        now = int(time.time())
        with self._lock:
            reset, used = self._used.get((actor or "", resource), (now + self.window, 0))
            if now >= reset:
                if used:
                    self._history.append((actor or "", resource, reset, used))
                reset, used = now + self.window, 0
            used += 1
            self._used[(actor or "", resource)] = (reset, used)
        return Budget(limit, limit - used, used, reset, resource)

    def reset(self) -> None:
        with self._lock:
            self._used.clear()
            self._history.clear()

    def usage(self, actor: str) -> list[tuple[str, int, int]]:
        """(resource, window reset, requests counted) of every window `actor` used, the open ones too."""
        with self._lock:
            done = [(res, reset, used) for a, res, reset, used in self._history if a == actor]
            open_ = [(res, reset, used) for (a, res), (reset, used) in self._used.items() if a == actor]
        return sorted(done + open_, key=lambda w: (w[1], w[0]))
