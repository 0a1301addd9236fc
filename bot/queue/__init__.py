"""The durable job queue: keyed jobs in the database, worked by an asyncio worker (`JobQueue.run`).

May import: store (its engine and tables) and the standard library.

Contract (what a procrastinate-backed queue for the scaled deployment would implement too):
`JobQueue(engine, max_attempts=, retry_base=, retry_max=, lease_seconds=)`, `enqueue(kind, key, payload,
installation_id) -> bool` (False: coalesced into the key's waiting job, whose payload it replaced),
`recover(only_expired=False) -> int`, `run(handler, stop, concurrency=, per_installation=, poll_interval=)`,
`get`, `list_jobs`, `counts`, `prune`, `wait_idle`. A handler raises `RetryLater` (or a network error) for a
transient failure and anything else for a permanent one.
"""

from bot.queue.backoff import backoff_delay, one_line_reason, redact
from bot.queue.job import Job, JobRow, JobStatus, RetryLater
from bot.queue.pacing import Pacer, Superseded, WritePacer, interval_for
from bot.queue.pacing_pg import PgWritePacer, make_pacer
from bot.queue.worker import TRANSIENT_ERRORS, Handler, JobQueue

__all__ = [
    "TRANSIENT_ERRORS",
    "Handler",
    "Job",
    "JobQueue",
    "JobRow",
    "JobStatus",
    "Pacer",
    "PgWritePacer",
    "RetryLater",
    "Superseded",
    "WritePacer",
    "backoff_delay",
    "interval_for",
    "make_pacer",
    "one_line_reason",
    "redact",
]
