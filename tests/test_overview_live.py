"""The live class overview issue, in-process against the GitHub double with an injectable clock: a burst of
checks queues ONE overview job (coalesced), the issue is made once and then edited in place at most once a
minute per installation (a run sooner raises the queue's RetryLater with the time left), never a comment;
an unchanged table is not written again; without `overview:` in the organisation's config nothing is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from e2e_harness import seed
from github_double import GitHubDouble
from github_double.fixtures import AppKey
from github_double.graphql_stats import add_workflow_run
from job_bot import Clock, job_bot

from bot.github.overview_issue import OVERVIEW_MARKER
from bot.jobs import Bot, handle
from bot.jobs.overview import INTERVAL, overview_key
from bot.queue import Job, JobQueue, RetryLater

pytestmark = pytest.mark.usefixtures("graphql_schema")
ORG = "course-org"
INSTALLATION = 100
ORG_CONFIG = "overview: {repo: class-overview, title: MLOps class overview}\n"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 1, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def bot(github_double: GitHubDouble, app_key: AppKey, tmp_path: Path, clock: Clock) -> Iterator[Bot]:
    with job_bot(github_double, app_key, tmp_path, clock) as made:
        yield made


def _job(kind: str, key: str, payload: dict[str, object], attempts: int = 1) -> Job:
    return Job(1, kind, key, payload, INSTALLATION, attempts, datetime.now(UTC))


async def _check(bot: Bot, repo: str) -> None:
    payload = {"owner": ORG, "repo": repo, "installation_id": INSTALLATION, "branch": "main"}
    await handle(bot, _job("check", f"check:{ORG}/{repo}:branch:main", payload))


async def _overview(bot: Bot, attempts: int = 1) -> None:
    payload = {"installation_id": INSTALLATION, "owner": ORG}
    await handle(bot, _job("overview", overview_key(INSTALLATION), payload, attempts))


def _edits(d: GitHubDouble, number: int) -> int:
    return d.count("PATCH", f"/repos/{ORG}/class-overview/issues/{number}")


def _seed(d: GitHubDouble, groups: int) -> list[str]:
    d.add_repo(ORG, ".github", {".github/report-bot.yml": ORG_CONFIG})
    d.add_repo(ORG, "class-overview", {"README.md": "# the course's staff\n"})
    names = []
    for i in range(groups):
        name = f"group-{i:02d}"
        files = {"reports/README.md": seed("001_11aae388d88f3f4c.md"), "Dockerfile": "FROM python\n"}
        if i % 2:
            files[".github/workflows/tests.yml"] = "on: push\n"
        d.add_repo(ORG, name, files)
        names.append(name)
    return names


async def test_a_burst_of_checks_makes_one_issue_edited_at_most_once_a_minute(
    github_double: GitHubDouble, bot: Bot, clock: Clock
) -> None:
    d = github_double
    names = _seed(d, 6)
    add_workflow_run(d.state, ORG, "group-01", "failure")
    queue = JobQueue(bot.store.engine)
    for name in names[:3]:  # a burst: three checks, one overview job waiting
        await _check(bot, name)
    waiting = queue.list_jobs(status="waiting", key=overview_key(INSTALLATION))
    assert len(waiting) == 1

    await _overview(bot)
    (issue,) = d.issues(ORG, "class-overview")
    assert OVERVIEW_MARKER in (issue.body or "") and issue.title == "MLOps class overview"
    assert all(f"{ORG}/{n}" in (issue.body or "") for n in names[:3])
    assert "| course-org/group-01 |" in (issue.body or "") and "failure" in (issue.body or "")

    for name in names[3:]:  # a second burst 10 s later: the edit waits until a minute has passed
        await _check(bot, name)
    clock.advance(10)
    with pytest.raises(RetryLater) as waited:
        await _overview(bot)
    assert waited.value.retry_after == pytest.approx(INTERVAL - 10)
    assert _edits(d, issue.number) == 0
    clock.advance(waited.value.retry_after or 0)
    await _overview(bot, attempts=2)
    assert _edits(d, issue.number) == 1
    body = d.issue(ORG, "class-overview", issue.number).body or ""
    assert all(f"{ORG}/{n}" in body for n in names)

    clock.advance(120)  # nothing changed since: no write at all
    await _overview(bot)
    assert _edits(d, issue.number) == 1
    assert len(d.issues(ORG, "class-overview")) == 1
    assert d.comments(ORG, "class-overview", issue.number) == []


async def test_a_lost_issue_number_finds_the_issue_by_its_marker(
    github_double: GitHubDouble, bot: Bot, clock: Clock
) -> None:
    d = github_double
    (name,) = _seed(d, 1)
    await _check(bot, name)
    await _overview(bot)
    (issue,) = d.issues(ORG, "class-overview")
    bot.store.delete_reply(f"{ORG}/class-overview", "issue", "overview")  # e.g. a restored database
    d.push(ORG, name, "main", {"reports/README.md": seed("002_90da82d1f906f152.md")})
    await _check(bot, name)
    clock.advance(INTERVAL)
    await _overview(bot)
    assert [i.number for i in d.issues(ORG, "class-overview")] == [issue.number]
    assert _edits(d, issue.number) == 1


async def test_without_an_overview_repository_nothing_is_written(
    github_double: GitHubDouble, bot: Bot
) -> None:
    d = github_double
    d.add_repo(ORG, "group-00", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    await _check(bot, "group-00")
    mark = d.mark()
    await _overview(bot)
    assert d.count("POST", since=mark) == 0 and d.count("PATCH", since=mark) == 0
