"""End to end: pushes to the default branch -> one pinned issue, edited in place, comments on change only."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_harness import BotServer, push_payload, seed, wait_until
from github_double import GitHubDouble

pytestmark = pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it

ORG = "course-org"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def bot(github_double: GitHubDouble, app_key, tmp_path: Path):  # type: ignore[no-untyped-def]
    with BotServer(github_double, app_key.private_pem, tmp_path) as server:
        yield server


def push(
    double: GitHubDouble,
    bot: BotServer,
    repo: str,
    files: dict[str, bytes | str | None],
    changed: list[str] | None = None,
):  # type: ignore[no-untyped-def]
    before, after = double.push(ORG, repo, "main", files)
    resp = bot.send("push", push_payload(double, ORG, repo, before, after, changed or list(files)))
    assert resp.status_code == 202, resp.text
    bot.idle()
    return after


def test_first_push_creates_one_pinned_issue_and_a_check_run(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "group-1", {"README.md": "# project\n"})
    mark = d.mark()
    sha = push(
        d,
        bot,
        "group-1",
        {"reports/README.md": seed("000_8087f8353d4a158a.md"), "reports/figures/avmbucket.png": PNG},
    )
    issues = d.issues(ORG, "group-1")
    assert len(issues) == 1
    issue = issues[0]
    assert issue.title == "Report check" and issue.pinned and issue.user.type == "Bot"
    assert "21/31 questions pass the official check" in issue.body
    assert f"commit `{sha[:7]}`" in issue.body
    runs = d.check_runs(ORG, "group-1", sha)
    assert len(runs) == 1 and runs[0].conclusion == "failure" and runs[0].name == "Report check"
    lines = {(a.path, a.start_line) for a in runs[0].annotations}
    assert ("reports/README.md", 185) in lines  # question 5: 87 words short
    first = d.count(since=mark)
    print(f"GitHub requests, first push of a repository: {first}")
    # the check read the head through GraphQL and every field it read is one the double models
    assert d.count("POST", "/graphql", since=mark) >= 1 and d.unmodelled_fields(since=mark) == []


def test_steady_state_edits_in_place_and_comments_only_on_change(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "group-2", {"README.md": "x"})
    report = seed("000_8087f8353d4a158a.md")
    push(d, bot, "group-2", {"reports/README.md": report})
    number = d.issues(ORG, "group-2")[0].number

    # Same verdict, new commit: the body is edited, no comment (edits notify nobody).
    mark = d.mark()
    sha2 = push(d, bot, "group-2", {"reports/README.md": report + "\nA new line.\n"})
    steady = d.count(since=mark)
    assert [i.number for i in d.issues(ORG, "group-2")] == [number]
    assert f"commit `{sha2[:7]}`" in d.issue(ORG, "group-2", number).body
    assert d.comments(ORG, "group-2", number) == []
    print(f"GitHub requests, steady-state push: {steady}")
    assert steady <= 4

    # A changed verdict: one comment.
    better = report.replace("--- question 3 fill here ---", " ".join(["word"] * 120))
    push(d, bot, "group-2", {"reports/README.md": better})
    comments = d.comments(ORG, "group-2", number)
    assert len(comments) == 1 and "22/31 questions pass" in comments[0].body


def test_unrelated_pushes_and_other_branches_do_nothing(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, "group-3", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    mark = d.mark()
    push(d, bot, "group-3", {"src/train.py": "print(1)\n"})
    before, after = d.push(ORG, "group-3", "feature", {"reports/README.md": "changed"})
    assert (
        bot.send(
            "push", push_payload(d, ORG, "group-3", before, after, ["reports/README.md"], branch="feature")
        ).status_code
        == 202
    )
    deleted = push_payload(d, ORG, "group-3", after, "0" * 40, [], branch="feature")
    assert bot.send("push", deleted).status_code == 202
    bot.idle()
    assert d.count(since=mark) == 0 and d.issues(ORG, "group-3") == []


def test_signatures_redeliveries_and_bad_bodies(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, "group-4", {"README.md": "x"})
    before, after = d.push(ORG, "group-4", "main", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    payload = push_payload(d, ORG, "group-4", before, after, ["reports/README.md"])
    assert bot.send("push", payload, delivery="d-1", secret="wrong").status_code == 401
    assert bot.send("push", payload, delivery="d-1", secret=None).status_code == 401
    assert bot.send("push", payload, delivery="d-1", signature="sha1=" + "0" * 40).status_code == 401
    bot.idle()
    assert d.issues(ORG, "group-4") == []  # nothing stored or done for a bad signature
    assert (
        bot.send("push", payload, delivery="d-1").status_code == 202
    )  # the same delivery, now signed: accepted
    bot.idle()
    assert len(d.issues(ORG, "group-4")) == 1
    mark = d.mark()
    again = bot.send("push", payload, delivery="d-1")
    assert again.status_code == 200 and "seen before" in again.text
    bot.idle()
    assert d.count(since=mark) == 0
    assert bot.send("push", b"{not json", delivery="d-2").status_code == 400
    assert bot.send("ping", {"zen": "Keep it logically awesome."}, delivery="d-3").status_code == 200
    big = b'{"x": "' + b"a" * (25 * 1024 * 1024) + b'"}'
    assert bot.send("push", big, delivery="d-4").status_code == 413


def test_bot_senders_never_trigger_work(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, "group-5", {"README.md": "x"})
    before, after = d.push(ORG, "group-5", "main", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    payload = push_payload(d, ORG, "group-5", before, after, ["reports/README.md"])
    payload["sender"]["type"] = "Bot"
    payload["sender"]["login"] = "report-bot[bot]"
    assert bot.send("push", payload).status_code == 202
    bot.idle()
    assert d.issues(ORG, "group-5") == []


def test_closed_issue_stays_closed_and_deleted_issue_comes_back(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "group-6", {"README.md": "x"})
    report = seed("003_e2de95122764a2de.md")
    push(d, bot, "group-6", {"reports/README.md": report})
    number = d.issues(ORG, "group-6")[0].number
    d.set_issue(ORG, "group-6", number, state="closed", by="teacher")
    sha = push(d, bot, "group-6", {"reports/README.md": report + "\nmore\n"})
    issue = d.issue(ORG, "group-6", number)
    assert issue.state == "closed" and f"commit `{sha[:7]}`" in issue.body
    d.delete_issue(ORG, "group-6", number)
    push(d, bot, "group-6", {"reports/README.md": report + "\nmore again\n"})
    live = d.issues(ORG, "group-6")
    assert len(live) == 1 and live[0].number != number and live[0].pinned


def test_pin_failure_is_tolerated_and_noted(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, "group-7", {"README.md": "x"})
    for i in range(3):
        d.add_issue(ORG, "group-7", f"Pinned {i}", pinned=True)
    push(d, bot, "group-7", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    mine = [i for i in d.issues(ORG, "group-7") if i.title == "Report check"]
    assert len(mine) == 1 and not mine[0].pinned
    assert "Could not pin this issue" in mine[0].body


def test_invalid_config_is_reported_and_defaults_apply(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, "group-8", {".github/report-bot.yml": "issue_title: [unclosed\n"})
    push(d, bot, "group-8", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    issue = d.issues(ORG, "group-8")[0]
    assert issue.title == "Report check"
    assert "`.github/report-bot.yml` could not be used" in issue.body and "not valid YAML" in issue.body


def test_config_from_the_org_repository_with_extends(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, ".github", {".github/report-bot.yml": "issue_title: Exam report\npin_issue: false\n"})
    d.add_repo(ORG, "group-9", {"README.md": "x"})
    push(d, bot, "group-9", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    issue = d.issues(ORG, "group-9")[0]
    assert issue.title == "Exam report" and not issue.pinned
    d.add_repo(ORG, "group-10", {".github/report-bot.yml": "_extends: .github\ncheck_runs: false\n"})
    sha = push(d, bot, "group-10", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    assert d.issues(ORG, "group-10")[0].title == "Exam report" and d.check_runs(ORG, "group-10", sha) == []


def test_no_report_file(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    d.add_repo(ORG, "group-11", {"README.md": "x"})
    push(d, bot, "group-11", {"reports/notes.md": "not the report"})
    issue = d.issues(ORG, "group-11")[0]
    assert "No report at `reports/README.md`" in issue.body
    wait_until(lambda: True)


def test_request_budget(github_double: GitHubDouble, bot: BotServer) -> None:
    """The number of GitHub requests per push, first and steady state (the issue's target: 4 or fewer)."""
    d = github_double
    d.add_repo(ORG, "group-12", {"README.md": "x"})
    report = seed("000_8087f8353d4a158a.md")
    mark = d.mark()
    push(d, bot, "group-12", {"reports/README.md": report})
    first = [(r.method, r.path) for r in d.requests(since=mark)]
    mark = d.mark()
    push(d, bot, "group-12", {"reports/README.md": report + "\n"})
    steady = [(r.method, r.path) for r in d.requests(since=mark)]
    print("\nfirst push:", len(first), first, "\nsteady state:", len(steady), steady)
    assert len(steady) <= 4
    assert [m for m, _ in steady] == ["POST", "GET", "PATCH", "POST"]  # GraphQL head, tree, issue, check run


def test_a_hostile_report_path_in_the_config_cannot_mention_anyone(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "group-13", {".github/report-bot.yml": "report_path: 'docs/x`@teacher`y.md'\n"})
    push(d, bot, "group-13", {"docs/other.md": "x"}, changed=[".github/report-bot.yml"])
    body = d.issues(ORG, "group-13")[0].body
    # One code span whose fence is longer than the backticks inside: the path is shown as it is, no mention.
    assert "No report at ``docs/x`@teacher`y.md`` at commit" in body
    from markdown_it import MarkdownIt

    spans = [
        t for t in MarkdownIt("commonmark").parseInline(body)[0].children or [] if t.type == "code_inline"
    ]
    assert "docs/x`@teacher`y.md" in [t.content for t in spans]


def test_a_truncated_file_list_does_not_call_images_missing(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    """GitHub truncates the trees of huge repositories: images it did not list are unknown, not missing."""
    d = github_double
    report = seed("000_8087f8353d4a158a.md")
    d.add_repo(ORG, "group-14", {f"data/file{i}.txt": "x" for i in range(5)})
    d.truncate_trees(3)
    try:
        push(d, bot, "group-14", {"reports/README.md": report, "reports/figures/avmbucket.png": PNG})
    finally:
        d.truncate_trees(None)
    body = d.issues(ORG, "group-14")[0].body
    assert "RB020" not in body and "21/31 questions pass" in body
    assert "file list is incomplete" in body
