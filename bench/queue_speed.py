"""Speed of a job queue backend: enqueue→start latency on an idle queue, and trivial jobs per second.

    .venv/bin/python bench/queue_speed.py [DATABASE_URL] [--jobs N] [--backend embedded|procrastinate]

Default database: a temporary SQLite file. A PostgreSQL URL works too (its tables are created in the
database's default schema: use a scratch database); `--backend procrastinate` needs one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert

from bot.queue import Job, JobQueue, Queue, setup_schema
from bot.queue.procrastinate_queue import ProcrastinateQueue
from bot.store import make_engine


def baseline_inserts(engine: Engine, rows: int) -> float:
    """Seconds for `rows` single-row INSERT transactions into a scratch table: what any durable enqueue costs
    at least on this database, measured in the same run (the machine is shared and noisy)."""
    scratch = Table(
        "bench_baseline", MetaData(), Column("id", Integer, primary_key=True), Column("v", Integer)
    )
    scratch.create(engine, checkfirst=True)
    t0 = time.perf_counter()
    for i in range(rows):
        with engine.begin() as conn:
            conn.execute(insert(scratch).values(v=i))
    elapsed = time.perf_counter() - t0
    scratch.drop(engine)
    return elapsed


async def measure(database_url: str, jobs: int, concurrency: int, backend: str) -> None:
    engine = make_engine(database_url)
    setup_schema(engine)
    queue: Queue = ProcrastinateQueue(engine) if backend == "procrastinate" else JobQueue(engine)
    enqueued: dict[str, float] = {}
    latencies: list[float] = []

    async def handler(job: Job) -> None:
        if job.key in enqueued:
            latencies.append(time.perf_counter() - enqueued[job.key])

    stop = asyncio.Event()
    worker = asyncio.create_task(
        queue.run(handler, stop, concurrency=concurrency, per_installation=concurrency, poll_interval=1.0)
    )
    await asyncio.sleep(0.2)
    for i in range(50):
        key = f"latency-{i}"
        enqueued[key] = time.perf_counter()
        await queue.enqueue_async("bench", key, {})
        while len(latencies) <= i:
            await asyncio.sleep(0.0005)
    t0 = time.perf_counter()
    for i in range(jobs):
        queue.enqueue("bench", f"enqueue-{i}", {"i": i}, installation_id=i % 20)
    t_enqueue = time.perf_counter() - t0
    assert await queue.wait_idle(300)
    t_total = time.perf_counter() - t0
    stop.set()
    await worker
    t_baseline = baseline_inserts(engine, jobs)
    engine.dispose()
    lat = sorted(latencies)
    print(f"backend: {backend}, database: {engine.dialect.name}, jobs: {jobs}, concurrency: {concurrency}")
    print(
        f"enqueue→start latency on an idle queue: median {statistics.median(lat) * 1000:.1f} ms,"
        f" p90 {lat[int(len(lat) * 0.9)] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms"
    )
    print(f"enqueue alone: {jobs / t_enqueue:.0f} jobs/s")
    print(
        f"baseline, one committed INSERT per row in the same database: {jobs / t_baseline:.0f} rows/s;"
        f" ratio enqueue / plain insert time {t_enqueue / t_baseline:.2f}"
    )
    print(f"enqueue + run of trivial jobs: {jobs / t_total:.0f} jobs/s ({t_total:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", nargs="?")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--backend", choices=("embedded", "procrastinate"), default="embedded")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(measure(url, args.jobs, args.concurrency, args.backend))


if __name__ == "__main__":
    main()
