"""SIGKILL of a `report-bot worker` in the middle of a burst (PostgreSQL, procrastinate): a web-only
`report-bot serve` defers the pushes of many repositories, two worker processes run them, one is killed
with work in flight. Every repository still ends with the verdict of its last push in its one pinned issue,
and no reply is made twice (issues, comments, check runs counted on the GitHub double)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from db_backends import _pg_schema
from e2e_harness import BotServer, push_payload, seed, wait_until
from github_double import GitHubDouble

from bot.queue.procrastinate_queue import ProcrastinateQueue
from bot.store import make_engine

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("graphql_schema")]

ORG = "course-org"
REPOS = 16
PUSHES = 3


class BotWorker:
    """`report-bot worker` in a subprocess, with the environment of a BotServer."""

    def __init__(self, env: dict[str, str], workdir: Path, concurrency: int = 4) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "worker.log"
        cmd = [sys.executable, "-m", "bot.cli", "worker", "--concurrency", str(concurrency)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def test_sigkill_of_a_worker_mid_burst_loses_no_job_and_duplicates_no_reply(
    github_double: GitHubDouble, app_key, tmp_path: Path, postgres_url: str
) -> None:  # type: ignore[no-untyped-def]
    d = github_double
    repos = [f"kill-{i:02d}" for i in range(REPOS)]
    for repo in repos:
        d.add_repo(ORG, repo, {"README.md": "x"})
    d.set_latency(0.1)  # every call: a job takes about a second, so the kill finds work in flight
    report = seed("001_11aae388d88f3f4c.md")
    last: dict[str, str] = {}
    with _pg_schema(postgres_url) as url:
        env = {
            "REPORT_BOT_DATABASE_URL": url,
            "REPORT_BOT_JOB_LEASE_SECONDS": "3",  # a dead worker's jobs run again after 3 s without heartbeat
            "REPORT_BOT_INSTALLATION_CONCURRENCY": "8",
        }
        (tmp_path / "web").mkdir()
        with BotServer(d, app_key.private_pem, tmp_path / "web", **env) as web:  # the web only: no worker
            for n in range(PUSHES):
                for repo in repos:
                    before, after = d.push(ORG, repo, "main", {"reports/README.md": report + f"\nedit {n}\n"})
                    last[repo] = after
                    payload = push_payload(d, ORG, repo, before, after, ["reports/README.md"])
                    assert web.send("push", payload).status_code == 202
            assert web.jobs().get("waiting") == REPOS  # deferred and coalesced, nothing run by the web
            workers = [BotWorker(web.env, tmp_path / f"worker-{i}") for i in range(2)]
            try:
                wait_until(lambda: web.jobs().get("done", 0) >= 2 and web.jobs().get("running", 0) >= 4, 40)
                workers[0].stop(signal.SIGKILL)
                web.idle(timeout=45)
                assert workers[1].stop() == 0  # SIGTERM: a graceful exit
            finally:
                for worker in workers:
                    worker.stop(signal.SIGKILL)
        engine = make_engine(url)
        try:
            rows = ProcrastinateQueue(engine).list_jobs()
        finally:
            engine.dispose()
    d.set_latency(0)
    lost = [row for row in rows if (row.last_error or "").startswith("worker lost")]
    assert lost, "the killed worker had no job in flight: the test proved nothing"
    assert not [row for row in rows if row.status == "failed"]
    for repo in repos:
        [issue] = d.issues(ORG, repo)  # one pinned issue, never a second
        assert f"commit `{last[repo][:7]}`" in issue.body, repo
        runs = Counter(run.head_sha for run in d.check_runs(ORG, repo))
        assert runs[last[repo]] == 1 and max(runs.values()) == 1, (repo, runs)
        bodies = Counter(comment.body for comment in d.comments(ORG, repo, issue.number))
        assert not bodies or max(bodies.values()) == 1, (repo, bodies)
