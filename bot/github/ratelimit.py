"""What GitHub's answers say about the rate limit, per installation, and every request seen.

`response_hook` is an httpx event hook for one githubkit client: after each answer it records the
`x-ratelimit-*` headers in a `RateBook` (per installation, or `None` for the App's own JWT calls) and tells
an optional listener (the metrics) the endpoint group and status. The backfill paces itself with the
book; the status page and `/metrics` show it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

Listener = Callable[[int | None, str, int], None]
"""(installation id or None, endpoint group, HTTP status)"""


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
        self._states: dict[int | None, RateState] = {}

    def record(self, installation_id: int | None, headers: httpx.Headers) -> None:
        try:
            limit = int(headers["x-ratelimit-limit"])
            remaining = int(headers["x-ratelimit-remaining"])
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return
        if headers.get("x-ratelimit-resource", "core") not in ("core", "graphql"):
            return  # search and other small buckets say nothing about the core budget
        with self._lock:
            self._states[installation_id] = RateState(limit, remaining, reset, time.time())

    def get(self, installation_id: int | None) -> RateState | None:
        with self._lock:
            return self._states.get(installation_id)

    def all(self) -> dict[int | None, RateState]:
        with self._lock:
            return dict(self._states)

    def forget(self, installation_id: int) -> None:
        with self._lock:
            self._states.pop(installation_id, None)


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


def response_hook(book: RateBook, installation_id: int | None, listener: Listener | None = None) -> Any:
    """An httpx `response` event hook (githubkit's `async_event_hooks`) that records each answer."""

    async def hook(response: httpx.Response) -> None:
        book.record(installation_id, response.headers)
        if listener is not None:
            listener(installation_id, endpoint_group(response.request.url.path), response.status_code)

    return hook
