"""End to end: pull requests -> one sticky comment edited in place and a check run with annotations."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_harness import BotServer, pr_payload, seed
from github_double import GitHubDouble

pytestmark = pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it

ORG = "course-org"


@pytest.fixture
def bot(github_double: GitHubDouble, app_key, tmp_path: Path):  # type: ignore[no-untyped-def]
    with BotServer(github_double, app_key.private_pem, tmp_path) as server:
        yield server


def test_pr_gets_one_sticky_comment_and_a_check_run_per_head(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    report = seed("000_8087f8353d4a158a.md")
    d.add_repo(ORG, "pr-1", {"reports/README.md": report})
    _, head1 = d.push(ORG, "pr-1", "report-work", {"reports/README.md": report + "\nEdit 1\n"}, base="main")
    number = d.open_pr(ORG, "pr-1", "report-work")
    assert bot.send("pull_request", pr_payload(d, ORG, "pr-1", number, "opened")).status_code == 202
    bot.idle()
    comments = d.comments(ORG, "pr-1", number)
    assert len(comments) == 1 and "21/31 questions pass the official check" in comments[0].body
    runs = d.check_runs(ORG, "pr-1", head1)
    assert len(runs) == 1 and runs[0].conclusion == "failure"
    assert runs[0].title.startswith("❌ 21/31")
    assert any(a.start_line == 185 and a.annotation_level == "failure" for a in runs[0].annotations)

    fixed = report.replace("--- question 3 fill here ---", " ".join(["word"] * 120))
    _, head2 = d.push(ORG, "pr-1", "report-work", {"reports/README.md": fixed})
    mark = d.mark()
    assert bot.send("pull_request", pr_payload(d, ORG, "pr-1", number, "synchronize")).status_code == 202
    bot.idle()
    steady = [(r.method, r.path) for r in d.requests(since=mark)]
    print(f"\nGitHub requests, steady-state PR update: {len(steady)} {steady}")
    assert len(steady) <= 4
    comments = d.comments(ORG, "pr-1", number)
    assert len(comments) == 1 and "22/31 questions pass" in comments[0].body  # edited in place
    assert len(d.check_runs(ORG, "pr-1", head2)) == 1


def test_many_annotations_are_sent_in_batches_of_50(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    report = seed("000_8087f8353d4a158a.md")
    many = "\n".join(f"![shot {i}](figures/missing-{i}.png)" for i in range(120))
    broken = report.replace("--- question 14 fill here ---", many)
    d.add_repo(ORG, "pr-2", {"reports/README.md": report})
    _, head = d.push(ORG, "pr-2", "work", {"reports/README.md": broken}, base="main")
    number = d.open_pr(ORG, "pr-2", "work")
    bot.send("pull_request", pr_payload(d, ORG, "pr-2", number, "opened"))
    bot.idle()
    run = d.check_runs(ORG, "pr-2", head)[0]
    assert len(run.annotations) > 120  # 120 missing images and the rest, sent 50 per request
    patches = d.requests(method="PATCH", path_prefix=f"/repos/{ORG}/pr-2/check-runs/")
    assert len(patches) == (len(run.annotations) - 1) // 50


def test_prs_that_do_not_touch_the_report_and_closed_prs(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, "pr-3", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    d.push(ORG, "pr-3", "code", {"src/model.py": "x = 1\n"}, base="main")
    number = d.open_pr(ORG, "pr-3", "code")
    bot.send("pull_request", pr_payload(d, ORG, "pr-3", number, "opened"))
    closed = pr_payload(d, ORG, "pr-3", number, "closed")
    closed["pull_request"]["state"] = "closed"
    bot.send("pull_request", closed)
    bot.idle()
    assert d.comments(ORG, "pr-3", number) == [] and d.check_runs(ORG, "pr-3") == []
