"""CPU work of the jobs runs in worker processes with a time budget: a call that exceeds it is stopped (its
processes replaced, the pool keeps working), and a report that cannot be checked in time gets a clear
verdict instead of a stuck worker. The web process keeps acknowledging deliveries meanwhile."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from pathlib import Path

import pytest
from e2e_harness import BotServer, push_payload, seed
from github_double import GitHubDouble

from bot.jobs import cpu
from bot.report import official

ORG = "course-org"


def test_a_call_over_budget_is_stopped_and_the_pool_recovers() -> None:
    pool = cpu.CpuPool(processes=1, budget=1.0)
    try:

        async def scenario() -> tuple[float, int]:
            start = time.monotonic()
            with pytest.raises(cpu.OutOfTime):
                await pool.run(re.findall, official.IMAGE_PATTERN, "![](" * 20000)  # minutes if let run
            stopped = time.monotonic() - start
            return stopped, await pool.run(len, "still works")

        stopped, value = asyncio.run(scenario())
        assert stopped < 10
        assert value == len("still works")
    finally:
        pool.close()


def test_the_event_loop_is_free_while_a_check_runs() -> None:
    pool = cpu.CpuPool(processes=1, budget=30.0)
    try:

        async def scenario() -> float:
            slow = asyncio.create_task(pool.run(time.sleep, 1.5))
            worst = 0.0
            while not slow.done():
                tick = time.monotonic()
                await asyncio.sleep(0.01)
                worst = max(worst, time.monotonic() - tick)
            await slow
            return worst

        assert asyncio.run(scenario()) < 0.5
    finally:
        pool.close()


def test_a_report_over_budget_gets_a_could_not_be_checked_in_time_verdict(
    github_double: GitHubDouble,
    app_key,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    d = github_double
    d.add_repo(ORG, "group-slow", {"README.md": "# project\n"})
    before, after = d.push(ORG, "group-slow", "main", {"reports/README.md": seed("000_8087f8353d4a158a.md")})
    with BotServer(d, app_key.private_pem, tmp_path, REPORT_BOT_CHECK_TIME_BUDGET_SECONDS="0.001") as bot:
        resp = bot.send("push", push_payload(d, ORG, "group-slow", before, after, ["reports/README.md"]))
        assert resp.status_code == 202
        bot.idle()
    body = d.issues(ORG, "group-slow")[0].body
    assert "This report could not be checked in time" in body
    with sqlite3.connect(tmp_path / "bot.db") as db:  # stored as what happened, not as "no report"
        (error,) = db.execute("SELECT error FROM verdicts WHERE repo = ?", (f"{ORG}/group-slow",)).fetchone()
    assert error == "could not be checked in time"


def test_worker_processes_end_with_the_process_that_started_them(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import asyncio, os, time\n"
        "from bot.jobs import cpu\n"
        "pool = cpu.CpuPool(1, 60)\n"
        "async def main():\n"
        "    task = asyncio.ensure_future(pool.run(time.sleep, 60))\n"
        "    await asyncio.sleep(3)\n"
        "    print([p.pid for p in pool._pool()._processes.values()], flush=True)\n"
        "    os._exit(0)\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60).stdout
    pids = [int(x) for x in out.strip().strip("[]").split(",") if x.strip()]
    assert pids
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        assert time.monotonic() < deadline, "a worker process outlived the server"
        time.sleep(0.1)
