"""JobQueue contract, on SQLite and PostgreSQL: keyed coalescing, one run per key, limits, retries and
backoff, failures, leases, recovery after a crash (SIGKILL of a worker process), shutdown, pruning; and the
WritePacer. Timing-sensitive checks poll with a timeout instead of sleeping."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_backends import *  # noqa: F403 - the fixtures `db_url`, `engine`, `fresh_db_url`
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from bot.queue import Job, JobQueue, RetryLater, WritePacer, backoff_delay, one_line_reason
from bot.queue.table import JobTable
from bot.store import init_db, make_engine, utcnow

ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_queue(engine: Engine, **kwargs: Any) -> JobQueue:
    kwargs.setdefault("retry_base", 0.01)
    kwargs.setdefault("retry_max", 0.05)
    kwargs.setdefault("lease_seconds", 5.0)
    return JobQueue(engine, **kwargs)


@asynccontextmanager
async def working(
    queue: JobQueue, handler: Callable[[Job], Any], **kwargs: Any
) -> AsyncIterator[asyncio.Task[None]]:
    """Run the queue's worker in the background; stop it (and wait for it) on exit."""
    stop = asyncio.Event()
    kwargs.setdefault("poll_interval", 0.02)
    kwargs.setdefault("shutdown_grace", 2.0)
    task = asyncio.create_task(queue.run(handler, stop, **kwargs))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def until(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.01)


def statuses(queue: JobQueue) -> list[str]:
    return [row.status for row in queue.list_jobs()]


# -- enqueue and coalescing ---------------------------------------------------------------------------------
def test_enqueue_coalesces_into_the_waiting_job(engine: Engine) -> None:
    queue = make_queue(engine)
    assert queue.enqueue("check", "check:o/r:refs/heads/main", {"sha": "a"}, installation_id=7) is True
    assert queue.enqueue("check", "check:o/r:refs/heads/main", {"sha": "b"}, installation_id=7) is False
    assert queue.enqueue("check", "check:o/r:refs/heads/main", {"sha": "c"}, installation_id=7) is False
    assert queue.enqueue("check", "check:o/r:pr:12", {"sha": "d"}, installation_id=7) is True
    rows = queue.list_jobs()
    assert [(r.key, r.status, r.payload) for r in rows] == [
        ("check:o/r:refs/heads/main", "waiting", {"sha": "c"}),  # the freshest event data wins
        ("check:o/r:pr:12", "waiting", {"sha": "d"}),
    ]
    assert rows[0].installation_id == 7 and rows[0].attempts == 0
    assert queue.counts() == {"waiting": 2}


def test_concurrent_enqueues_of_one_key_make_one_job(engine: Engine) -> None:
    queue = make_queue(engine)
    barrier = threading.Barrier(12)

    def enqueue(i: int) -> bool:
        barrier.wait()
        return queue.enqueue("check", "check:o/r:refs/heads/main", {"n": i})

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(enqueue, range(12)))
    assert results.count(True) == 1
    rows = queue.list_jobs()
    assert len(rows) == 1 and rows[0].status == "waiting" and rows[0].payload["n"] in range(12)


