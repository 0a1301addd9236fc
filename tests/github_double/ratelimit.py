"""x-ratelimit-* bookkeeping per actor and resource, over an hourly window like GitHub's, and GitHub's
secondary limit on content-creating requests (`SecondaryLimits`)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any


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


WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def content_creating(method: str, path: str, body: Any) -> bool:
    """A request GitHub's secondary limit on content creation counts: a REST write, or a GraphQL mutation."""
    if method.upper() not in WRITE_METHODS:
        return False
    if path == "/graphql":
        query = body.get("query", "") if isinstance(body, dict) else ""
        return isinstance(query, str) and query.lstrip().startswith("mutation")
    return True


class SecondaryLimits:
    """GitHub's documented secondary limit on content creation, per actor (an installation): "no more than
    80 content-generating requests per minute and no more than 500 content-generating requests per hour"
    (sliding windows here; 0 turns a window off). Off until `enforce()`; counts requests by kind always."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.per_minute = 0
        self.per_hour = 0
        self._starts: dict[str, deque[float]] = {}
        self.kinds: Counter[tuple[str, str]] = Counter()
        """(actor, kind) -> requests: kind is read, write (content-creating, admitted) or limited (refused)."""

    def enforce(self, per_minute: int = 80, per_hour: int = 500) -> None:
        with self._lock:
            self.per_minute, self.per_hour = per_minute, per_hour

    def admit(self, actor: str | None, writes: bool, now: float | None = None) -> float | None:
        """Count one request; for a refused write, the seconds until one would be admitted (Retry-After)."""
        key = actor or ""
        now = time.time() if now is None else now
        with self._lock:
            if not writes:
                self.kinds[(key, "read")] += 1
                return None
            starts = self._starts.setdefault(key, deque())
            while starts and starts[0] <= now - 3600:
                starts.popleft()
            wait = 0.0
            for window, limit in ((60.0, self.per_minute), (3600.0, self.per_hour)):
                if limit and actor is not None and actor.startswith("installation:"):
                    recent = [t for t in starts if t > now - window]
                    if len(recent) >= limit:
                        wait = max(wait, recent[-limit] + window - now)
            if wait > 0:
                self.kinds[(key, "limited")] += 1
                return wait
            starts.append(now)
            self.kinds[(key, "write")] += 1
            return None

    def counts(self, actor: str | None = None) -> dict[str, int]:
        """Requests by kind (read, write, limited), of one actor or of all."""
        with self._lock:
            out: Counter[str] = Counter()
            for (a, kind), n in self.kinds.items():
                if actor is None or a == actor:
                    out[kind] += n
            return {k: out.get(k, 0) for k in ("read", "write", "limited")}

    def reset(self) -> None:
        with self._lock:
            self._starts.clear()
            self.kinds.clear()
