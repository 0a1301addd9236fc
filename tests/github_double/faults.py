"""Fault injection: latency and failures queued for the next requests that match a method and path.

A path pattern is a glob over the request path (`fnmatch`, `*` also crosses `/`), e.g.
`/repos/*/issues` or `/repos/org/repo/issues/*/comments`, or a compiled regex (searched).
`None` matches every method / path.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass

Pattern = str | re.Pattern[str] | None

KINDS = ("status", "secondary_rate_limit", "primary_rate_limit", "timeout", "succeed_then_fail")


def matches(method: str | None, path: Pattern, req_method: str, req_path: str) -> bool:
    if method not in (None, "*") and method.upper() != req_method.upper():
        return False
    if path is None:
        return True
    if isinstance(path, re.Pattern):
        return path.search(req_path) is not None
    return fnmatch.fnmatchcase(req_path, path)


@dataclass
class Fault:
    kind: str
    method: str | None
    path: Pattern
    remaining: int
    status: int = 500
    retry_after: int = 60
    reset_in: int = 60
    hang: float = 60.0


@dataclass
class Latency:
    method: str | None
    path: Pattern
    seconds: float


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._latency: list[Latency] = []

    def add(self, fault: Fault) -> None:
        if fault.kind not in KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first queued fault for this request, used up by it."""
        with self._lock:
            for fault in self._faults:
                if matches(fault.method, fault.path, method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)

    def set_latency(self, seconds: float, method: str | None = None, path: Pattern = None) -> None:
        with self._lock:
            self._latency.append(Latency(method, path, seconds))

    def latency(self, method: str, path: str) -> float:
        """The longest latency among the rules that match."""
        with self._lock:
            return max(
                (x.seconds for x in self._latency if matches(x.method, x.path, method, path)), default=0.0
            )

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._latency.clear()