def test_database_itself_refuses_a_second_waiting_job_per_key(engine: Engine) -> None:
    make_queue(engine).enqueue("check", "k", {})
    insert = text(
        "INSERT INTO jobs (kind, key, payload, status, attempts, run_after, created_at)"
        " VALUES ('check', 'k', '{}', 'waiting', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert)


def test_payload_must_be_json_and_key_required(engine: Engine) -> None:
    queue = make_queue(engine)
    with pytest.raises(TypeError):
        queue.enqueue("check", "k", {"when": object()})
    with pytest.raises(ValueError):
        queue.enqueue("check", "", {})
    assert queue.list_jobs() == []


async def test_enqueue_during_a_run_adds_one_waiting_job_run_after_it(engine: Engine) -> None:
    queue = make_queue(engine)
    gate = asyncio.Event()
    seen: list[dict[str, Any]] = []

    async def handler(job: Job) -> None:
        seen.append(job.payload)
        if len(seen) == 1:
            await gate.wait()

    queue.enqueue("check", "K", {"push": 1})
    async with working(queue, handler):
        await until(lambda: statuses(queue) == ["running"], "the first job runs")
        assert queue.enqueue("check", "K", {"push": 2}) is True
        assert queue.enqueue("check", "K", {"push": 3}) is False
        assert queue.enqueue("check", "K", {"push": 4}) is False
        assert statuses(queue) == ["running", "waiting"]
        await asyncio.sleep(0.1)  # the waiting one must not start while its key runs
        assert seen == [{"push": 1}]
        gate.set()
        assert await queue.wait_idle(10)
    assert seen == [{"push": 1}, {"push": 4}]
    assert statuses(queue) == ["done", "done"]


# -- running --------------------------------------------------------------------------------------------------
async def test_job_runs_to_done_and_keeps_its_row(engine: Engine) -> None:
    queue = make_queue(engine)
    seen: list[Job] = []

    async def handler(job: Job) -> None:
        seen.append(job)

    queue.enqueue("command", "command:o/r:comment:123", {"body": "/report html"}, installation_id=3)
    async with working(queue, handler):
        assert await queue.wait_idle(10)
    [job] = seen
    assert (job.kind, job.key, job.payload, job.installation_id, job.attempts) == (
        "command",
        "command:o/r:comment:123",
        {"body": "/report html"},
        3,
        1,
    )
    row = queue.get(job.id)
    assert row is not None and row.status == "done" and row.attempts == 1
    assert row.finished_at is not None and row.started_at is not None and row.last_error is None
    assert row.locked_until is None
    assert queue.get(10**9) is None


async def test_limits_overall_and_per_installation(engine: Engine) -> None:
    queue = make_queue(engine)
    gate = asyncio.Event()
    running: Counter[int | None] = Counter()
    peak: Counter[int | None] = Counter()

    async def handler(job: Job) -> None:
        running[job.installation_id] += 1
        peak[job.installation_id] = max(peak[job.installation_id], running[job.installation_id])
        try:
            await gate.wait()
        finally:
            running[job.installation_id] -= 1

    for i in range(6):
        queue.enqueue("check", f"a{i}", {}, installation_id=1)
    for i in range(3):
        queue.enqueue("check", f"b{i}", {}, installation_id=2)
    async with working(queue, handler, concurrency=4, per_installation=2):
        await until(lambda: sum(running.values()) == 4, "four jobs run")
        await asyncio.sleep(0.1)  # no fifth one starts
        assert dict(running) == {1: 2, 2: 2}
        gate.set()
        assert await queue.wait_idle(10)
    assert dict(peak) == {1: 2, 2: 2}
    assert statuses(queue) == ["done"] * 9


async def test_two_workers_share_keys_and_installation_limits(db_url: str, engine: Engine) -> None:
    """Two queues on separate engines (as two processes would be): every job done once, one run per key and
    one per installation at a time across both."""
    other_engine = make_engine(db_url)
    queues = [make_queue(engine), make_queue(other_engine)]
    by_key: Counter[str] = Counter()
    by_installation: Counter[int | None] = Counter()
    violations: list[str] = []
    runs: Counter[int] = Counter()

    async def handler(job: Job) -> None:
        by_key[job.key] += 1
        by_installation[job.installation_id] += 1
        if by_key[job.key] > 1 or by_installation[job.installation_id] > 1:
            violations.append(job.key)
        runs[job.id] += 1
        await asyncio.sleep(0.005)
        by_key[job.key] -= 1
        by_installation[job.installation_id] -= 1

    try:
        async with (
            working(queues[0], handler, concurrency=4, per_installation=1),
            working(queues[1], handler, concurrency=4, per_installation=1),
        ):
            for round_ in range(5):
                for k in range(6):
                    queues[round_ % 2].enqueue("check", f"key{k}", {"round": round_}, installation_id=k % 3)
                await asyncio.sleep(0.01)
            assert await queues[0].wait_idle(20)
    finally:
        other_engine.dispose()
    assert violations == []
    assert set(runs.values()) == {1}
    assert all(row.status == "done" for row in queues[0].list_jobs())
    assert {row.key for row in queues[0].list_jobs()} == {f"key{k}" for k in range(6)}


# -- retries and failures ---------------------------------------------------------------------------------------
async def test_transient_errors_are_retried_until_success(engine: Engine) -> None:
    queue = make_queue(engine, max_attempts=6)
    errors: list[BaseException] = [
        RetryLater("GitHub 502"),
        httpx.ConnectError("connection refused"),
        TimeoutError(),
        ConnectionResetError("reset by peer"),
    ]
    attempts: list[int] = []

    async def handler(job: Job) -> None:
        attempts.append(job.attempts)
        if errors:
            raise errors.pop(0)

    queue.enqueue("check", "K", {})
    async with working(queue, handler):
        assert await queue.wait_idle(10)
    assert attempts == [1, 2, 3, 4, 5]
    [row] = queue.list_jobs()
    assert (row.status, row.attempts, row.last_error) == ("done", 5, None)


async def test_retries_give_up_after_max_attempts(engine: Engine) -> None:
    queue = make_queue(engine, max_attempts=3)
    calls = 0

    async def handler(job: Job) -> None:
        nonlocal calls
        calls += 1
        raise RetryLater("rate limited\nby GitHub")

    queue.enqueue("check", "K", {})
    async with working(queue, handler):
        assert await queue.wait_idle(10)
    [row] = queue.list_jobs()
    assert calls == 3
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error is not None and "rate limited by GitHub" in row.last_error
    assert "\n" not in row.last_error


async def test_other_errors_fail_at_once_with_a_short_safe_reason(
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue(engine)

    async def handler(job: Job) -> None:
        raise ValueError("bad report\n  token ghs_abcdefghijklmnopqrstuvwxyz0123 leaked")

    queue.enqueue("check", "K", {})
    with caplog.at_level("ERROR", logger="bot.queue"):
        async with working(queue, handler):
            assert await queue.wait_idle(10)
    [row] = queue.list_jobs()
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == "ValueError: bad report token [redacted] leaked"
    assert any(r.exc_info for r in caplog.records), "the traceback goes to the log"


async def test_retry_after_is_respected(engine: Engine) -> None:
    clock = FakeClock()
    queue = make_queue(engine, clock=clock, retry_base=1.0, retry_max=10.0)
    calls: list[int] = []

    async def handler(job: Job) -> None:
        calls.append(job.attempts)
        if job.attempts == 1:
            raise RetryLater("secondary rate limit", retry_after=120)

    queue.enqueue("check", "K", {})
    async with working(queue, handler):
        await until(lambda: statuses(queue) == ["waiting"] and calls == [1], "the first run asks to retry")
        [row] = queue.list_jobs()
        assert row.run_after - clock.now == timedelta(seconds=120)
        assert row.last_error == "RetryLater: secondary rate limit"
        await asyncio.sleep(0.15)  # the clock stands still: no second run
        assert calls == [1]
        clock.advance(121)
        assert await queue.wait_idle(10)
    assert calls == [1, 2]


def test_backoff_delay_bounds() -> None:
    rng = random.Random(5)
    for attempts in range(1, 15):
        backoff = min(2.0 * 2 ** (attempts - 1), 600.0)
        for _ in range(50):
            delay = backoff_delay(attempts, 2.0, 600.0, None, rng)
            assert backoff / 2 <= delay <= backoff
    assert backoff_delay(3, 2.0, 600.0, retry_after=900, rng=rng) == 900
    assert backoff_delay(3, 2.0, 600.0, retry_after=0.5, rng=rng) >= 4.0
    assert backoff_delay(10_000, 2.0, 600.0, None, rng) <= 600


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            RuntimeError("Authorization: Bearer abcdefghijklmnop"),
            "RuntimeError: Authorization: Bearer [redacted]",
        ),
        (RuntimeError("jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl"), "RuntimeError: jwt [redacted]"),
        (
            RuntimeError("https://user:pa55word@example.org/x"),
            "RuntimeError: https://[redacted]@example.org/x",
        ),
        (RuntimeError("secret=hunter2hunter2"), "RuntimeError: secret=[redacted]"),
        (
            RuntimeError("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"),
            "RuntimeError: [redacted]",
        ),
        (KeyError(), "KeyError"),
    ],
)
def test_reasons_are_redacted_one_liners(exc: BaseException, expected: str) -> None:
    assert one_line_reason(exc) == expected
    assert len(one_line_reason(RuntimeError("x" * 5000))) <= 300


