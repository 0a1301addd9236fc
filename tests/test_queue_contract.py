"""The queue contract (bot/queue/contract.py), one suite over every backend: the embedded queue on SQLite and
on PostgreSQL, and procrastinate on PostgreSQL. Coalescing (the newest payload wins), one run per key at a
time, delays, retries honouring Retry-After, giving up after max_attempts with the reason kept, the job of a
worker that dies mid-job running again once, the per-installation limit, the transaction of `enqueue_in`,
counts and pruning. The PostgreSQL variants skip only when PostgreSQL is absent (CI requires them)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from db_backends import _pg_schema
from sqlalchemy import Engine

from bot.queue import Job, JobQueue, Queue, RetryLater, setup_schema
from bot.queue.procrastinate_queue import ProcrastinateQueue
from bot.store import make_engine, utcnow

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = [
    "embedded-sqlite",
    pytest.param("embedded-postgres", marks=pytest.mark.postgres),
    pytest.param("procrastinate", marks=pytest.mark.postgres),
]


@dataclass
class Backend:
    name: str
    url: str
    engine: Engine

    def queue(self, **kwargs: Any) -> Queue:
        kwargs.setdefault("retry_base", 0.01)
        kwargs.setdefault("retry_max", 0.05)
        kwargs.setdefault("lease_seconds", 3.0)
        if self.name == "procrastinate":
            return ProcrastinateQueue(self.engine, **kwargs)
        return JobQueue(self.engine, **kwargs)


@pytest.fixture(name="backend", params=BACKENDS)
def backend_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    def made(url: str) -> Iterator[Backend]:
        engine = make_engine(url)
        setup_schema(engine)
        try:
            yield Backend(request.param, url, engine)
        finally:
            engine.dispose()

    if request.param == "embedded-sqlite":
        yield from made(f"sqlite:///{tmp_path / 'db' / 'bot.db'}")
        return
    with _pg_schema(request.getfixturevalue("postgres_url")) as url:
        yield from made(url)


@asynccontextmanager
async def working(queue: Queue, handler: Callable[[Job], Any], **kwargs: Any) -> AsyncIterator[None]:
    stop = asyncio.Event()
    kwargs.setdefault("poll_interval", 0.02)
    kwargs.setdefault("shutdown_grace", 2.0)
    task = asyncio.create_task(queue.run(handler, stop, **kwargs))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def until(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.01)


KEY = "check:org/repo:refs/heads/main"


async def test_a_waiting_job_takes_the_newest_payload(backend: Backend) -> None:
    queue = backend.queue()
    assert queue.enqueue("check", KEY, {"n": 1}, 7) is True
    assert queue.enqueue("check", KEY, {"n": 2}, 7) is False
    assert await queue.enqueue_async("check", KEY, {"n": 3}, 7) is False
    assert queue.enqueue("check", "check:org/other:refs/heads/main", {"n": 9}, 7) is True
    seen: list[tuple[str, dict[str, Any]]] = []

    async def handler(job: Job) -> None:
        seen.append((job.key, job.payload))

    async with working(queue, handler):
        assert await queue.wait_idle(15)
    assert sorted(seen) == [("check:org/other:refs/heads/main", {"n": 9}), (KEY, {"n": 3})]
    assert queue.counts().get("done") == 2


async def test_one_run_per_key_at_a_time_and_the_next_run_sees_the_newest_payload(backend: Backend) -> None:
    queue = backend.queue()
    running: Counter[str] = Counter()
    most: Counter[str] = Counter()
    runs: list[dict[str, Any]] = []
    release = asyncio.Event()

    async def handler(job: Job) -> None:
        running[job.key] += 1
        most[job.key] = max(most[job.key], running[job.key])
        runs.append(job.payload)
        if job.payload["n"] == 1:
            await release.wait()
        running[job.key] -= 1

    queue.enqueue("check", KEY, {"n": 1}, 1)
    async with working(queue, handler, concurrency=4):
        await until(lambda: len(runs) == 1, "the first run starts")
        assert queue.enqueue("check", KEY, {"n": 2}, 1) is True  # the running job is not the waiting one
        assert queue.enqueue("check", KEY, {"n": 3}, 1) is False
        await asyncio.sleep(0.5)
        assert runs == [{"n": 1}]  # the key's second job waits for the first
        release.set()
        assert await queue.wait_idle(15)
    assert runs == [{"n": 1}, {"n": 3}] and most[KEY] == 1


async def test_a_delayed_job_waits(backend: Backend) -> None:
    queue = backend.queue()
    started: list[float] = []

    async def handler(job: Job) -> None:
        started.append(time.monotonic())

    async with working(queue, handler):
        t0 = time.monotonic()
        await queue.enqueue_async("overview", "overview:7", {}, 7, delay=0.8)
        assert await queue.wait_idle(15)
    assert len(started) == 1 and started[0] - t0 >= 0.75


async def test_a_retry_waits_for_retry_after(backend: Backend) -> None:
    queue = backend.queue(max_attempts=4)
    runs: list[tuple[int, float]] = []

    async def handler(job: Job) -> None:
        runs.append((job.attempts, time.monotonic()))
        if job.attempts == 1:
            raise RetryLater("GitHub answered 403: secondary rate limit", retry_after=1.0)

    queue.enqueue("check", KEY, {"n": 1}, 1)
    async with working(queue, handler):
        assert await queue.wait_idle(15)
    assert [attempt for attempt, _ in runs] == [1, 2]
    assert runs[1][1] - runs[0][1] >= 0.95  # Retry-After, not the 10 ms backoff
    assert queue.counts().get("done") == 1 and "failed" not in queue.counts()


async def test_a_retry_gives_way_to_a_newer_waiting_job_which_still_waits_for_retry_after(
    backend: Backend,
) -> None:
    queue = backend.queue()
    runs: list[tuple[dict[str, Any], float]] = []
    release = asyncio.Event()
    failed_at = 0.0

    async def handler(job: Job) -> None:
        nonlocal failed_at
        runs.append((job.payload, time.monotonic()))
        if job.payload["n"] == 1:
            await release.wait()
            failed_at = time.monotonic()
            raise RetryLater("GitHub answered 429", retry_after=0.8)

    queue.enqueue("check", KEY, {"n": 1}, 1)
    async with working(queue, handler):
        await until(lambda: len(runs) == 1, "the first run starts")
        assert queue.enqueue("check", KEY, {"n": 2}, 1) is True
        release.set()
        await until(lambda: len(runs) == 2, "the newer job runs")
        assert await queue.wait_idle(15)
        await asyncio.sleep(0.3)
    assert [payload for payload, _ in runs] == [{"n": 1}, {"n": 2}]  # the old payload is not run again
    assert runs[1][1] - failed_at >= 0.75  # GitHub asked to wait: the key's next run waits too
    assert "waiting" not in queue.counts() and queue.counts().get("done") == 1


async def test_gives_up_after_max_attempts_and_keeps_the_reason(backend: Backend) -> None:
    queue = backend.queue(max_attempts=3)
    attempts: list[int] = []

    async def handler(job: Job) -> None:
        attempts.append(job.attempts)
        if job.key == KEY:
            raise RetryLater("GitHub answered 502 token=ghs_abcdefghijklmnop")
        raise ValueError("the rule set is broken")

    queue.enqueue("check", KEY, {}, 1)
    queue.enqueue("check", "check:org/bad:refs/heads/main", {}, 1)
    async with working(queue, handler):
        assert await queue.wait_idle(15)
    assert sorted(attempts) == [1, 1, 2, 3]  # the permanent failure runs once
    failed = {row.key: row.last_error or "" for row in queue.list_jobs(status="failed")}
    assert failed[KEY].startswith("gave up after 3 attempts: RetryLater: GitHub answered 502")
    assert "ghs_abcdefghijklmnop" not in failed[KEY]  # secrets never kept
    assert failed["check:org/bad:refs/heads/main"] == "ValueError: the rule set is broken"
    assert queue.counts().get("failed") == 2


def _kill_mid_job(backend: Backend, tmp_path: Path) -> None:
    """Start a worker process of the backend on the waiting job; SIGKILL it once the job has started."""
    started = tmp_path / "started"
    kind = "procrastinate" if backend.name == "procrastinate" else "embedded"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    cmd = [
        sys.executable,
        str(ROOT / "tests" / "queue_worker_proc.py"),
        backend.url,
        str(started),
        "1.0",
        kind,
    ]
    proc = subprocess.Popen(cmd, env=env)
    try:
        deadline = time.monotonic() + 30
        while not started.exists():
            assert time.monotonic() < deadline, "the worker process did not start the job"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


async def test_the_job_of_a_killed_worker_runs_again_once(backend: Backend, tmp_path: Path) -> None:
    queue = backend.queue(lease_seconds=1.0)
    queue.enqueue("check", KEY, {"sha": "abc"}, 1)
    _kill_mid_job(backend, tmp_path)
    assert queue.counts() == {"running": 1}
    completed: list[Job] = []

    async def handler(job: Job) -> None:
        completed.append(job)

    async with working(queue, handler):
        await until(lambda: bool(completed), "the lost job runs again", timeout=20)
        assert await queue.wait_idle(15)
        await asyncio.sleep(1.5)  # more sweeps: still no second run
    assert [(j.payload, j.attempts) for j in completed] == [({"sha": "abc"}, 2)]
    assert queue.counts().get("done") == 1 and "waiting" not in queue.counts()


async def test_a_job_that_loses_its_worker_on_its_last_attempt_fails(
    backend: Backend, tmp_path: Path
) -> None:
    queue = backend.queue(lease_seconds=1.0, max_attempts=1)
    queue.enqueue("check", KEY, {"sha": "abc"}, 1)
    _kill_mid_job(backend, tmp_path)
    completed: list[Job] = []

    async def handler(job: Job) -> None:
        completed.append(job)

    async with working(queue, handler):
        await until(lambda: queue.counts().get("failed") == 1, "the lost job fails", timeout=20)
    assert completed == []
    [row] = queue.list_jobs(status="failed")
    assert (row.last_error or "").startswith("worker lost during attempt 1")


async def test_per_installation_limit(backend: Backend) -> None:
    queue = backend.queue()
    running: Counter[int] = Counter()
    most: Counter[int] = Counter()
    both = False

    async def handler(job: Job) -> None:
        nonlocal both
        assert job.installation_id is not None
        running[job.installation_id] += 1
        most[job.installation_id] = max(most[job.installation_id], running[job.installation_id])
        both = both or (running[1] > 0 and running[2] > 0)
        await asyncio.sleep(0.15)
        running[job.installation_id] -= 1

    for i in range(6):
        queue.enqueue("check", f"check:one/r{i}:refs/heads/main", {}, 1)
    for i in range(2):
        queue.enqueue("check", f"check:two/r{i}:refs/heads/main", {}, 2)
    async with working(queue, handler, concurrency=8, per_installation=2):
        assert await queue.wait_idle(20)
    assert most[1] == 2 and most[2] <= 2 and both  # installation 2 is not held up by installation 1
    assert queue.counts().get("done") == 8


async def test_enqueue_in_is_part_of_the_callers_transaction(backend: Backend) -> None:
    queue = backend.queue()
    with pytest.raises(RuntimeError), backend.engine.begin() as conn:
        queue.enqueue_in(conn, "check", KEY, {"n": 1}, 1)
        raise RuntimeError("the delivery record failed")
    assert queue.counts() == {}
    with backend.engine.begin() as conn:
        assert queue.enqueue_in(conn, "check", KEY, {"n": 1}, 1) is True
        assert queue.enqueue_in(conn, "check", KEY, {"n": 2}, 1) is False
    queue.wake()
    [row] = queue.list_jobs(status="waiting")
    assert (row.key, row.payload) == (KEY, {"n": 2})


async def test_counts_wait_idle_and_prune(backend: Backend) -> None:
    queue = backend.queue()
    release = asyncio.Event()

    async def handler(job: Job) -> None:
        await release.wait()

    queue.enqueue("check", KEY, {}, 1)
    async with working(queue, handler):
        await until(lambda: queue.counts().get("running") == 1, "the job runs")
        assert await queue.wait_idle(0.2) is False
        release.set()
        assert await queue.wait_idle(15)
    assert queue.counts() == {"done": 1}
    assert queue.prune(utcnow() - timedelta(hours=1)) == 0  # finished just now: kept
    assert queue.prune(utcnow() + timedelta(seconds=5)) == 1
    assert queue.counts() == {}


async def test_run_returns_when_stop_is_set_before_it_starts(backend: Backend) -> None:
    queue = backend.queue()
    stop = asyncio.Event()
    stop.set()

    async def handler(job: Job) -> None:
        raise AssertionError("no job was queued")

    await asyncio.wait_for(queue.run(handler, stop, poll_interval=0.02), 10)


async def test_cancel_in_takes_the_waiting_jobs_of_removed_repositories_or_an_installation(
    backend: Backend,
) -> None:
    """What an uninstall cancels, in the delivery's transaction: the repository's waiting jobs by key prefix
    (`_` and `%` in a name are letters, not wildcards), or every waiting job of the installation."""
    queue = backend.queue()
    keys = {
        "check:org/a_b:branch:main": 1,
        "command:org/a_b:7": 1,
        "check:org/axb:branch:main": 1,  # `_` above must not match this one
        "check:org/a_bc:branch:main": 1,  # nor a longer name
        "check:other/z:branch:main": 2,
        "backfill:2": 2,
    }
    for key, inst in keys.items():
        queue.enqueue("check", key, {"k": key}, inst)
    with backend.engine.begin() as conn:
        assert queue.cancel_in(conn, key_prefixes=["check:org/a_b:", "command:org/a_b:"]) == 2
    waiting = {j.key for j in queue.list_jobs("waiting")}
    assert waiting == set(keys) - {"check:org/a_b:branch:main", "command:org/a_b:7"}
    with backend.engine.begin() as conn:
        assert queue.cancel_in(conn, installation_id=2) == 2
        assert queue.cancel_in(conn) == 0
    assert {j.key for j in queue.list_jobs("waiting")} == {
        "check:org/axb:branch:main",
        "check:org/a_bc:branch:main",
    }
    with pytest.raises(RuntimeError), backend.engine.begin() as conn:  # rolled back with the caller
        queue.cancel_in(conn, installation_id=1)
        raise RuntimeError("the delivery failed")
    assert len(queue.list_jobs("waiting")) == 2
