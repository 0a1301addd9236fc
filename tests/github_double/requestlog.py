"""Every request the double answered, for counting API calls in tests, with the GraphQL fields each read
that the double does not model."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .faults import Pattern, matches


@dataclass(frozen=True)
class LoggedRequest:
    time: float  # time.time() when the request arrived
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the JSON body, or None
    status: int  # 0 when no response was sent (a "timeout" fault)
    duration: float
    actor: str | None  # "installation:<id>", "user:<login>", "app" or None (unauthenticated)
    fault: str | None  # the injected fault's kind, if one was applied
    unmodelled: tuple[str, ...] = ()  # GraphQL fields read that the double does not model ("Type.field")


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        since: float | None = None,
        *,
        path: Pattern = None,
    ) -> list[LoggedRequest]:
        with self._lock:
            found = list(self._entries)
        return [
            e
            for e in found
            if matches(method, path, e.method, e.path)
            and (path_prefix is None or e.path.startswith(path_prefix))
            and (since is None or e.time >= since)
        ]

    def unmodelled(self, since: float | None = None) -> list[str]:
        """Each `Type.field` a GraphQL request read that the double does not model, once, in order."""
        seen: dict[str, None] = {}
        for entry in self.entries(since=since):
            seen.update(dict.fromkeys(entry.unmodelled))
        return list(seen)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
