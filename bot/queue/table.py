"""The job table's state changes, each one short transaction (synchronous; the worker calls them in threads).
Race-freedom comes from the database, not from this process:
- at most one `waiting` and one `running` row per key: partial unique indexes (`uq_jobs_waiting_key`,
  `uq_jobs_running_key`); a transition that would break them raises IntegrityError and is retried;
- claiming: SQLite serialises writers (`BEGIN IMMEDIATE`); PostgreSQL picks the row with
  `FOR UPDATE SKIP LOCKED` and re-counts an installation's running jobs under a transaction-scoped advisory
  lock of that installation, so `per_installation` holds across processes too;
- every change of a running row checks `worker` and `status`, so a worker that lost its lease changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Engine,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from bot.queue.job import Job, JobRow
from bot.store.engine import reader
from bot.store.models import jobs_table
from bot.store.sql import upsert_insert
from bot.store.types import UTCDateTime

logger = logging.getLogger(__name__)
jobs = jobs_table
_other = jobs.alias("other")
_WAITING_ONLY = text("status = 'waiting'")
_CONFLICT_RETRIES = 20
_PG_INSTALLATION_LOCK_BASE = 0x5242 << 44  # advisory-lock ids for installations: base + installation id
FINISHED = ("done", "failed", "superseded")

# The hot statements are built once: SQLAlchemy then reuses their cache keys and compiled SQL. Status
# literals are inlined so that SQLite can use the partial indexes.
_IS_WAITING = jobs.c.status == literal_column("'waiting'")
_IS_RUNNING = jobs.c.status == literal_column("'running'")
_OTHER_RUNNING = _other.c.status == literal_column("'running'")
_CLAIM_CANDIDATE = (
    select(jobs.c.id, jobs.c.installation_id)
    .where(
        _IS_WAITING,
        jobs.c.run_after <= bindparam("p_now", type_=UTCDateTime()),
        ~exists().where(_other.c.key == jobs.c.key, _OTHER_RUNNING),
        or_(
            jobs.c.installation_id.is_(None),
            select(func.count())
            .select_from(_other)
            .where(_other.c.installation_id == jobs.c.installation_id, _OTHER_RUNNING)
            .scalar_subquery()
            < bindparam("p_per_installation"),
        ),
    )
    .order_by(jobs.c.run_after, jobs.c.id)
    .limit(1)
    .with_for_update(skip_locked=True, of=jobs)
)
_INSTALLATION_RUNNING = (
    select(func.count())
    .select_from(jobs)
    .where(jobs.c.installation_id == bindparam("p_installation"), _IS_RUNNING)
)
_CLAIM = (
    update(jobs)
    .where(jobs.c.id == bindparam("p_id"), _IS_WAITING)
    .values(
        status="running",
        attempts=jobs.c.attempts + 1,
        started_at=bindparam("p_now", type_=UTCDateTime()),
        locked_until=bindparam("p_until", type_=UTCDateTime()),
        worker=bindparam("p_worker"),
    )
    .returning(*jobs.c)
)
_OWNED = (jobs.c.id == bindparam("p_id"), jobs.c.worker == bindparam("p_worker"), _IS_RUNNING)
_RENEW = update(jobs).where(*_OWNED).values(locked_until=bindparam("p_until", type_=UTCDateTime()))
_FINISH = (
    update(jobs)
    .where(*_OWNED)
    .values(
        status=bindparam("p_status"),
        finished_at=bindparam("p_now", type_=UTCDateTime()),
        locked_until=None,
        last_error=bindparam("p_reason"),
    )
)
_COALESCE = (
    update(jobs)
    .where(jobs.c.key == bindparam("p_key"), _IS_WAITING)
    .values(payload=bindparam("p_payload", type_=JSON()), installation_id=bindparam("p_installation"))
    .returning(jobs.c.id)
)


class JobTable:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime], lease_seconds: float) -> None:
        self.engine = engine
        self._reader = reader(engine)
        self._clock = clock
        self._lease = timedelta(seconds=lease_seconds)
        self._postgres = engine.dialect.name == "postgresql"
        now = bindparam("p_now", type_=UTCDateTime())
        self._insert_waiting = (
            upsert_insert(engine, jobs)
            .values(
                kind=bindparam("p_kind"),
                key=bindparam("p_key"),
                payload=bindparam("p_payload", type_=JSON()),
                installation_id=bindparam("p_installation"),
                status="waiting",
                attempts=0,
                run_after=bindparam("p_run_after", type_=UTCDateTime()),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"], index_where=_WAITING_ONLY)
            .returning(jobs.c.id)
        )

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def _retrying(self, attempt: Callable[[], Any]) -> Any:
        """Run a write transaction again when a concurrent one made it break a unique index."""
        for _ in range(_CONFLICT_RETRIES):
            try:
                return attempt()
            except IntegrityError:
                logger.debug("job table conflict, retrying", exc_info=True)
        return attempt()

    # -- enqueue ------------------------------------------------------------------------------------
    def enqueue(
        self, kind: str, key: str, payload: dict[str, Any], installation_id: int | None, delay: float = 0.0
    ) -> tuple[bool, int]:
        """(True, id) for a new waiting job (ready `delay` seconds from now); (False, id) when the key's
        waiting job took the new payload (it keeps its `run_after`)."""
        json.dumps(payload)  # fail here, not in a worker, when the payload is not JSON

        def attempt() -> tuple[bool, int] | None:
            now = self._clock()
            with self._write() as conn:
                inserted = conn.execute(
                    self._insert_waiting,
                    {
                        "p_kind": kind,
                        "p_key": key,
                        "p_payload": payload,
                        "p_installation": installation_id,
                        "p_now": now,
                        "p_run_after": now + timedelta(seconds=delay),
                    },
                ).first()
                if inserted is not None:
                    return True, inserted.id
                coalesced = conn.execute(
                    _COALESCE, {"p_key": key, "p_payload": payload, "p_installation": installation_id}
                ).first()
                return None if coalesced is None else (False, coalesced.id)

        for _ in range(_CONFLICT_RETRIES):
            # None: the waiting job was claimed between the two statements; insert again.
            result: tuple[bool, int] | None = self._retrying(attempt)
            if result is not None:
                return result
        raise RuntimeError(f"could not enqueue job {key!r}: the key kept changing state")

    def enqueue_in(
        self, conn: Connection, kind: str, key: str, payload: dict[str, Any], inst: int | None, delay: float
    ) -> tuple[bool, int]:
        """`enqueue` inside the caller's open transaction (committed or rolled back with it), so that a
        delivery's record and its jobs are stored together or not at all. Each try runs in a savepoint."""
        json.dumps(payload)
        params = {"p_kind": kind, "p_key": key, "p_payload": payload, "p_installation": inst}
        for _ in range(_CONFLICT_RETRIES):
            try:
                with conn.begin_nested():
                    now = self._clock()
                    times = {"p_now": now, "p_run_after": now + timedelta(seconds=delay)}
                    inserted = conn.execute(self._insert_waiting, {**params, **times}).first()
                    if inserted is not None:
                        return True, inserted.id
                    coalesced = conn.execute(_COALESCE, params).first()
                    if coalesced is not None:
                        return False, coalesced.id
            except IntegrityError:
                logger.debug("job table conflict, retrying", exc_info=True)
        raise RuntimeError(f"could not enqueue job {key!r}: the key kept changing state")

    # -- claim --------------------------------------------------------------------------------------
    def claim(self, worker: str, per_installation: int, limit: int = 1) -> list[Job]:
        """Lease up to `limit` ready jobs (in one transaction), each one of a key that is not running and of
        an installation with a free slot; oldest `run_after` first."""
        try:
            with self._write() as conn:
                claimed: list[Job] = []
                while len(claimed) < limit:
                    job = self._claim_one(conn, worker, per_installation, first=not claimed)
                    if job is None:
                        break
                    claimed.append(job)
                return claimed
        except IntegrityError:
            # Another process started one of these keys between our check and our update: try again later.
            return []

    def _claim_one(self, conn: Connection, worker: str, per_installation: int, *, first: bool) -> Job | None:
        now = self._clock()
        candidate = conn.execute(
            _CLAIM_CANDIDATE, {"p_now": now, "p_per_installation": per_installation}
        ).first()
        if candidate is None:
            return None
        if self._postgres and candidate.installation_id is not None:
            # Serialise the installation's claims across processes, then count again. Only the first claim
            # of a transaction may wait for the lock (it holds no other): no deadlock between two batches.
            lock_id = _PG_INSTALLATION_LOCK_BASE + candidate.installation_id
            if first:
                conn.execute(select(func.pg_advisory_xact_lock(lock_id)))
            elif not conn.execute(select(func.pg_try_advisory_xact_lock(lock_id))).scalar_one():
                return None
            running = conn.execute(
                _INSTALLATION_RUNNING, {"p_installation": candidate.installation_id}
            ).scalar_one()
            if running >= per_installation:
                return None
        row = conn.execute(
            _CLAIM, {"p_id": candidate.id, "p_now": now, "p_until": now + self._lease, "p_worker": worker}
        ).first()
        if row is None:
            return None
        return Job(
            id=row.id,
            kind=row.kind,
            key=row.key,
            payload=dict(row.payload),
            installation_id=row.installation_id,
            attempts=row.attempts,
            created_at=row.created_at,
        )

    # -- a running job's end ------------------------------------------------------------------------
    def renew(self, job_id: int, worker: str) -> bool:
        """Extend the lease; False when this worker no longer holds the job."""
        with self._write() as conn:
            until = self._clock() + self._lease
            result = conn.execute(_RENEW, {"p_id": job_id, "p_worker": worker, "p_until": until})
            return result.rowcount > 0

    def complete(self, job_id: int, worker: str) -> bool:
        return self._finish(job_id, worker, "done", None)

    def fail(self, job_id: int, worker: str, reason: str) -> bool:
        return self._finish(job_id, worker, "failed", reason)

    def _finish(self, job_id: int, worker: str, status: str, reason: str | None) -> bool:
        params = {
            "p_id": job_id,
            "p_worker": worker,
            "p_status": status,
            "p_now": self._clock(),
            "p_reason": reason,
        }
        with self._write() as conn:
            return conn.execute(_FINISH, params).rowcount > 0

    def retry(self, job_id: int, worker: str, reason: str, delay: float) -> str | None:
        """Put a running job back to wait `delay` seconds. Returns its new status: `waiting`, or
        `superseded` when a newer waiting job of the key exists (that one then waits at least as long);
        None when this worker no longer holds the job."""
        return self._requeue(job_id, worker, reason=reason, delay=delay, refund_attempt=False)

    def release(self, job_id: int, worker: str) -> str | None:
        """Give back a job whose run was interrupted by a shutdown (the attempt does not count)."""
        return self._requeue(job_id, worker, reason=None, delay=0.0, refund_attempt=True)

    def _requeue(
        self, job_id: int, worker: str | None, *, reason: str | None, delay: float, refund_attempt: bool
    ) -> str | None:
        def attempt() -> str | None:
            with self._write() as conn:
                return self._requeue_in(conn, job_id, worker, reason, delay, refund_attempt)

        status: str | None = self._retrying(attempt)
        return status

    def _requeue_in(
        self,
        conn: Connection,
        job_id: int,
        worker: str | None,
        reason: str | None,
        delay: float,
        refund_attempt: bool,
    ) -> str | None:
        now = self._clock()
        owned = [jobs.c.id == job_id, jobs.c.status == "running"]
        if worker is not None:
            owned.append(jobs.c.worker == worker)
        row = conn.execute(select(jobs.c.key, jobs.c.last_error).where(*owned).with_for_update()).first()
        if row is None:
            return None
        retry_at = now + timedelta(seconds=delay)
        newer = conn.execute(
            select(jobs.c.id, jobs.c.run_after)
            .where(jobs.c.key == row.key, jobs.c.status == "waiting")
            .with_for_update()
        ).first()
        last_error = reason if reason is not None else row.last_error
        if newer is not None:
            if newer.run_after < retry_at:
                conn.execute(update(jobs).where(jobs.c.id == newer.id).values(run_after=retry_at))
            note = f"superseded by job {newer.id}" + (f" after: {last_error}" if last_error else "")
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(status="superseded", finished_at=now, locked_until=None, last_error=note[:500])
            )
            return "superseded"
        values: dict[str, Any] = {
            "status": "waiting",
            "run_after": retry_at,
            "locked_until": None,
            "worker": None,
            "last_error": last_error,
        }
        if refund_attempt:
            values["attempts"] = case((jobs.c.attempts > 0, jobs.c.attempts - 1), else_=0)
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
        return "waiting"

    # -- recovery -----------------------------------------------------------------------------------
    def recover(
        self,
        *,
        only_expired: bool,
        max_attempts: int,
        exclude_ids: Collection[int] = (),
        exclude_worker: str | None = None,
    ) -> int:
        """Put back running jobs whose worker is gone (all of them, or those whose lease expired).

        A job whose lost run was its last allowed attempt fails instead. Returns how many rows changed.
        """
        now = self._clock()
        where = [jobs.c.status == "running"]
        if only_expired:
            where.append(or_(jobs.c.locked_until.is_(None), jobs.c.locked_until < now))
        if exclude_ids:
            where.append(jobs.c.id.not_in(list(exclude_ids)))
        if exclude_worker is not None:
            where.append(jobs.c.worker != exclude_worker)
        with self._reader.connect() as conn:
            stale = conn.execute(select(jobs.c.id, jobs.c.worker).where(*where)).all()
        changed = 0
        for job_id, worker in stale:

            def attempt(job_id: int = job_id, worker: str | None = worker) -> bool:
                with self._write() as conn:
                    row = conn.execute(
                        select(jobs.c.attempts, jobs.c.locked_until)
                        .where(jobs.c.id == job_id, jobs.c.status == "running", _same_worker(worker))
                        .with_for_update(skip_locked=True)
                    ).first()
                    if row is None or (only_expired and row.locked_until and row.locked_until >= now):
                        return False
                    if row.attempts >= max_attempts:
                        reason = f"worker lost during attempt {row.attempts} (process died or lease expired)"
                        conn.execute(
                            update(jobs)
                            .where(jobs.c.id == job_id)
                            .values(status="failed", finished_at=now, locked_until=None, last_error=reason)
                        )
                        return True
                    reason = "worker lost (process died or lease expired); run again"
                    return self._requeue_in(conn, job_id, worker, reason, 0.0, False) is not None

            if self._retrying(attempt):
                changed += 1
        if changed:
            logger.warning("recovered %d job(s) left running by a lost worker", changed)
        return changed

    # -- reading and housekeeping -------------------------------------------------------------------
    def get(self, job_id: int) -> JobRow | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _job_row(row)

    def list_jobs(self, status: str | None = None, key: str | None = None) -> list[JobRow]:
        stmt = select(jobs).order_by(jobs.c.id)
        if status is not None:
            stmt = stmt.where(jobs.c.status == status)
        if key is not None:
            stmt = stmt.where(jobs.c.key == key)
        with self._reader.connect() as conn:
            return [_job_row(row) for row in conn.execute(stmt)]

    def counts(self) -> dict[str, int]:
        with self._reader.connect() as conn:
            rows = conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all()
        return {status: count for status, count in rows}

    def busy(self) -> int:
        """Jobs waiting or running (each count uses its partial index)."""
        waiting = select(func.count()).select_from(jobs).where(_IS_WAITING).scalar_subquery()
        running = select(func.count()).select_from(jobs).where(_IS_RUNNING).scalar_subquery()
        with self._reader.connect() as conn:  # one statement: one snapshot, also on PostgreSQL
            return int(conn.execute(select(waiting + running)).scalar_one())

    def prune(self, older_than: datetime) -> int:
        with self._write() as conn:
            result = conn.execute(
                delete(jobs).where(jobs.c.status.in_(FINISHED), jobs.c.finished_at < older_than)
            )
            return result.rowcount


def _same_worker(worker: str | None) -> Any:
    return jobs.c.worker.is_(None) if worker is None else jobs.c.worker == worker


def _job_row(row: Row) -> JobRow:
    data = row._asdict()
    data["payload"] = dict(data["payload"] or {})
    return JobRow(**data)