async def test_retry_while_a_newer_job_waits_is_superseded_by_it(engine: Engine) -> None:
    queue = make_queue(engine)
    seen: list[dict[str, Any]] = []

    async def handler(job: Job) -> None:
        seen.append(job.payload)
        if len(seen) == 1:
            queue.enqueue("check", "K", {"push": 2})  # a push arrives during the run
            raise RetryLater("GitHub 503")

    queue.enqueue("check", "K", {"push": 1})
    async with working(queue, handler):
        assert await queue.wait_idle(10)
    assert seen == [{"push": 1}, {"push": 2}]
    rows = queue.list_jobs()
    assert [r.status for r in rows] == ["superseded", "done"]
    assert rows[0].last_error is not None and "GitHub 503" in rows[0].last_error


# -- leases, crashes and recovery -----------------------------------------------------------------------------
async def test_lease_is_renewed_while_the_job_runs(engine: Engine) -> None:
    queue = make_queue(engine, lease_seconds=0.3)
    gate = asyncio.Event()

    async def handler(job: Job) -> None:
        await gate.wait()

    queue.enqueue("check", "K", {})
    async with working(queue, handler):
        await until(lambda: statuses(queue) == ["running"], "the job runs")
        first = queue.list_jobs()[0].locked_until
        assert first is not None
        await until(lambda: queue.list_jobs()[0].locked_until > first, "the lease is renewed")  # type: ignore[operator]
        # a sweep for expired leases (what other processes do) leaves it alone
        assert queue.recover(only_expired=True) == 0
        gate.set()
        assert await queue.wait_idle(10)
    assert statuses(queue) == ["done"]


