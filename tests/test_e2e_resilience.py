"""End to end: injected GitHub failures are retried to success without duplicates; a restart mid-job
finishes the job; `serve` refuses to start without its secret."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_harness import BotServer, push_payload, seed, wait_until
from github_double import GitHubDouble

pytestmark = pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it

ORG = "course-org"


@pytest.fixture
def bot(github_double: GitHubDouble, app_key, tmp_path: Path):  # type: ignore[no-untyped-def]
    with BotServer(github_double, app_key.private_pem, tmp_path) as server:
        yield server


def send_push(d: GitHubDouble, bot: BotServer, repo: str, report: str) -> str:
    before, after = d.push(ORG, repo, "main", {"reports/README.md": report})
    assert (
        bot.send("push", push_payload(d, ORG, repo, before, after, ["reports/README.md"])).status_code == 202
    )
    return after


def test_5xx_rate_limits_and_timeouts_are_retried_to_success(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "res-1", {"README.md": "x"})
    d.fail_next("POST", "/graphql", status=502, times=2)
    d.secondary_rate_limit_next("POST", f"/repos/{ORG}/res-1/issues", retry_after=1)
    d.timeout_next("GET", f"/repos/{ORG}/res-1/git/trees/*", hang=10)
    started = time.monotonic()
    sha = send_push(d, bot, "res-1", seed("001_11aae388d88f3f4c.md"))
    bot.idle(timeout=60)
    assert d.pending_faults() == 0
    issues = d.issues(ORG, "res-1")
    assert len(issues) == 1 and f"commit `{sha[:7]}`" in issues[0].body
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert len(d.check_runs(ORG, "res-1", sha)) == 1


def test_a_post_that_succeeded_but_answered_502_is_not_repeated(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "res-2", {"README.md": "x"})
    d.succeed_then_fail_next("POST", f"/repos/{ORG}/res-2/issues", status=502)
    d.succeed_then_fail_next("POST", f"/repos/{ORG}/res-2/check-runs", status=502)
    sha = send_push(d, bot, "res-2", seed("001_11aae388d88f3f4c.md"))
    bot.idle(timeout=60)
    assert len(d.issues(ORG, "res-2")) == 1  # found again by its marker, not created twice
    assert len(d.check_runs(ORG, "res-2", sha)) == 1


def test_a_burst_of_pushes_costs_one_check_of_the_newest_head(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "res-3", {"README.md": "x"})
    d.set_latency(0.5, "POST", "/graphql")  # the first job is slow: the burst piles up behind it
    report = seed("001_11aae388d88f3f4c.md")
    shas = [send_push(d, bot, "res-3", report + f"\nedit {i}\n") for i in range(6)]
    bot.idle(timeout=60)
    d.set_latency(0)
    graphql = d.requests(method="POST", path="/graphql")
    heads = [
        r for r in graphql if "query ReportHead" in str((r.body or {}).get("query", ""))
    ]  # not RepoStats
    assert len(heads) <= 3  # one running, one waiting (coalesced), never one per push
    issue = d.issues(ORG, "res-3")[0]
    assert f"commit `{shas[-1][:7]}`" in issue.body


def test_restart_mid_job_finishes_without_duplicates(
    github_double: GitHubDouble, app_key, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    d = github_double
    d.add_repo(ORG, "res-4", {"README.md": "x"})
    d.set_latency(30, "POST", f"/repos/{ORG}/res-4/issues")  # the job hangs while creating the issue
    server = BotServer(d, app_key.private_pem, tmp_path).start()
    try:
        sha = send_push(d, server, "res-4", seed("001_11aae388d88f3f4c.md"))
        wait_until(lambda: d.count(method="POST", path=f"/repos/{ORG}/res-4/issues") == 1, timeout=30)
        server.stop(kill=True)  # SIGKILL mid-job; the double still creates the issue when its latency ends
    finally:
        server.stop(kill=True)
    d.set_latency(0)
    wait_until(lambda: len(d.issues(ORG, "res-4")) == 1, timeout=40)
    again = BotServer(d, app_key.private_pem, tmp_path).start()
    try:
        again.idle(timeout=60)
        assert len(d.issues(ORG, "res-4")) == 1
        assert f"commit `{sha[:7]}`" in d.issues(ORG, "res-4")[0].body
        assert len(d.check_runs(ORG, "res-4", sha)) == 1
    finally:
        again.stop()


def test_serve_refuses_to_start_without_a_webhook_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_BOT_")}
    env.update(
        {
            "REPORT_BOT_APP_ID": "1",
            "REPORT_BOT_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----",
        }
    )
    res = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert "REPORT_BOT_WEBHOOK_SECRET" in res.stderr and "Traceback" not in res.stderr
    assert "-----BEGIN" not in res.stderr
