"""The SQL of the procrastinate backend on procrastinate's own tables (synchronous, SQLAlchemy connections).

A job is one row of `procrastinate_jobs`: task `report_bot.job`, `lock` = `queueing_lock` = our key (one
running and one waiting job per key, enforced by procrastinate's unique indexes), and `args` =
`{kind, key, payload, installation_id, attempts, last_error, outcome}`. `attempts` counts the runs before
this row (a retry is a new row, see `requeue`); `outcome` is `retried` on a row whose run was retried by a new
row (procrastinate has marked it `succeeded`), so that `counts()` does not call it done.

Statuses as our contract names them: todo → waiting, doing → running, succeeded → done (retried →
superseded), failed → failed, cancelled / aborted → superseded.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from bot.queue.job import JobRow

logger = logging.getLogger(__name__)

TASK = "report_bot.job"
QUEUE_NAME = "report_bot"
_CONFLICT_RETRIES = 20

_COALESCE = text(
    "UPDATE procrastinate_jobs SET args = args || CAST(:fields AS jsonb) "
    "WHERE queueing_lock = :key AND status = 'todo' RETURNING id"
)
_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :key, :key, CAST(:args AS jsonb), "
    "now() + make_interval(secs => :delay))::procrastinate_job_to_defer_v1])"
)
_POSTPONE = text(
    "UPDATE procrastinate_jobs SET scheduled_at = GREATEST(COALESCE(scheduled_at, now()), "
    "now() + make_interval(secs => :delay)), args = args || CAST(:fields AS jsonb) "
    "WHERE queueing_lock = :key AND status = 'todo' RETURNING id"
)
_NOTE = text("UPDATE procrastinate_jobs SET args = args || CAST(:fields AS jsonb) WHERE id = :id")
_STATUS = (
    "CASE WHEN status = 'todo' THEN 'waiting' WHEN status = 'doing' THEN 'running' "
    "WHEN status = 'succeeded' AND args->>'outcome' = 'retried' THEN 'superseded' "
    "WHEN status = 'succeeded' THEN 'done' WHEN status = 'failed' THEN 'failed' ELSE 'superseded' END"
)
_COUNTS = text(f"SELECT {_STATUS} AS s, count(*) FROM procrastinate_jobs WHERE task_name = :task GROUP BY 1")
_BUSY = text(
    "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') AND task_name = :task"
)
_FINISHED_EVENTS = "('succeeded', 'failed', 'cancelled', 'aborted')"
_PRUNE = text(
    "DELETE FROM procrastinate_jobs j WHERE j.task_name = :task "
    "AND j.status IN ('succeeded', 'failed', 'cancelled', 'aborted') AND NOT EXISTS ("
    f"SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id AND e.type IN {_FINISHED_EVENTS} "
    "AND e.at >= :cutoff)"
)
_LIST = (
    f"SELECT j.id, j.args, {_STATUS} AS status, j.attempts, j.scheduled_at, j.worker_id, "
    "(SELECT min(at) FROM procrastinate_events e WHERE e.job_id = j.id) AS created_at, "
    "(SELECT max(at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type = 'started') AS started_at, "
    f"(SELECT max(at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type IN {_FINISHED_EVENTS}) "
    "AS finished_at FROM procrastinate_jobs j WHERE j.task_name = :task"
)
_STALLED = text(
    "SELECT j.id, j.args FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id "
    "WHERE j.status = 'doing' AND j.task_name = :task AND (j.worker_id IS NULL OR "
    "w.last_heartbeat < now() - make_interval(secs => :seconds)) FOR UPDATE OF j SKIP LOCKED"
)
_ABANDON = text(
    "UPDATE procrastinate_jobs SET status = :status, args = args || CAST(:fields AS jsonb) "
    "WHERE id = :id AND status = 'doing'"
)
_PRUNE_WORKERS = text(
    "DELETE FROM procrastinate_workers WHERE last_heartbeat < now() - make_interval(secs => :seconds)"
)


def job_args(
    kind: str, key: str, payload: dict[str, Any], installation_id: int | None, attempts: int = 0
) -> dict[str, Any]:
    return {
        "kind": kind,
        "key": key,
        "payload": payload,
        "installation_id": installation_id,
        "attempts": attempts,
        "last_error": None,
    }


def defer_in(conn: Connection, args: dict[str, Any], delay: float) -> tuple[bool, int]:
    """Defer a job inside the caller's transaction: (True, id) for a new row; (False, id) when the key's
    waiting row took the new kind, payload and installation (the newest payload wins). Savepoint per try."""
    json.dumps(args)  # fail here, not in a worker, when the payload is not JSON
    fields = json.dumps({name: args[name] for name in ("kind", "payload", "installation_id")})
    params = {"key": args["key"], "fields": fields}
    insert = {"queue": QUEUE_NAME, "task": TASK, "key": args["key"], "args": json.dumps(args), "delay": delay}
    for _ in range(_CONFLICT_RETRIES):
        try:
            with conn.begin_nested():
                row = conn.execute(_COALESCE, params).first()
                if row is not None:
                    return False, int(row[0])
                ids = conn.execute(_DEFER, insert).scalar_one()
                return True, int(ids[0])
        except IntegrityError:  # a concurrent defer of the key won the race: coalesce into its row
            logger.debug("procrastinate defer conflict, retrying", exc_info=True)
    raise RuntimeError(f"could not enqueue job {args['key']!r}: the key kept changing state")


def requeue_in(conn: Connection, args: dict[str, Any], delay: float, reason: str | None) -> str:
    """Run a job's work again in `delay` seconds: `superseded` when the key has a waiting row already
    (it keeps its newer payload and now waits at least `delay`), else `waiting` (a new row with `args`)."""
    key = args["key"]
    fields = json.dumps({"last_error": reason} if reason else {})
    for _ in range(_CONFLICT_RETRIES):
        try:
            with conn.begin_nested():
                if conn.execute(_POSTPONE, {"key": key, "delay": delay, "fields": fields}).first():
                    return "superseded"
                row = {**args, "last_error": reason, "outcome": None}
                insert = {
                    "queue": QUEUE_NAME,
                    "task": TASK,
                    "key": key,
                    "args": json.dumps(row),
                    "delay": delay,
                }
                conn.execute(_DEFER, insert)
                return "waiting"
        except IntegrityError:
            logger.debug("procrastinate requeue conflict, retrying", exc_info=True)
    raise RuntimeError(f"could not requeue job {key!r}: the key kept changing state")


def note(conn: Connection, job_id: int, **fields: Any) -> None:
    """Merge `fields` into a row's args (`last_error`, `outcome`)."""
    conn.execute(_NOTE, {"id": job_id, "fields": json.dumps(fields)})