def test_recover_at_start_puts_every_running_job_back(engine: Engine) -> None:
    queue = make_queue(engine, max_attempts=3)
    dead = JobTable(engine, clock=utcnow, lease_seconds=600)
    queue.enqueue("check", "A", {})
    queue.enqueue("check", "B", {})
    assert dead.claim("dead-worker", 10) != []
    assert dead.claim("dead-worker", 10) != []
    assert queue.recover() == 2
    rows = queue.list_jobs()
    assert [(r.status, r.attempts, r.worker) for r in rows] == [("waiting", 1, None)] * 2
    assert all("worker lost" in (r.last_error or "") for r in rows)


def test_recover_only_expired_leases(engine: Engine) -> None:
    clock = FakeClock()
    queue = make_queue(engine, clock=clock)
    short = JobTable(engine, clock=clock, lease_seconds=10)
    long = JobTable(engine, clock=clock, lease_seconds=1000)
    queue.enqueue("check", "A", {})
    assert short.claim("peer-1", 10) != []
    queue.enqueue("check", "B", {})
    assert long.claim("peer-2", 10) != []
    clock.advance(11)
    assert queue.recover(only_expired=True) == 1
    assert [(r.key, r.status) for r in queue.list_jobs()] == [("A", "waiting"), ("B", "running")]


def test_a_job_that_keeps_killing_its_worker_fails(engine: Engine) -> None:
    queue = make_queue(engine, max_attempts=2)
    dead = JobTable(engine, clock=utcnow, lease_seconds=600)
    queue.enqueue("check", "A", {})
    for _ in range(2):
        assert dead.claim("dead-worker", 10) != []
        assert queue.recover() == 1
    [row] = queue.list_jobs()
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.last_error is not None and "worker lost during attempt 2" in row.last_error


async def test_running_worker_takes_over_a_dead_peers_expired_job(engine: Engine) -> None:
    queue = make_queue(engine, lease_seconds=0.2)
    dead = JobTable(engine, clock=utcnow, lease_seconds=0.2)
    queue.enqueue("check", "A", {"n": 1})
    assert dead.claim("dead-peer", 10) != []
    seen: list[int] = []

    async def handler(job: Job) -> None:
        seen.append(job.attempts)

    async with working(queue, handler):
        assert await queue.wait_idle(10)
    assert seen == [2]
    assert statuses(queue) == ["done"]


async def test_a_run_whose_lease_was_taken_is_cancelled(engine: Engine) -> None:
    queue = make_queue(engine, lease_seconds=0.15)
    cancelled = asyncio.Event()

    async def handler(job: Job) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    queue.enqueue("check", "A", {})
    async with working(queue, handler):
        await until(lambda: statuses(queue) == ["running"], "the job runs")
        with engine.begin() as conn:  # another process decided this worker was gone and took the job
            conn.execute(text("UPDATE jobs SET worker = 'someone-else'"))
        await asyncio.wait_for(cancelled.wait(), 5)
    [row] = queue.list_jobs()
    assert (row.status, row.worker) == ("running", "someone-else")  # untouched by the loser


