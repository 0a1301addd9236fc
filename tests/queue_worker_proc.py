"""A worker process for the queue tests: runs a queue whose handler says it started and then hangs, so the
test can SIGKILL it mid-job. Usage: python queue_worker_proc.py DATABASE_URL STARTED_FILE LEASE_SECONDS
[BACKEND], BACKEND `embedded` (JobQueue, the default) or `procrastinate` (ProcrastinateQueue).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.queue import Job, JobQueue, Queue
from bot.queue.procrastinate_queue import ProcrastinateQueue
from bot.store import make_engine


async def main(database_url: str, started: Path, lease_seconds: float, backend: str) -> None:
    engine = make_engine(database_url)
    queue: Queue
    if backend == "procrastinate":
        queue = ProcrastinateQueue(engine, lease_seconds=lease_seconds)
    else:
        queue = JobQueue(engine, lease_seconds=lease_seconds)

    async def handler(job: Job) -> None:
        started.write_text(f"{job.id} {job.attempts}", "utf-8")
        await asyncio.Event().wait()  # hang until killed

    await queue.run(handler, asyncio.Event(), poll_interval=0.02)


if __name__ == "__main__":
    backend = sys.argv[4] if len(sys.argv) > 4 else "embedded"
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), backend))
