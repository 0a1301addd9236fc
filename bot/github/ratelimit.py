"""What GitHub's answers say about the rate limit, per installation, and every request seen.

`response_hook` is an httpx event hook for one githubkit client: after each answer it records the
`x-ratelimit-*` headers in a `RateBook` (per installation, or `None` for the App's own JWT calls) and tells
an optional listener (the metrics) the endpoint group and status. The backfill paces itself with the
book; the status page and `/metrics` show it.

A rate-limit answer (403 or 429 with `retry-after`, `x-ratelimit-remaining: 0`, or GitHub's "secondary rate
limit" message) also tells `on_limited` how long GitHub asked the installation to wait (`limited_for`): the
write pacer pauses that installation's writes, in every process, until then."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

Listener = Callable[[int | None, str, int], None]
"""(installation id or None, endpoint group, HTTP status)"""
OnLimited = Callable[[int | None, float], Awaitable[None]]
"""(installation id or None, seconds GitHub asked to wait)"""

SECONDARY_DEFAULT_WAIT = 60.0
"""GitHub: without retry-after or x-ratelimit-reset, "wait for at least one minute before retrying"."""


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset: float
    """Unix time when the window starts again."""
    seen_at: float


class RateBook:
    """The latest rate-limit headers per installation (thread-safe; the last answer wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[tuple[int | None, str], RateState] = {}

    def record(self, installation_id: int | None, headers: httpx.Headers) -> None:
        try:
            limit = int(headers["x-ratelimit-limit"])
            remaining = int(headers["x-ratelimit-remaining"])
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return
        resource = headers.get("x-ratelimit-resource", "core")
        if resource not in ("core", "graphql"):
            return  # search and other small buckets say nothing about the main budgets
        with self._lock:
            self._states[(installation_id, resource)] = RateState(limit, remaining, reset, time.time())

    def budgets(self, installation_id: int | None) -> dict[str, RateState]:
        """The installation's budgets by resource (core, graphql) whose window has not ended."""
        now = time.time()
        with self._lock:
            return {
                res: st
                for (inst, res), st in self._states.items()
                if inst == installation_id and st.reset > now
            }

    def get(self, installation_id: int | None) -> RateState | None:
        """The installation's tightest budget (the smallest share left)."""
        found = self.budgets(installation_id).values()
        return min(found, key=lambda s: s.remaining / max(s.limit, 1), default=None)

    def all(self) -> dict[int | None, RateState]:
        """The tightest budget of every installation seen."""
        with self._lock:
            installs = {inst for inst, _ in self._states}
        return {inst: st for inst in installs if (st := self.get(inst)) is not None}

    def forget(self, installation_id: int) -> None:
        with self._lock:
            for key in [k for k in self._states if k[0] == installation_id]:
                del self._states[key]


def endpoint_group(path: str) -> str:
    """A bounded label for a request path: `/repos/o/r/issues/5/comments` → `repos/issues`."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "root"
    if parts[0] == "api" and len(parts) > 1 and parts[1] == "v3":  # GitHub Enterprise Server
        parts = parts[2:] or ["root"]
    if parts[0] == "repos":
        return f"repos/{parts[3]}" if len(parts) > 3 else "repos"
    if parts[0] in ("graphql", "app", "installation", "app-manifests", "orgs", "users", "rate_limit"):
        return parts[0]
    return "other"


def limited_for(status: int, headers: httpx.Headers, message: str, now: float | None = None) -> float | None:
    """Seconds GitHub asks to wait before the next request, when this answer is a rate-limit one, else None
    (GitHub's order: retry-after first, then x-ratelimit-reset when nothing is left, else a minute)."""
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after", "")
    if retry_after.strip().isdigit():
        return float(retry_after)
    if headers.get("x-ratelimit-remaining") == "0":
        try:
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return SECONDARY_DEFAULT_WAIT
        return max(reset - (time.time() if now is None else now), 1.0)
    if status == 429 or "rate limit" in message.lower():
        return SECONDARY_DEFAULT_WAIT
    return None  # a 403 for something else (permissions)


def response_hook(
    book: RateBook,
    installation_id: int | None,
    listener: Listener | None = None,
    on_limited: OnLimited | None = None,
) -> Any:
    """An httpx `response` event hook (githubkit's `async_event_hooks`) that records each answer."""

    async def hook(response: httpx.Response) -> None:
        book.record(installation_id, response.headers)
        if listener is not None:
            listener(installation_id, endpoint_group(response.request.url.path), response.status_code)
        if on_limited is not None and response.status_code in (403, 429):
            message = ""
            if "retry-after" not in response.headers and response.headers.get("x-ratelimit-remaining") != "0":
                message = (await response.aread())[:2000].decode("utf-8", "replace")  # GitHub's message
            wait = limited_for(response.status_code, response.headers, message)
            if wait is not None:
                await on_limited(installation_id, wait)

    return hook