def recover_stalled(conn: Connection, stalled_after: float, max_attempts: int) -> int:
    """Jobs left `doing` by a worker without a heartbeat for `stalled_after` seconds (or none at all) run
    again, in a new row (the lost run counts as an attempt); past `max_attempts` they fail. Returns how many."""
    conn.execute(_PRUNE_WORKERS, {"seconds": stalled_after})  # their jobs' worker_id becomes NULL
    changed = 0
    for job_id, args in conn.execute(_STALLED, {"task": TASK, "seconds": stalled_after}).all():
        attempts = int(args.get("attempts") or 0) + 1
        if attempts >= max_attempts:
            reason = f"worker lost during attempt {attempts} (process died or stopped sending heartbeats)"
            conn.execute(
                _ABANDON, {"id": job_id, "status": "failed", "fields": json.dumps({"last_error": reason})}
            )
        else:
            reason = "worker lost (process died or stopped sending heartbeats); run again"
            requeue_in(conn, {**args, "attempts": attempts}, 0.0, reason)
            conn.execute(
                _ABANDON, {"id": job_id, "status": "aborted", "fields": json.dumps({"outcome": "lost"})}
            )
        changed += 1
    return changed


def counts(conn: Connection) -> dict[str, int]:
    return {str(status): int(n) for status, n in conn.execute(_COUNTS, {"task": TASK}).all()}


def busy(conn: Connection) -> int:
    return int(conn.execute(_BUSY, {"task": TASK}).scalar_one())


def prune(conn: Connection, older_than: datetime) -> int:
    return int(conn.execute(_PRUNE, {"task": TASK, "cutoff": older_than}).rowcount)


def list_rows(conn: Connection, status: str | None = None, key: str | None = None) -> list[JobRow]:
    sql = _LIST
    params: dict[str, Any] = {"task": TASK}
    if key is not None:
        sql += " AND j.queueing_lock = :key"
        params["key"] = key
    rows = [_job_row(row) for row in conn.execute(text(sql + " ORDER BY j.id"), params)]
    return [row for row in rows if status is None or row.status == status]


def _job_row(row: Row[Any]) -> JobRow:
    args: dict[str, Any] = row.args
    created = row.created_at or row.scheduled_at
    return JobRow(
        id=int(row.id),
        kind=str(args.get("kind")),
        key=str(args.get("key")),
        payload=dict(args.get("payload") or {}),
        installation_id=args.get("installation_id"),
        status=str(row.status),
        attempts=int(args.get("attempts") or 0) + (0 if row.status == "waiting" else 1),
        run_after=row.scheduled_at or created,
        created_at=created,
        started_at=row.started_at,
        finished_at=row.finished_at,
        locked_until=None,
        worker=None if row.worker_id is None else str(row.worker_id),
        last_error=args.get("last_error"),
    )
