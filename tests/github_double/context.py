"""What the HTTP side of the double shares with the test-side controls."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .faults import Faults
from .ratelimit import RateLimits, SecondaryLimits
from .requestlog import RequestLog
from .state import GitHubState


@dataclass
class Context:
    state: GitHubState
    public_key: str | bytes | None = None
    log: RequestLog = field(default_factory=RequestLog)
    faults: Faults = field(default_factory=Faults)
    rate: RateLimits = field(default_factory=RateLimits)
    secondary: SecondaryLimits = field(default_factory=SecondaryLimits)
    stopping: threading.Event = field(default_factory=threading.Event)
