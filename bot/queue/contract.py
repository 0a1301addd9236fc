"""`Queue`: what the web, the job bodies and the CLI need of a job queue; both backends satisfy it.

- `JobQueue` (worker.py over table.py): the embedded queue, a table in our own database (SQLite, or
  PostgreSQL for tests and small setups), worked by `run()` in the same process;
- `ProcrastinateQueue` (procrastinate_queue.py): PostgreSQL with procrastinate's tables and workers, for web
  replicas that only defer and `report-bot worker` processes that run the jobs.

Guarantees of both (tests/test_queue_contract.py runs the same tests on each):
- jobs are keyed: at most one waiting job per key, and a second enqueue replaces its payload (the newest
  payload wins; `enqueue` returns False then); one running job per key at a time;
- `delay` runs a new job no earlier than that many seconds from now (a coalesced one keeps its time);
- a handler raising `RetryLater` (or a network error) runs again after `max(retry_after, backoff)`; after
  `max_attempts` runs the job fails with the reason kept; any other exception fails it at once;
- the job of a worker that died runs again (once), in another worker or after a restart;
- at most `per_installation` jobs of one installation run at once, across processes.

`Job.attempts` counts the runs of the work (1 on the first). `Job.id` names this run's row: the embedded
queue keeps one row across retries, procrastinate's backend defers a new one per retry (logs only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import Connection

from bot.queue.job import JobRow

__all__ = ["Queue"]


@runtime_checkable
class Queue(Protocol):
    max_attempts: int

    def enqueue(
        self,
        kind: str,
        key: str,
        payload: dict[str, Any],
        installation_id: int | None = None,
        *,
        delay: float = 0.0,
    ) -> bool:
        """Add a job (committed at once); False when it coalesced into the key's waiting job."""
        ...

    async def enqueue_async(
        self,
        kind: str,
        key: str,
        payload: dict[str, Any],
        installation_id: int | None = None,
        *,
        delay: float = 0.0,
    ) -> bool: ...

    def enqueue_in(
        self,
        conn: Connection,
        kind: str,
        key: str,
        payload: dict[str, Any],
        installation_id: int | None = None,
        *,
        delay: float = 0.0,
    ) -> bool:
        """`enqueue` inside the caller's open transaction on the store's database (stored with it or not at
        all); call `wake()` once it is committed."""
        ...

    def cancel_in(
        self, conn: Connection, *, installation_id: int | None = None, key_prefixes: Sequence[str] = ()
    ) -> int:
        """Inside the caller's transaction: cancel the waiting jobs whose key starts with one of
        `key_prefixes`, and every waiting job of `installation_id` (uninstalled); returns how many."""
        ...

    def wake(self) -> None: ...

    def recover(self, *, only_expired: bool = False) -> int:
        """Put jobs of dead workers back to wait; returns how many."""
        ...

    def prune(self, older_than: datetime) -> int:
        """Delete finished jobs older than `older_than`; returns how many."""
        ...

    def counts(self) -> dict[str, int]:
        """Jobs by status: waiting, running, done, failed, superseded (status page, /metrics)."""
        ...

    def list_jobs(self, status: str | None = None, key: str | None = None) -> list[JobRow]: ...

    async def wait_idle(self, timeout: float) -> bool:
        """True once no job is waiting or running; False after `timeout` seconds."""
        ...

    async def run(
        self,
        handler: Any,
        stop: asyncio.Event,
        *,
        concurrency: int = 4,
        per_installation: int = 2,
        poll_interval: float = 0.2,
        shutdown_grace: float = 30.0,
    ) -> None:
        """Work jobs with `handler(job: Job)` until `stop` is set; running jobs get `shutdown_grace` seconds,
        then they are given back (their attempt does not count)."""
        ...
