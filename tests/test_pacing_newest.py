"""The newest push first: a job whose branch moved while it waited for its write turn writes the newest
push instead (and the newer push's own job then finds it written: no write at all)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from e2e_harness import BotServer, push_payload, seed, wait_until
from github_double import GitHubDouble

ORG = "course-org"


@pytest.fixture
def slow_bot(graphql_schema: object, github_double: GitHubDouble, app_key, tmp_path: Path):  # type: ignore[no-untyped-def]
    # 4 s between two writes of the installation: a job waits long enough for a newer push to land
    with BotServer(
        github_double, app_key.private_pem, tmp_path, REPORT_BOT_WRITE_INTERVAL_SECONDS="4"
    ) as server:
        yield server


def _writes(d: GitHubDouble, since: float) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in d.requests(since=since)
        if r.method in ("POST", "PATCH") and not r.path.startswith("/app/") and r.path != "/graphql"
    ]


def test_a_job_whose_branch_moved_while_waiting_writes_the_newest_push(
    github_double: GitHubDouble, slow_bot: BotServer
) -> None:
    d, bot = github_double, slow_bot
    d.add_repo(ORG, "group-1", {"README.md": "x"})
    report = seed("000_8087f8353d4a158a.md")
    b1, a1 = d.push(ORG, "group-1", "main", {"reports/README.md": report})
    assert bot.send("push", push_payload(d, ORG, "group-1", b1, a1, ["reports/README.md"])).status_code == 202
    bot.idle(timeout=30)  # issue, pin, check run: the last write was just now
    (issue,) = d.issues(ORG, "group-1")

    mark = d.mark()
    b2, a2 = d.push(ORG, "group-1", "main", {"reports/README.md": report + "\n"})
    assert bot.send("push", push_payload(d, ORG, "group-1", b2, a2, ["reports/README.md"])).status_code == 202
    # the job for a2 reads it and waits for its write turn; meanwhile a3 lands (its job waits behind)
    wait_until(lambda: d.count("POST", "/graphql", since=mark) >= 1, timeout=10)
    time.sleep(0.3)
    b3, a3 = d.push(ORG, "group-1", "main", {"reports/README.md": report + "\n\n"})
    assert bot.send("push", push_payload(d, ORG, "group-1", b3, a3, ["reports/README.md"])).status_code == 202
    bot.idle(timeout=60)

    assert f"`{a3[:7]}`" in (d.issue(ORG, "group-1", issue.number).body or "")
    assert d.check_runs(ORG, "group-1", a2) == []  # the outdated commit cost no write
    assert len(d.check_runs(ORG, "group-1", a3)) == 1
    assert sorted(_writes(d, mark)) == sorted(
        [f"PATCH /repos/{ORG}/group-1/issues/{issue.number}", f"POST /repos/{ORG}/group-1/check-runs"]
    )
