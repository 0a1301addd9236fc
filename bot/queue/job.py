"""The values of the job-queue contract: a claimed Job, a stored JobRow, and RetryLater."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

JobStatus = Literal["waiting", "running", "done", "failed", "superseded"]


@dataclass(frozen=True)
class Job:
    """What a handler receives: one claimed run of a job (`attempts` counts this run, so it starts at 1)."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    installation_id: int | None
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class JobRow:
    """A row of the job table, for tests and an admin view.

    status: `waiting` (ready from `run_after`), `running` (leased by `worker` until `locked_until`),
    `done`, `failed` (`last_error` says why) or `superseded` (a retry that a newer waiting job of the same
    key replaced: that one does the work).
    """

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    installation_id: int | None
    status: str
    attempts: int
    run_after: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    locked_until: datetime | None
    worker: str | None
    last_error: str | None


class RetryLater(Exception):
    """Transient failure (network error, 5xx, rate limit): run the job again later.

    The job waits `max(retry_after, backoff)`; after `max_attempts` runs it fails with `reason`.
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
