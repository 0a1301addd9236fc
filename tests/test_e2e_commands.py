"""End to end: `/report help|check|html` in issue and pull-request comments, against the GitHub double.

One `report-bot serve` for the whole module (distinct repositories per test keep the tests apart).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from e2e_harness import PAYLOADS, BotServer, comment_payload, pr_payload, seed
from fake_images import png
from github_double import Comment, GitHubDouble
from github_double.fixtures import APP_ID, INSTALLATION_ID, AppKey

from bot.cli import render as render_cli
from bot.report.check import check
from bot.report.render import render_page
from bot.report.rules import resolve

pytestmark = pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it

ORG = "course-org"
WRITER, READER = "writer", "reader"
REPORT = "000_8087f8353d4a158a.md"  # 21/31 pass; links figures/avmbucket.png and three more images
FIGURES = {
    "reports/figures/avmbucket.png": png(rgb=(200, 30, 30)),
    "reports/figures/avmregistry.png": png(rgb=(30, 200, 30)),
    "reports/figures/unlinked.png": png(rgb=(1, 2, 3)),  # in the repository, not in the report
}
APP_BOT = "report-bot[bot]"
LINK = re.compile(r"\((http://127\.0\.0\.1:\d+/artifacts/[A-Za-z0-9_-]{43}/[^)\s]+)\)")


@pytest.fixture(scope="module")
def double(app_key: AppKey) -> Iterator[GitHubDouble]:
    with GitHubDouble(app_id=APP_ID, public_key=app_key.public_pem) as d:
        d.add_installation(INSTALLATION_ID, ORG)
        yield d


@pytest.fixture(scope="module")
def bot(
    double: GitHubDouble, app_key: AppKey, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotServer]:
    with BotServer(double, app_key.private_pem, tmp_path_factory.mktemp("commands")) as server:
        yield server


def make_repo(d: GitHubDouble, name: str, extra: dict[str, bytes | str] | None = None) -> None:
    d.add_repo(ORG, name, {"reports/README.md": seed(REPORT), **FIGURES, **(extra or {})})
    d.set_permission(ORG, name, WRITER, "write")
    d.set_permission(ORG, name, READER, "read")


def say(d: GitHubDouble, bot: BotServer, repo: str, number: int, body: str, user: str = WRITER) -> Comment:
    """`user` comments `body`; the webhook is delivered and every job has run."""
    c = d.add_comment(ORG, repo, number, body, user=user)
    assert bot.send("issue_comment", comment_payload(d, ORG, repo, number, c.id)).status_code == 202
    bot.idle()
    return c


def replies(d: GitHubDouble, repo: str, number: int) -> list[str]:
    return [c.body for c in d.comments(ORG, repo, number) if c.user.login == APP_BOT]


def reactions(d: GitHubDouble, repo: str, comment: Comment) -> list[str]:
    found = d.reactions(ORG, repo, comment_id=comment.id)
    assert all(r.user.login == APP_BOT for r in found)
    return [r.content for r in found]


def open_pr(d: GitHubDouble, repo: str, branch: str = "work") -> tuple[int, str]:
    _, head = d.push(ORG, repo, branch, {"reports/README.md": seed(REPORT) + "\nEdited in the PR.\n"})
    return d.open_pr(ORG, repo, branch), head


def only_reply(d: GitHubDouble, repo: str, number: int) -> str:
    found = replies(d, repo, number)
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------------------------------- help


@pytest.mark.parametrize("in_pr", [False, True], ids=["issue", "pr"])
def test_help_from_a_writer(double: GitHubDouble, bot: BotServer, in_pr: bool) -> None:
    d, repo = double, f"help-{int(in_pr)}"
    make_repo(d, repo)
    number = open_pr(d, repo)[0] if in_pr else d.add_issue(ORG, repo, "How does this work?").number
    mark = d.mark()
    c = say(d, bot, repo, number, "Hi bot!\r\n\r\n/Report HELP please")
    calls = [(r.method, r.path) for r in d.requests(since=mark) if not r.path.endswith("/access_tokens")]
    print(f"\nGitHub requests, /report help: {len(calls)} {calls}")
    assert len(calls) <= 6  # 👀, the head and config (GraphQL), the permission, the reply, 🚀 (+ org config)
    body = only_reply(d, repo, number)
    assert body.splitlines()[1] == "> `/Report HELP please`"  # the quoted command, after the hidden marker
    for command in ("/report check [ref]", "/report html [ref]", "/report help"):
        assert command in body
    assert "**write** access or more" in body
    assert "the defaults (no `.github/report-bot.yml`" in body
    assert "**Rule set:** `dtu-mlops-" in body
    assert "not made yet" in body  # no pinned issue in this repository yet
    assert "command_permission: write" in body  # the current settings
    assert reactions(d, repo, c) == ["eyes", "rocket"]


def test_help_names_the_config_its_error_and_the_pinned_issue(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "help-config"
    make_repo(d, repo, {".github/report-bot.yml": "command_permission: maybe\n"})
    number = d.add_issue(ORG, repo, "Question").number
    say(d, bot, repo, number, "/report check")  # makes the pinned issue
    pinned = d.pinned(ORG, repo)
    assert len(pinned) == 1
    say(d, bot, repo, number, "/report help")
    body = replies(d, repo, number)[-1]
    assert f"**Report check issue:** #{pinned[0]}" in body
    assert f"from `{ORG}/{repo}:.github/report-bot.yml`" in body
    assert "could not be used, the defaults apply" in body and "command_permission" in body


# ------------------------------------------------------------------------------------------- check


def test_check_in_an_issue_refreshes_the_pinned_issue(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "check-issue"
    make_repo(d, repo)
    number = d.add_issue(ORG, repo, "Is our report ok?").number
    c = say(d, bot, repo, number, "/report check")
    pinned = d.pinned(ORG, repo)
    assert (
        len(pinned) == 1 and "21/31 questions pass the official check" in d.issue(ORG, repo, pinned[0]).body
    )
    body = only_reply(d, repo, number)
    assert "> `/report check`" in body
    assert "### ❌ 21/31 questions pass the official check" in body
    assert "| 5 | Project structure" in body  # the failing-questions table
    assert f"in the pinned issue #{pinned[0]} (refreshed now)" in body
    assert reactions(d, repo, c) == ["eyes", "rocket"]
    sha = d.head(ORG, repo)
    assert len(d.check_runs(ORG, repo, sha)) == 1


def test_check_in_a_pr_refreshes_the_sticky_comment_and_check_run(
    double: GitHubDouble, bot: BotServer
) -> None:
    d, repo = double, "check-pr"
    make_repo(d, repo)
    number, head = open_pr(d, repo)
    c = say(d, bot, repo, number, "/report check")
    bot_comments = replies(d, repo, number)
    assert len(bot_comments) == 2  # the sticky report comment, then the reply
    sticky, reply = bot_comments
    assert "21/31 questions pass" in sticky and "<!-- report-bot:pr-comment -->" in sticky
    assert "> `/report check`" in reply and "the report comment of this pull request" in reply
    assert f"commit `{head[:7]}`" in reply
    assert len(d.check_runs(ORG, repo, head)) == 1
    assert reactions(d, repo, c) == ["eyes", "rocket"]


def test_check_a_tag_and_a_ref_that_does_not_exist(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "check-refs"
    make_repo(d, repo)
    sha = d.add_tag(ORG, repo, "v1")
    number = d.add_issue(ORG, repo, "Refs").number
    c1 = say(d, bot, repo, number, "/report check v1")
    body = replies(d, repo, number)[-1]
    assert f"Checked `v1` (commit `{sha[:7]}`)" in body and "#### What to fix" in body  # the full verdict
    assert d.pinned(ORG, repo) == []  # only the default branch has the pinned issue
    assert reactions(d, repo, c1) == ["eyes", "rocket"]
    c2 = say(d, bot, repo, number, "/report html feature/does-not-exist")
    body = replies(d, repo, number)[-1]
    assert "> `/report html feature/does-not-exist`" in body
    assert "`feature/does-not-exist` is not a branch, tag or commit of this repository" in body
    assert "leave the ref out to use the default branch `main`: `/report html`" in body
    assert reactions(d, repo, c2) == ["eyes", "confused"]


def test_unknown_command_and_ignored_later_lines(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "unknown"
    make_repo(d, repo)
    number = d.add_issue(ORG, repo, "Typo").number
    c = say(d, bot, repo, number, "/report chek @teacher\n/report html\n> /report help")
    body = only_reply(d, repo, number)
    assert "`chek` is not a command I know. Did you mean `/report check`?" in body
    assert "/report html [ref]" in body  # the help text
    assert "ignored" in body and "> `/report html`" in body
    assert "@teacher" not in body  # student text never mentions anyone
    assert reactions(d, repo, c) == ["eyes", "confused"]
    assert d.pinned(ORG, repo) == []


# ------------------------------------------------------------------------------------------- html


def _download(url: str) -> str:
    resp = httpx.get(url, timeout=10)
    assert resp.status_code == 200, resp.text
    assert "sandbox" in resp.headers.get("content-security-policy", "")
    return resp.text


def _in_process(d: GitHubDouble, repo: str, sha: str) -> str:
    """The page `render_page` makes in-process for the same text and files of commit `sha`."""
    text = (d.file(ORG, repo, "reports/README.md", sha) or b"").decode()
    files = {p: d.file(ORG, repo, p, sha) for p in [*FIGURES, "reports/README.md"]}
    rules, reason = resolve("auto", text)
    verdict = check(text, rules, list(files), "reports", reason)
    page = render_page(
        text, files.get, verdict=verdict, report_dir="reports", commit=sha, group=f"{ORG}/{repo}"
    )
    return page.html


def test_html_in_an_issue_links_a_page_equal_to_report_bot_render(
    double: GitHubDouble, bot: BotServer, tmp_path: Path
) -> None:
    d, repo = double, "html-issue"
    make_repo(d, repo)
    number = d.add_issue(ORG, repo, "Preview").number
    mark = d.mark()
    c = say(d, bot, repo, number, "/report html")
    body = only_reply(d, repo, number)
    sha = d.head(ORG, repo)
    assert "> `/report html`" in body and f"commit `{sha[:7]}`" in body
    assert "**Verdict:** ❌ 21/31 questions pass the official check" in body
    expires = re.search(r"works until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", body)
    assert expires is not None
    until = datetime.strptime(expires.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert abs(until - (datetime.now(UTC) + timedelta(hours=72))) < timedelta(minutes=5)
    assert reactions(d, repo, c) == ["eyes", "rocket"]
    # Only the images the report links were fetched, by blob SHA.
    blobs = d.requests(method="GET", path=f"/repos/{ORG}/{repo}/git/blobs/*", since=mark)
    assert len(blobs) == 2
    print(f"\nGitHub requests, /report html in an issue: {d.count(since=mark)}")

    match = LINK.search(body)
    assert match is not None
    page = _download(match.group(1))
    assert page == _in_process(d, repo, sha)
    assert page.count('src="data:image/png;base64,') == 2 * 2  # each image in both views: hand-in, GitHub

    # `report-bot render` of a checkout of the same commit: the same page but for the commit row.
    checkout = tmp_path / "checkout"
    for path in [*FIGURES, "reports/README.md"]:
        target = checkout / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(d.file(ORG, repo, path, sha) or b"")
    (checkout / ".git").mkdir()
    out = tmp_path / "cli.html"
    args = argparse.Namespace(
        path=checkout / "reports/README.md", output=out, repo_root=None, plain=False, rules="auto",
        group=f"{ORG}/{repo}",
    )  # fmt: skip
    assert render_cli.main(args) == 0
    commit_row = re.compile(r"<dt>Commit</dt><dd>.*?</dd>")
    assert commit_row.sub("", page) == out.read_text("utf-8")


def test_html_in_a_pr_sets_the_check_runs_details_url(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "html-pr"
    make_repo(d, repo)
    number, head = open_pr(d, repo)
    assert bot.send("pull_request", pr_payload(d, ORG, repo, number, "opened")).status_code == 202
    bot.idle()
    assert len(d.check_runs(ORG, repo, head)) == 1
    c = say(d, bot, repo, number, "/report html")
    body = replies(d, repo, number)[-1]
    match = LINK.search(body)
    assert match is not None and f"commit `{head[:7]}`" in body
    runs = d.check_runs(ORG, repo, head)
    assert len(runs) == 1 and runs[0].details_url == match.group(1)
    assert _download(match.group(1)) == _in_process(d, repo, head)
    assert reactions(d, repo, c) == ["eyes", "rocket"]


def test_render_limit_per_repository_and_hour(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "html-limit"
    make_repo(d, repo, {".github/report-bot.yml": "renders_per_hour: 1\n"})
    number = d.add_issue(ORG, repo, "Preview").number
    first = say(d, bot, repo, number, "/report html")
    assert LINK.search(replies(d, repo, number)[-1]) is not None
    second = say(d, bot, repo, number, "/report html main")
    body = replies(d, repo, number)[-1]
    assert LINK.search(body) is None
    assert "used its 1 page render of the last hour" in body
    when = re.search(r"possible at (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \(in (\d+) minutes\)", body)
    assert when is not None and 55 <= int(when.group(2)) <= 60
    assert reactions(d, repo, first) == ["eyes", "rocket"]
    assert reactions(d, repo, second) == ["eyes", "confused"]


# ------------------------------------------------------------------------------------------- who may ask


@pytest.mark.parametrize("in_pr", [False, True], ids=["issue", "pr"])
def test_a_reader_gets_one_polite_refusal_per_conversation(
    double: GitHubDouble, bot: BotServer, in_pr: bool
) -> None:
    d, repo = double, f"reader-{int(in_pr)}"
    make_repo(d, repo)
    number = open_pr(d, repo)[0] if in_pr else d.add_issue(ORG, repo, "Let me try").number
    first = say(d, bot, repo, number, "/report html", user=READER)
    second = say(d, bot, repo, number, "/report check", user=READER)
    body = only_reply(d, repo, number)
    assert "> `/report html`" in body
    assert "only people with **write** access" in body and "you have **read** access" in body
    assert reactions(d, repo, first) == ["eyes", "confused"]
    assert reactions(d, repo, second) == ["eyes", "confused"]
    assert d.pinned(ORG, repo) == [] and d.check_runs(ORG, repo) == []
    # Someone else is told too; the writer's command runs.
    say(d, bot, repo, number, "/report help", user="outsider")
    assert len(replies(d, repo, number)) == 2 and "you have no access" in replies(d, repo, number)[-1]
    ok = say(d, bot, repo, number, "/report help")
    assert reactions(d, repo, ok) == ["eyes", "rocket"]


def test_the_minimum_permission_comes_from_the_config(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "reader-allowed"
    make_repo(d, repo, {".github/report-bot.yml": "command_permission: read\n"})
    number = d.add_issue(ORG, repo, "Readers welcome").number
    c = say(d, bot, repo, number, "/report help", user=READER)
    assert "**read** access or more" in only_reply(d, repo, number)
    assert reactions(d, repo, c) == ["eyes", "rocket"]


def test_comments_from_bots_are_never_commands(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "bots"
    make_repo(d, repo)
    number = d.add_issue(ORG, repo, "Bots").number
    d.state.user("helper[bot]", "Bot")
    d.set_permission(ORG, repo, "helper[bot]", "admin")
    c = d.add_comment(ORG, repo, number, "/report check", user="helper[bot]")
    resp = bot.send("issue_comment", comment_payload(d, ORG, repo, number, c.id))
    assert resp.status_code == 202 and "0 job(s)" in resp.text
    # Our own replies quote commands; even sent back to us they are not commands.
    mine = say(d, bot, repo, number, "/report help")
    reply = d.comments(ORG, repo, number)[-1]
    assert reply.user.login == APP_BOT
    resp = bot.send("issue_comment", comment_payload(d, ORG, repo, number, reply.id))
    assert resp.status_code == 202 and "0 job(s)" in resp.text
    bot.idle()
    assert reactions(d, repo, c) == [] and len(replies(d, repo, number)) == 1
    assert reactions(d, repo, mine) == ["eyes", "rocket"]


# ------------------------------------------------------------------------------------------- edits


def _edit(d: GitHubDouble, bot: BotServer, repo: str, number: int, comment: Comment, body: str) -> None:
    d.edit_comment(ORG, repo, comment.id, body)
    payload = comment_payload(d, ORG, repo, number, comment.id, "edited")
    payload["changes"] = {"body": {"from": comment.body}}
    assert bot.send("issue_comment", payload).status_code == 202
    bot.idle()


def test_edited_comments_are_ignored_by_default(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "edits-off"
    make_repo(d, repo)
    number = d.add_issue(ORG, repo, "Edits").number
    c = say(d, bot, repo, number, "Looks good")
    _edit(d, bot, repo, number, c, "Looks good\n/report help")
    assert replies(d, repo, number) == [] and reactions(d, repo, c) == []


def test_edited_comments_run_when_the_config_says_so(double: GitHubDouble, bot: BotServer) -> None:
    d, repo = double, "edits-on"
    make_repo(d, repo, {".github/report-bot.yml": "edited_comments: true\n"})
    number, _ = open_pr(d, repo)
    c = say(d, bot, repo, number, "Looks good")
    _edit(d, bot, repo, number, c, "Looks good\n/report help")
    assert len(replies(d, repo, number)) == 1 and "> `/report help`" in replies(d, repo, number)[0]
    assert reactions(d, repo, c) == ["eyes", "rocket"]
    # An edit that leaves the command as it was asks for nothing new.
    mark = d.mark()
    _edit(d, bot, repo, number, d.comment(ORG, repo, c.id), "Looks good!\n/report help")
    assert len(replies(d, repo, number)) == 1 and d.count(since=mark) == 0


def test_render_limits_come_from_the_settings(double: GitHubDouble, app_key: AppKey, tmp_path: Path) -> None:
    """REPORT_BOT_RENDER_MAX_REPORT_KB (and the other render limits) reach `/report html`."""
    d, repo = double, "html-small-limit"
    make_repo(d, repo)
    number = d.add_issue(ORG, repo, "Preview").number
    with BotServer(d, app_key.private_pem, tmp_path, REPORT_BOT_RENDER_MAX_REPORT_KB="10") as small:
        c = say(d, small, repo, number, "/report html")
    body = only_reply(d, repo, number)
    assert "over the limit of" in body and "max_report_bytes" in body
    assert reactions(d, repo, c) == ["eyes", "confused"]


def test_pages_of_a_repository_the_app_leaves_are_deleted(double: GitHubDouble, bot: BotServer) -> None:
    """`installation_repositories.removed`: the rendered pages of that repository go (their links answer 404),
    those of the repositories the app still has stay."""
    d = double
    links = {}
    for repo in ("leaves", "stays"):
        make_repo(d, repo)
        number = d.add_issue(ORG, repo, "Preview").number
        say(d, bot, repo, number, "/report html")
        match = LINK.search(only_reply(d, repo, number))
        assert match is not None
        links[repo] = match.group(1)
        assert httpx.get(links[repo], timeout=10).status_code == 200
    removed = json.loads((PAYLOADS / "installation_repositories" / "removed.payload.json").read_text())
    removed["installation"]["id"] = INSTALLATION_ID
    removed["installation"]["account"]["login"] = ORG
    repo_id = d.json_repo(ORG, "leaves")["id"]
    removed["repositories_removed"] = [
        {"id": repo_id, "name": "leaves", "full_name": f"{ORG}/Leaves", "private": True}  # any case
    ]
    removed["repositories_added"] = []
    assert bot.send("installation_repositories", removed).status_code == 202
    bot.idle()
    assert httpx.get(links["leaves"], timeout=10).status_code == 404
    assert httpx.get(links["stays"], timeout=10).status_code == 200
