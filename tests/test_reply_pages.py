"""Every list is read to its end: the report issue behind hundreds of newer issues, a change comment or the
sticky PR comment behind hundreds of older comments (in-process, against the GitHub double)."""

from __future__ import annotations

from pathlib import Path

import pytest
from github_double import GitHubDouble
from github_double.fixtures import INSTALLATION_ID, AppKey

from bot.github.client import GitHubApp
from bot.github.replies import (
    CHANGE_MARKER,
    ISSUE_MARKER,
    PR_MARKER,
    Place,
    comment_on_change,
    upsert_issue,
    upsert_pr_comment,
)
from bot.queue import WritePacer
from bot.store import Store, init_db, make_engine

ORG = "course-org"
APP_BOT = "report-bot[bot]"
MANY = 250


@pytest.fixture
def store(tmp_path: Path) -> Store:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    init_db(engine)
    return Store(engine)


def place(d: GitHubDouble, key: AppKey, store: Store, repo: str, *, retrying: bool = False) -> Place:
    app = GitHubApp(d.app_id, key.private_pem, api_url=d.url, timeout=5, pacer=WritePacer(0))
    return Place(app, app.installation(INSTALLATION_ID), INSTALLATION_ID, ORG, repo, store, retrying)


async def test_a_fresh_database_finds_the_report_issue_behind_250_newer_issues(
    github_double: GitHubDouble, app_key: AppKey, store: Store
) -> None:
    d = github_double
    d.add_repo(ORG, "busy")
    old = d.add_issue(ORG, "busy", "Report check", f"{ISSUE_MARKER}\nold verdict", user=APP_BOT)
    for i in range(MANY):
        d.add_issue(ORG, "busy", f"Task {i}", "work")
    number, created, _ = await upsert_issue(
        place(d, app_key, store, "busy"), "Report check", "new", pin=False
    )
    assert (number, created) == (old.number, False)
    mine = [i for i in d.issues(ORG, "busy") if i.body and ISSUE_MARKER in i.body]
    assert len(mine) == 1 and mine[0].body is not None and mine[0].body.endswith("new")


async def test_a_retry_finds_its_change_comment_behind_250_older_comments(
    github_double: GitHubDouble, app_key: AppKey, store: Store
) -> None:
    d = github_double
    d.add_repo(ORG, "chatty")
    issue = d.add_issue(ORG, "chatty", "Report check", f"{ISSUE_MARKER}\nverdict", user=APP_BOT)
    for i in range(MANY):
        d.add_comment(ORG, "chatty", issue.number, f"comment {i}")
    key = "branch:main:abc"
    d.add_comment(ORG, "chatty", issue.number, f"{CHANGE_MARKER.format(key=key)}\nchanged", user=APP_BOT)
    await comment_on_change(place(d, app_key, store, "chatty", retrying=True), issue.number, key, "changed")
    marked = [c for c in d.comments(ORG, "chatty", issue.number) if CHANGE_MARKER.format(key=key) in c.body]
    assert len(marked) == 1


async def test_the_sticky_pr_comment_is_found_behind_250_older_comments(
    github_double: GitHubDouble, app_key: AppKey, store: Store
) -> None:
    d = github_double
    d.add_repo(ORG, "long-pr", {"reports/README.md": "# R\n"})
    d.push(ORG, "long-pr", "work", {"reports/README.md": "# R2\n"})
    number = d.open_pr(ORG, "long-pr", "work")
    for i in range(MANY):
        d.add_comment(ORG, "long-pr", number, f"comment {i}")
    old = d.add_comment(ORG, "long-pr", number, f"{PR_MARKER}\nold", user=APP_BOT)
    found = await upsert_pr_comment(place(d, app_key, store, "long-pr"), number, "new")
    assert found == old.id
    mine = [c for c in d.comments(ORG, "long-pr", number) if PR_MARKER in c.body]
    assert len(mine) == 1 and mine[0].body.endswith("new")
