"""`ProcrastinateQueue`: the queue contract (contract.py) on PostgreSQL with procrastinate's tables and worker.

- Deferring is SQL on the caller's connection (pg_jobs.py): the webhook records a delivery and defers its
  jobs in one transaction; `enqueue` outside one commits at once. procrastinate's insert trigger NOTIFYs the
  workers on commit.
- `run()` is a procrastinate `Worker` (`concurrency` jobs at once, heartbeats) whose one task calls our
  handler. Retries do not use procrastinate's retry strategy: a transient failure defers the key's next run
  (a new row, or the key's waiting row, which keeps its newer payload) and the row ends `succeeded` with
  `outcome: retried`; procrastinate's own retry would break its one-waiting-row-per-key index when a newer
  job is already waiting.
- Jobs of a dead worker: every worker sweeps every `lease_seconds / 2` for jobs whose worker sent no
  heartbeat (every `lease_seconds / 3`) for `lease_seconds`, and defers them again (pg_jobs.recover_stalled).
- `per_installation`: advisory-lock slots held while a job runs (slots.py), across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from bot.queue import pg_jobs
from bot.queue.backoff import backoff_delay, one_line_reason
from bot.queue.cancel import cancel_procrastinate
from bot.queue.job import Job, JobRow, RetryLater
from bot.queue.slots import InstallationSlots
from bot.queue.worker import TRANSIENT_ERRORS, Handler, check_job
from bot.store.types import utcnow

logger = logging.getLogger(__name__)


class JobFailedHere(Exception):
    """Raised to procrastinate so that it marks the row failed (the reason is in the row's args)."""


class _NoTracebackForFailedJobs(logging.Filter):
    """procrastinate logs a failed job with its traceback; ours was logged already, with the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], JobFailedHere):
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("procrastinate.worker").addFilter(_NoTracebackForFailedJobs())


class ProcrastinateQueue:
    def __init__(
        self,
        engine: Engine,
        *,
        max_attempts: int = 6,
        retry_base: float = 2.0,
        retry_max: float = 600.0,
        lease_seconds: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("the procrastinate queue needs PostgreSQL")
        if max_attempts < 1 or lease_seconds <= 0 or retry_base < 0 or retry_max < 0:
            raise ValueError("max_attempts >= 1, lease_seconds > 0 and retry delays >= 0 are required")
        self.engine = engine
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.lease_seconds = lease_seconds
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._rng = rng or random.Random()
        self.worker: Any = None  # the procrastinate Worker while run() runs

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
        with self.engine.begin() as conn:
            return self.enqueue_in(conn, kind, key, payload, installation_id, delay=delay)

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
        check_job(kind, key, delay)
        created, _job_id = pg_jobs.defer_in(
            conn, pg_jobs.job_args(kind, key, dict(payload), installation_id), delay
        )
        return created

    def cancel_in(
        self, conn: Connection, *, installation_id: int | None = None, key_prefixes: Sequence[str] = ()
    ) -> int:
        return cancel_procrastinate(conn, pg_jobs.TASK, installation_id, key_prefixes)

    def wake(self) -> None:
        """Nothing to do: procrastinate's trigger notifies the workers when the defer commits."""

    # -- recovery and housekeeping ------------------------------------------------------------------
    def recover(self, *, only_expired: bool = False) -> int:
        """Defer again the jobs of workers that stopped sending heartbeats (always only those: live peers
        keep their jobs, so `only_expired` changes nothing here)."""
        with self.engine.begin() as conn:
            changed = pg_jobs.recover_stalled(conn, self.lease_seconds, self.max_attempts)
        if changed:
            logger.warning("recovered %d job(s) of a lost worker", changed)
        return changed

    def prune(self, older_than: datetime) -> int:
        with self.engine.begin() as conn:
            return pg_jobs.prune(conn, older_than)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return pg_jobs.counts(conn)

    def list_jobs(self, status: str | None = None, key: str | None = None) -> list[JobRow]:
        with self.engine.connect() as conn:
            return pg_jobs.list_rows(conn, status, key)

    def busy(self) -> int:
        with self.engine.connect() as conn:
            return pg_jobs.busy(conn)

    async def wait_idle(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if await asyncio.to_thread(self.busy) == 0:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.02)

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
        """Run a procrastinate worker until `stop` is set (see the module doc)."""
        if concurrency < 1 or per_installation < 1 or poll_interval <= 0:
            raise ValueError("concurrency and per_installation >= 1 and poll_interval > 0 are required")
        import procrastinate
        from procrastinate.worker import Worker

        app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=self.conninfo, min_size=1, max_size=concurrency + 4
            )
        )
        slots = InstallationSlots(self.conninfo, size=concurrency)

        @app.task(name=pg_jobs.TASK, queue=pg_jobs.QUEUE_NAME, pass_context=True)
        async def report_bot_job(context: Any, **args: Any) -> None:
            await self._run_one(int(context.job.id), args, handler, slots, per_installation)

        async with app.open_async(), slots:
            worker = Worker(
                app,
                queues=[pg_jobs.QUEUE_NAME],
                concurrency=concurrency,
                fetch_job_polling_interval=max(poll_interval, 0.05),
                abort_job_polling_interval=max(self.lease_seconds / 3, 1.0),
                shutdown_graceful_timeout=shutdown_grace,
                install_signal_handlers=False,
                update_heartbeat_interval=self.lease_seconds / 3,
                stalled_worker_timeout=self.lease_seconds,
            )
            self.worker = worker
            running = asyncio.create_task(worker.run(), name="procrastinate worker")
            sweeper = asyncio.create_task(self._sweep_forever(), name="stalled-job sweep")
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sweeper.cancel()
                stopping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
                while not running.done():  # again until it ends: Worker.run() forgets a stop before its start
                    worker.stop()
                    await asyncio.wait({running}, timeout=0.5)
                await running
                self.worker = None

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.recover)
            except Exception as exc:  # the database is down: the next sweep tries again
                logger.error("job queue: cannot recover stalled jobs: %s", one_line_reason(exc))
            await asyncio.sleep(max(self.lease_seconds / 2, 0.2))

    async def _run_one(
        self, row_id: int, args: dict[str, Any], handler: Handler, slots: InstallationSlots, limit: int
    ) -> None:
        attempts = int(args.get("attempts") or 0) + 1
        job = Job(
            id=row_id,
            kind=str(args["kind"]),
            key=str(args["key"]),
            payload=dict(args.get("payload") or {}),
            installation_id=args.get("installation_id"),
            attempts=attempts,
            created_at=utcnow(),
        )
        where = f"job {row_id} ({job.kind} {job.key}) attempt {attempts}"
        try:
            async with slots.hold(job.installation_id, limit):
                await handler(job)
        except asyncio.CancelledError:  # a shutdown past its grace: give the run back, uncounted
            await asyncio.shield(self._db(self._requeue, row_id, args, 0.0, None))
            raise
        except TRANSIENT_ERRORS as exc:
            reason = one_line_reason(exc)
            if attempts >= self.max_attempts:
                logger.error("%s failed, giving up after %d attempts: %s", where, attempts, reason)
                failed = f"gave up after {attempts} attempts: {reason}"
                await asyncio.shield(self._db(self._note, row_id, failed))
                raise JobFailedHere(failed) from None
            retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
            delay = backoff_delay(attempts, self.retry_base, self.retry_max, retry_after, self._rng)
            logger.warning("%s failed, retrying in %.1f s: %s", where, delay, reason)
            await asyncio.shield(
                self._db(self._requeue, row_id, {**args, "attempts": attempts}, delay, reason)
            )
        except Exception as exc:
            reason = one_line_reason(exc)
            logger.error("%s failed: %s", where, reason, exc_info=exc)
            await asyncio.shield(self._db(self._note, row_id, reason))
            raise JobFailedHere(reason) from None

    def _requeue(self, row_id: int, args: dict[str, Any], delay: float, reason: str | None) -> None:
        with self.engine.begin() as conn:
            pg_jobs.requeue_in(conn, args, delay, reason)
            pg_jobs.note(conn, row_id, outcome="retried", last_error=reason)

    def _note(self, row_id: int, reason: str) -> None:
        with self.engine.begin() as conn:
            pg_jobs.note(conn, row_id, last_error=reason)

    @staticmethod
    async def _db(fn: Any, *args: Any) -> None:
        await asyncio.to_thread(fn, *args)
