"""End to end against the double: a report over GitHub's `Blob.text` limit, a binary report, and a pull
request whose `files` GitHub does not know (null)."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_harness import BotServer, pr_payload, push_payload, seed
from github_double import GitHubDouble

ORG = "course-org"


@pytest.fixture
def bot(github_double: GitHubDouble, app_key, tmp_path: Path):  # type: ignore[no-untyped-def]
    with BotServer(github_double, app_key.private_pem, tmp_path) as server:
        yield server


def push(d: GitHubDouble, bot: BotServer, repo: str, files: dict[str, bytes | str | None]) -> str:
    before, after = d.push(ORG, repo, "main", files)
    assert bot.send("push", push_payload(d, ORG, repo, before, after, list(files))).status_code == 202
    bot.idle()
    return after


def test_a_536_kb_report_is_checked_whole(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    big = "\n" * 530_000 + seed("000_8087f8353d4a158a.md")  # about 536 KB, the answers past GitHub's cut
    d.add_repo(ORG, "big", {"README.md": "x"})
    d.truncate_blob_text(512_000)
    push(d, bot, "big", {"reports/README.md": big})
    body = d.issues(ORG, "big")[0].body or ""
    assert "21/31 questions pass the official check" in body and "RB046" not in body
    assert d.requests(method="GET", path_prefix=f"/repos/{ORG}/big/git/blobs/")


def test_a_binary_report_is_not_a_text_file_not_a_missing_one(
    github_double: GitHubDouble, bot: BotServer
) -> None:
    d = github_double
    d.add_repo(ORG, "binary", {"README.md": "x"})
    push(d, bot, "binary", {"reports/README.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)})
    body = d.issues(ORG, "binary")[0].body or ""
    assert "is not a text file" in body and "No report" not in body


def test_a_pull_request_with_unknown_files_is_checked(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    report = seed("000_8087f8353d4a158a.md")
    d.add_repo(ORG, "nullfiles", {"reports/README.md": report})
    d.push(ORG, "nullfiles", "work", {"src/train.py": "x = 1\n"}, base="main")
    number = d.open_pr(ORG, "nullfiles", "work")
    d.unknown_pull_files()
    bot.send("pull_request", pr_payload(d, ORG, "nullfiles", number, "opened"))
    bot.idle()
    comments = d.comments(ORG, "nullfiles", number)  # unknown files: assume it touches the report
    assert len(comments) == 1 and "21/31 questions pass" in comments[0].body
