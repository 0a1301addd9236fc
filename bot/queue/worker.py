"""`JobQueue`: the durable job table (see `table.py`) worked by an asyncio worker in this process.

Recovery of jobs whose worker died:
- `recover()` at start (embedded `report-bot serve`, one process owns the database): every `running` row was
  left by a dead process and waits again at once;
- `recover(only_expired=True)` when several worker processes share PostgreSQL: only rows whose lease
  (`locked_until`) has expired, so live peers keep their jobs. `run()` also sweeps expired leases every half
  lease, so a peer that dies is covered without a restart. A run that is lost counts as an attempt, so a job
  that kills its worker every time ends `failed` after `max_attempts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from bot.queue.backoff import backoff_delay, one_line_reason
from bot.queue.cancel import cancel_embedded
from bot.queue.job import Job, JobRow, RetryLater
from bot.queue.table import JobTable
from bot.store.types import utcnow

logger = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[None]]
T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    RetryLater,
    httpx.TransportError,
    TimeoutError,
    OSError,
    OperationalError,
)
_DB_TRIES = 5


@dataclass
class _Lease:
    lost: bool = False


class JobQueue:
    def __init__(
        self,
        engine: Engine,
        *,
        max_attempts: int = 6,
        retry_base: float = 2.0,
        retry_max: float = 600.0,
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1 or lease_seconds <= 0 or retry_base < 0 or retry_max < 0:
            raise ValueError("max_attempts >= 1, lease_seconds > 0 and retry delays >= 0 are required")
        self.engine = engine
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.lease_seconds = lease_seconds
        self.worker_id = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._table = JobTable(engine, clock=clock, lease_seconds=lease_seconds)
        self._rng = rng or random.Random()
        self._wakers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._wakers_lock = threading.Lock()
        self._active: dict[int, asyncio.Task[None]] = {}  # jobs this queue's run() is running now
        self._running = False

    # -- producing ----------------------------------------------------------------------------------
    def enqueue(
        self,
        kind: str,
        key: str,
        payload: dict[str, Any],
        installation_id: int | None = None,
        *,
        delay: float = 0.0,
    ) -> bool:
        """Add a job, ready `delay` seconds from now; False when it coalesced into the key's waiting job
        (which now has this payload and keeps its time).

        Synchronous and short; from async code prefer `await enqueue_async(...)` (SQLite may wait for its
        write lock). Wakes this queue's running workers at once.
        """
        check_job(kind, key, delay)
        created, _job_id = self._table.enqueue(kind, key, dict(payload), installation_id, delay)
        self._wake()
        return created

    async def enqueue_async(
        self,
        kind: str,
        key: str,
        payload: dict[str, Any],
        installation_id: int | None = None,
        *,
        delay: float = 0.0,
    ) -> bool:
        return await asyncio.to_thread(
            partial(self.enqueue, kind, key, payload, installation_id, delay=delay)
        )

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
        """`enqueue` inside the caller's open transaction on this queue's database; call `wake()` once it
        is committed."""
        check_job(kind, key, delay)
        created, _job_id = self._table.enqueue_in(conn, kind, key, dict(payload), installation_id, delay)
        return created

    def cancel_in(
        self, conn: Connection, *, installation_id: int | None = None, key_prefixes: Sequence[str] = ()
    ) -> int:
        return cancel_embedded(conn, installation_id, key_prefixes)

    def wake(self) -> None:
        """Wake this queue's running workers (new jobs were committed)."""
        self._wake()

    def _wake(self) -> None:
        with self._wakers_lock:
            wakers = list(self._wakers)
        for loop, event in wakers:
            with contextlib.suppress(RuntimeError):  # that loop is closed
                loop.call_soon_threadsafe(event.set)

    # -- recovery and housekeeping ------------------------------------------------------------------
    def recover(self, *, only_expired: bool = False) -> int:
        """Make jobs left `running` by a dead worker wait again; returns how many. See the module doc.

        Call it before `run()`; jobs this queue is running itself are never touched."""
        return self._table.recover(
            only_expired=only_expired, max_attempts=self.max_attempts, exclude_worker=self.worker_id
        )

    def prune(self, older_than: datetime) -> int:
        """Delete finished jobs (done, failed, superseded) whose `finished_at` is before `older_than`."""
        return self._table.prune(older_than)

    def get(self, job_id: int) -> JobRow | None:
        return self._table.get(job_id)

    def list_jobs(self, status: str | None = None, key: str | None = None) -> list[JobRow]:
        return self._table.list_jobs(status, key)

    def counts(self) -> dict[str, int]:
        """Number of jobs by status (for /metrics)."""
        return self._table.counts()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is waiting or running; False if that did not happen within `timeout` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if await asyncio.to_thread(self._table.busy) == 0:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.01)

    # -- the worker ---------------------------------------------------------------------------------
    async def run(
        self,
        handler: Handler,
        stop: asyncio.Event,
        *,
        concurrency: int = 4,
        per_installation: int = 2,
        poll_interval: float = 0.2,
        shutdown_grace: float = 30.0,
    ) -> None:
        """Run jobs until `stop` is set: at most `concurrency` here, `per_installation` per installation
        (across processes), one per key. On stop, running jobs get `shutdown_grace` seconds to finish; then
        they are cancelled and given back (their attempt does not count). Cancelling `run()` itself cancels
        and gives back its jobs at once."""
        if concurrency < 1 or per_installation < 1 or poll_interval <= 0:
            raise ValueError("concurrency and per_installation >= 1 and poll_interval > 0 are required")
        if self._running:
            raise RuntimeError("this JobQueue is already running; use one run() per JobQueue")
        self._running = True
        try:
            await self._run(handler, stop, concurrency, per_installation, poll_interval, shutdown_grace)
        finally:
            self._running = False

    async def _run(
        self,
        handler: Handler,
        stop: asyncio.Event,
        concurrency: int,
        per_installation: int,
        poll_interval: float,
        shutdown_grace: float,
    ) -> None:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        waker = (loop, wake)
        with self._wakers_lock:
            self._wakers.add(waker)
        active = self._active
        sweep_every = max(self.lease_seconds / 2, poll_interval)
        next_sweep = loop.time() + sweep_every
        stop_wait = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                wake.clear()
                try:
                    if loop.time() >= next_sweep:
                        next_sweep = loop.time() + sweep_every
                        await self._db(self._sweep, frozenset(active))
                    while len(active) < concurrency and not stop.is_set():
                        free = concurrency - len(active)
                        jobs = await self._claim(per_installation, free)
                        for job in jobs:
                            task = asyncio.create_task(self._execute(job, handler), name=f"job-{job.id}")
                            active[job.id] = task
                            task.add_done_callback(partial(self._job_ended, active, job.id, wake))
                        if len(jobs) < free:
                            break
                except Exception as exc:  # the database is down: keep the running jobs, try again later
                    logger.error("job queue: cannot claim jobs: %s", one_line_reason(exc))
                if stop.is_set():
                    break
                wake_wait = asyncio.ensure_future(wake.wait())
                await asyncio.wait(
                    {wake_wait, stop_wait}, timeout=poll_interval, return_when=asyncio.FIRST_COMPLETED
                )
                wake_wait.cancel()
        except asyncio.CancelledError:
            await self._cancel_jobs(active)
            raise
        finally:
            stop_wait.cancel()
            with self._wakers_lock:
                self._wakers.discard(waker)
        if active:
            _done, pending = await asyncio.wait(set(active.values()), timeout=shutdown_grace)
            if pending:
                logger.warning(
                    "shutdown: %d job(s) still running after %.0f s, giving them back",
                    len(pending),
                    shutdown_grace,
                )
                await self._cancel_jobs(active)

    async def _claim(self, per_installation: int, limit: int) -> list[Job]:
        """Claim jobs; if `run()` is cancelled meanwhile, give back what the claim got before re-raising."""
        claiming = asyncio.ensure_future(self._db(self._table.claim, self.worker_id, per_installation, limit))
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                for job in await claiming:
                    self._table.release(job.id, self.worker_id)
            raise

    def _sweep(self, exclude_ids: frozenset[int]) -> int:
        return self._table.recover(only_expired=True, max_attempts=self.max_attempts, exclude_ids=exclude_ids)

    @staticmethod
    async def _cancel_jobs(active: dict[int, asyncio.Task[None]]) -> None:
        tasks = list(active.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    def _job_ended(
        active: dict[int, asyncio.Task[None]], job_id: int, wake: asyncio.Event, task: asyncio.Task[None]
    ) -> None:
        active.pop(job_id, None)
        wake.set()
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("job %s: worker error", job_id, exc_info=exc)

    async def _execute(self, job: Job, handler: Handler) -> None:
        lease = _Lease()
        this_task = asyncio.current_task()
        assert this_task is not None
        keeper = asyncio.create_task(self._keep_lease(job.id, this_task, lease))
        outcome: BaseException | None = None
        try:
            await handler(job)
        except asyncio.CancelledError:
            keeper.cancel()
            if lease.lost:
                return  # another worker owns the job now; leave its row alone
            try:
                await asyncio.shield(self._db(self._table.release, job.id, self.worker_id))
            except Exception as exc:  # its lease will expire and a sweep will put it back
                logger.error("job %s: could not give back after cancel: %s", job.id, one_line_reason(exc))
            raise
        except Exception as exc:
            outcome = exc
        finally:
            keeper.cancel()
        # The run is over: record its outcome even if a shutdown cancels this task meanwhile.
        await asyncio.shield(self._record(job, outcome))

    async def _record(self, job: Job, outcome: BaseException | None) -> None:
        where = f"job {job.id} ({job.kind} {job.key}) attempt {job.attempts}"
        if outcome is None:
            owned = await self._db(self._table.complete, job.id, self.worker_id)
        elif isinstance(outcome, TRANSIENT_ERRORS):
            reason = one_line_reason(outcome)
            if job.attempts >= self.max_attempts:
                logger.error("%s failed, giving up after %d attempts: %s", where, job.attempts, reason)
                owned = await self._db(
                    self._table.fail,
                    job.id,
                    self.worker_id,
                    f"gave up after {job.attempts} attempts: {reason}",
                )
            else:
                retry_after = outcome.retry_after if isinstance(outcome, RetryLater) else None
                delay = backoff_delay(job.attempts, self.retry_base, self.retry_max, retry_after, self._rng)
                logger.warning("%s failed, retrying in %.1f s: %s", where, delay, reason)
                if not isinstance(outcome, RetryLater):
                    logger.debug("%s transient error", where, exc_info=outcome)
                owned = await self._db(self._table.retry, job.id, self.worker_id, reason, delay) is not None
        else:
            reason = one_line_reason(outcome)
            logger.error("%s failed: %s", where, reason, exc_info=outcome)
            owned = await self._db(self._table.fail, job.id, self.worker_id, reason)
        if not owned:
            logger.warning("%s ended after its lease was lost; its outcome was not recorded", where)

    async def _keep_lease(self, job_id: int, task: asyncio.Task[None], lease: _Lease) -> None:
        interval = self.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                held = await asyncio.to_thread(self._table.renew, job_id, self.worker_id)
            except Exception as exc:
                logger.warning("job %s: lease renewal failed: %s", job_id, one_line_reason(exc))
                continue
            if not held:
                logger.warning(
                    "job %s: lease lost (another worker took it over); cancelling this run", job_id
                )
                lease.lost = True
                task.cancel()
                return

    @staticmethod
    async def _db(fn: Callable[..., T], *args: Any) -> T:
        """Run a job-table call in a thread, retrying briefly when the database is unavailable."""
        for attempt in range(_DB_TRIES):
            try:
                return await asyncio.to_thread(fn, *args)
            except OperationalError as exc:
                if attempt == _DB_TRIES - 1:
                    raise
                logger.warning("job table: %s; retrying", one_line_reason(exc))
                await asyncio.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")


def check_job(kind: str, key: str, delay: float) -> None:
    if not kind or not key:
        raise ValueError("a job needs a kind and a key")
    if len(key) > 1000 or len(kind) > 64:
        raise ValueError("job key (1000) or kind (64 characters) too long")
    if delay < 0:
        raise ValueError("delay must be >= 0")
