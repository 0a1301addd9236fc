"""No write that changes nothing: a redelivered push (a new delivery id, the same commit) costs 0 writes; a
changed verdict costs exactly the writes it needs; a retried job writes again (the store may be behind)."""

from __future__ import annotations

from pathlib import Path

import pytest
from db_backends import fresh_db_url_fixture  # noqa: F401  (the fixture)
from e2e_harness import BotServer, push_payload, seed
from github_double import GitHubDouble
from sqlalchemy import inspect

from bot.store import Store, make_engine
from bot.store.migrations import MIGRATIONS, migrate

ORG = "course-org"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture
def bot(graphql_schema: object, github_double: GitHubDouble, app_key, tmp_path: Path):  # type: ignore[no-untyped-def]
    with BotServer(github_double, app_key.private_pem, tmp_path) as server:
        yield server


def writes(d: GitHubDouble, since: float) -> list[str]:
    """The content-creating requests since `since` (the App's token requests are not content)."""
    return [
        f"{r.method} {r.path}"
        for r in d.requests(since=since)
        if r.method in WRITES and not r.path.startswith("/app/") and r.status < 400
        and (r.path != "/graphql" or str((r.body or {}).get("query", "")).lstrip().startswith("mutation"))
    ]  # fmt: skip


def deliver(d: GitHubDouble, bot: BotServer, repo: str, before: str, after: str) -> None:
    resp = bot.send("push", push_payload(d, ORG, repo, before, after, ["reports/README.md"]))
    assert resp.status_code == 202, resp.text
    bot.idle()


def test_redelivery_costs_no_write_and_a_changed_verdict_exactly_the_needed_ones(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "group-1", {"README.md": "x"})
    report = seed("000_8087f8353d4a158a.md")
    before, after = d.push(ORG, "group-1", "main", {"reports/README.md": report})
    mark = d.mark()
    deliver(d, bot, "group-1", before, after)
    first = writes(d, mark)
    assert sorted(first) == sorted(
        [
            "POST /repos/course-org/group-1/issues",
            "POST /graphql",
            "POST /repos/course-org/group-1/check-runs",
        ]
    ), first  # the issue, its pin, the check run
    (issue,) = d.issues(ORG, "group-1")

    # The same push again, as a new delivery (GitHub's "Redeliver", or a second webhook of the same push)
    for _ in range(2):
        mark = d.mark()
        deliver(d, bot, "group-1", before, after)
        assert writes(d, mark) == []
    assert len(d.check_runs(ORG, "group-1", after)) == 1

    # A changed verdict: the issue body, a check run for the new commit, one comment on the change
    better = report.replace("--- question 3 fill here ---", " ".join(["word"] * 120))
    b2, a2 = d.push(ORG, "group-1", "main", {"reports/README.md": better})
    mark = d.mark()
    deliver(d, bot, "group-1", b2, a2)
    changed = writes(d, mark)
    assert sorted(changed) == sorted(
        [
            f"PATCH /repos/course-org/group-1/issues/{issue.number}",
            f"POST /repos/course-org/group-1/issues/{issue.number}/comments",
            "POST /repos/course-org/group-1/check-runs",
        ]
    ), changed
    mark = d.mark()
    deliver(d, bot, "group-1", b2, a2)  # and its redelivery: nothing
    assert writes(d, mark) == []


def test_a_new_commit_with_the_same_verdict_costs_the_issue_edit_and_its_check_run(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    """The body names the checked commit, so a new commit is a change: exactly two writes, no comment."""
    d = github_double
    d.add_repo(ORG, "group-2", {"README.md": "x"})
    report = seed("000_8087f8353d4a158a.md")
    before, after = d.push(ORG, "group-2", "main", {"reports/README.md": report})
    deliver(d, bot, "group-2", before, after)
    (issue,) = d.issues(ORG, "group-2")
    b2, a2 = d.push(ORG, "group-2", "main", {"reports/README.md": report + "\n"})
    mark = d.mark()
    deliver(d, bot, "group-2", b2, a2)  # a new commit, same verdict: the body names the commit, so it changes
    assert writes(d, mark) == [
        f"PATCH /repos/course-org/group-2/issues/{issue.number}",
        "POST /repos/course-org/group-2/check-runs",
    ]
    assert f"`{a2[:7]}`" in (d.issue(ORG, "group-2", issue.number).body or "")


def test_a_version_2_database_gains_the_hash_column_and_the_pacing_tables(fresh_db_url: str) -> None:
    from sqlalchemy import text

    eng = make_engine(fresh_db_url)
    try:
        migrate(eng, MIGRATIONS[:2])
        with eng.begin() as conn:  # as a version-2 database had it
            conn.execute(text("DROP TABLE write_starts"))
            conn.execute(text("DROP TABLE write_lanes"))
            conn.execute(text("ALTER TABLE replies DROP COLUMN body_hash"))
        assert migrate(eng) == MIGRATIONS[-1].version
        assert "body_hash" in {c["name"] for c in inspect(eng).get_columns("replies")}
        assert {"write_lanes", "write_starts"} <= set(inspect(eng).get_table_names())
        store = Store(eng)
        store.set_reply("o/r", "issue", "default", 5, number=5, body_hash="a" * 64)
        assert store.get_reply("o/r", "issue", "default").body_hash == "a" * 64  # type: ignore[union-attr]
        store.set_reply_hash("o/r", "issue", "default", None)
        assert store.get_reply("o/r", "issue", "default").body_hash is None  # type: ignore[union-attr]
    finally:
        eng.dispose()