@pytest.mark.parametrize("mode", ["embedded", "expired-lease"])
async def test_job_survives_sigkill_of_its_worker(
    db_url: str, engine: Engine, tmp_path: Path, mode: str
) -> None:
    queue = make_queue(engine, lease_seconds=1.0)
    queue.enqueue("check", "check:o/r:refs/heads/main", {"sha": "abc"})
    started = tmp_path / "started"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "queue_worker_proc.py"), db_url, str(started), "1.0"], env=env
    )
    try:
        await until(started.exists, "the worker process starts the job", timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    [row] = queue.list_jobs()
    assert row.status == "running" and row.attempts == 1

    completed: list[Job] = []

    async def handler(job: Job) -> None:
        completed.append(job)

    if mode == "embedded":
        assert queue.recover() == 1  # single process: every running row at start is stale
    else:
        assert queue.recover(only_expired=True) == 0  # the dead peer's lease has not expired yet
    async with working(queue, handler):
        assert await queue.wait_idle(15)
    assert [(j.payload, j.attempts) for j in completed] == [({"sha": "abc"}, 2)]
    [row] = queue.list_jobs()
    assert (row.status, row.attempts) == ("done", 2)


async def test_cancelling_the_worker_gives_jobs_back(engine: Engine) -> None:
    queue = make_queue(engine)
    started = asyncio.Event()

    async def hang(job: Job) -> None:
        started.set()
        await asyncio.Event().wait()

    queue.enqueue("check", "K", {"n": 1})
    task = asyncio.create_task(queue.run(hang, asyncio.Event(), poll_interval=0.02))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [row] = queue.list_jobs()
    assert (row.status, row.attempts) == ("waiting", 0)

    completed: list[int] = []

    async def finish(job: Job) -> None:
        completed.append(job.id)

    fresh = make_queue(engine)  # a new process on the same database
    fresh.recover()
    async with working(fresh, finish):
        assert await fresh.wait_idle(10)
    assert completed == [row.id]
    assert statuses(fresh) == ["done"]


async def test_stop_lets_running_jobs_finish(engine: Engine) -> None:
    queue = make_queue(engine)
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        await asyncio.sleep(0.1)

    queue.enqueue("check", "K", {})
    stop = asyncio.Event()
    task = asyncio.create_task(queue.run(handler, stop, poll_interval=0.02))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert statuses(queue) == ["done"]


async def test_stop_gives_back_jobs_that_outlive_the_grace(engine: Engine) -> None:
    queue = make_queue(engine)
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        await asyncio.Event().wait()

    queue.enqueue("check", "K", {})
    queue.enqueue("check", "L", {})
    stop = asyncio.Event()
    task = asyncio.create_task(queue.run(handler, stop, poll_interval=0.02, shutdown_grace=0.1))
    await until(lambda: statuses(queue) == ["running", "running"], "both jobs run")
    stop.set()
    await asyncio.wait_for(task, 10)
    assert [(r.status, r.attempts) for r in queue.list_jobs()] == [("waiting", 0)] * 2


# -- housekeeping and helpers -----------------------------------------------------------------------------------
async def test_prune_removes_old_finished_jobs_only(engine: Engine) -> None:
    queue = make_queue(engine, max_attempts=1)

    async def handler(job: Job) -> None:
        if job.key == "bad":
            raise RuntimeError("no")

    queue.enqueue("check", "ok", {})
    queue.enqueue("check", "bad", {})
    async with working(queue, handler):
        assert await queue.wait_idle(10)
    queue.enqueue("check", "later", {})
    assert queue.prune(utcnow() - timedelta(days=1)) == 0
    assert queue.prune(utcnow() + timedelta(seconds=1)) == 2
    assert [(r.key, r.status) for r in queue.list_jobs()] == [("later", "waiting")]


async def test_wait_idle_times_out_while_busy(engine: Engine) -> None:
    queue = make_queue(engine)
    queue.enqueue("check", "K", {})
    assert await queue.wait_idle(0.05) is False


async def test_enqueue_wakes_an_idle_worker_and_trivial_job_throughput(engine: Engine) -> None:
    """Measures enqueue→start latency on an idle queue (poll interval 5 s: only the wake-up can explain a fast
    start) and the throughput of trivial jobs; prints both (`pytest -s` shows them)."""
    queue = make_queue(engine)
    started: dict[int, float] = {}
    enqueued_at: dict[str, float] = {}
    latencies: list[float] = []

    async def handler(job: Job) -> None:
        if job.key in enqueued_at:
            latencies.append(time.perf_counter() - enqueued_at[job.key])
        started[job.id] = time.perf_counter()

    async with working(queue, handler, poll_interval=5.0, concurrency=4, per_installation=4):
        await asyncio.sleep(0.05)  # the worker is idle, waiting
        for i in range(5):
            enqueued_at[f"lat{i}"] = time.perf_counter()
            await queue.enqueue_async("check", f"lat{i}", {})
            await until(lambda: len(latencies) == len(enqueued_at), "the job starts", timeout=2.0)
        n = 200
        t0 = time.perf_counter()
        for i in range(n):
            await queue.enqueue_async("check", f"bulk{i}", {}, installation_id=i % 10)
        assert await queue.wait_idle(60)
        elapsed = time.perf_counter() - t0
    assert max(latencies) < 1.0
    median = sorted(latencies)[len(latencies) // 2]
    print(
        f"\n[{engine.dialect.name}] enqueue→start latency median {median * 1000:.1f} ms,"
        f" {n} trivial jobs (enqueue + run) in {elapsed:.2f} s = {n / elapsed:.0f} jobs/s"
    )
    assert queue.counts() == {"done": n + 5}


def test_finished_rows_are_visible_by_status(engine: Engine) -> None:
    queue = make_queue(engine)
    queue.enqueue("check", "A", {})
    queue.enqueue("check", "B", {})
    assert [r.key for r in queue.list_jobs(status="waiting")] == ["A", "B"]
    assert queue.list_jobs(status="done") == []
    assert [r.key for r in queue.list_jobs(key="B")] == ["B"]


def test_init_db_is_needed_once_per_database(fresh_db_url: str) -> None:
    eng = make_engine(fresh_db_url)
    try:
        init_db(eng)
        init_db(eng)
        assert make_queue(eng).enqueue("check", "K", {}) is True
    finally:
        eng.dispose()


def test_invalid_run_arguments() -> None:
    with pytest.raises(ValueError):
        JobQueue(make_engine("sqlite://"), max_attempts=0)


async def test_recover_never_takes_this_queues_own_running_jobs(engine: Engine) -> None:
    queue = make_queue(engine)
    gate = asyncio.Event()

    async def handler(job: Job) -> None:
        await gate.wait()

    queue.enqueue("check", "K", {})
    async with working(queue, handler):
        await until(lambda: statuses(queue) == ["running"], "the job runs")
        assert queue.recover() == 0
        with pytest.raises(RuntimeError, match="already running"):
            await queue.run(handler, asyncio.Event())
        gate.set()
        assert await queue.wait_idle(10)
    assert [(r.status, r.attempts) for r in queue.list_jobs()] == [("done", 1)]


# -- WritePacer -------------------------------------------------------------------------------------------------
class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_pacer_spaces_one_installations_writes_with_a_fake_clock() -> None:
    clock = FakeMonotonic()
    pacer = WritePacer(1.0, clock=clock, sleep=clock.sleep)
    starts: list[tuple[int, float]] = []

    async def write(installation: int) -> None:
        async with pacer.slot(installation):
            starts.append((installation, clock.now))

    await asyncio.gather(write(1), write(1), write(1))
    assert [t for _, t in starts] == [100.0, 101.0, 102.0]
    clock.now = 110.0  # long after: no wait
    await write(1)
    assert starts[-1] == (1, 110.0)


async def test_pacer_does_not_block_other_installations_and_serialises_one() -> None:
    pacer = WritePacer(0.05)
    starts: dict[int, list[float]] = {1: [], 2: []}
    inside: Counter[int] = Counter()
    overlaps: list[int] = []

    async def write(installation: int) -> None:
        async with pacer.slot(installation):
            inside[installation] += 1
            if inside[installation] > 1:
                overlaps.append(installation)
            starts[installation].append(time.monotonic())
            await asyncio.sleep(0.01)
            inside[installation] -= 1

    t0 = time.monotonic()
    await asyncio.gather(*(write(1) for _ in range(3)), *(write(2) for _ in range(3)))
    assert overlaps == []
    for installation in (1, 2):
        gaps = [b - a for a, b in zip(starts[installation], starts[installation][1:], strict=False)]
        assert all(gap >= 0.049 for gap in gaps), gaps
    assert starts[2][0] - t0 < 0.04  # installation 2 did not wait for installation 1


def test_pacer_refuses_negative_interval() -> None:
    with pytest.raises(ValueError):
        WritePacer(-1)
