"""The durable job queue: one contract (`Queue`, contract.py), two backends.

- embedded: `JobQueue` (worker.py over the table in table.py), worked by an asyncio worker in the same
  process; SQLite by default (PostgreSQL works too);
- procrastinate: `ProcrastinateQueue` (procrastinate_queue.py over pg_jobs.py and slots.py), PostgreSQL with
  procrastinate's tables, worked by `report-bot worker` processes.

`open_queue(engine, ...)` picks the one the database asks for; `setup_schema(engine_or_url)` creates the
tables of both the store and the queue. A handler raises `RetryLater` (or a network error) for a transient
failure and anything else for a permanent one.

May import: store (its engine and tables), procrastinate and psycopg, and the standard library.
"""

from bot.queue.backoff import backoff_delay, one_line_reason, redact
from bot.queue.contract import Queue
from bot.queue.job import Job, JobRow, JobStatus, RetryLater
from bot.queue.pacing import Pacer, Superseded, WritePacer, interval_for
from bot.queue.pacing_pg import PgWritePacer, make_pacer
from bot.queue.setup import open_queue, setup_schema
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
    "Queue",
    "RetryLater",
    "Superseded",
    "WritePacer",
    "backoff_delay",
    "interval_for",
    "make_pacer",
    "one_line_reason",
    "open_queue",
    "redact",
    "setup_schema",
]
