"""GitHub's GraphQL contract beyond the happy path, with respx: `Blob.text` cut short for large files
(`isTruncated`, then the whole blob by REST), binary files, `PullRequest.files: null`, and answers that
carry `data` and `errors` together (read field by field)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx
from github_double.fixtures import make_app_key

from bot.github.client import GitHubApp
from bot.github.fetch import BlobCache, Head, NotFound, RepoReader
from bot.jobs.read import _touches

API = "https://ghe.example.edu/api/v3"
GQL = "https://ghe.example.edu/api/graphql"  # GitHub Enterprise Server answers GraphQL beside /api/v3
TOKEN = {
    "token": "ghs_test",
    "expires_at": "2099-01-01T00:00:00Z",
    "permissions": {},
    "repository_selection": "all",
}
SHA = "a" * 40
BLOB = "b" * 40


@pytest.fixture(scope="module")
def app() -> GitHubApp:
    return GitHubApp(1, make_app_key().private_pem, api_url=API, timeout=3)


def reader(app: GitHubApp) -> RepoReader:
    respx.post(f"{API}/app/installations/5/access_tokens").mock(return_value=httpx.Response(201, json=TOKEN))
    return RepoReader(app.installation(5), "o", "r", BlobCache())


def blob(text: str | None, *, truncated: bool = False, binary: bool = False, size: int = 0) -> dict[str, Any]:
    return {"oid": BLOB, "byteSize": size, "isBinary": binary, "isTruncated": truncated, "text": text}


def answer(
    report: dict[str, Any] | None, pull: Any = "absent", errors: list[Any] | None = None
) -> httpx.Response:
    repo: dict[str, Any] = {
        "defaultBranchRef": {"name": "main"},
        "head": {"oid": SHA, "report": {"object": report} if report else None, "script": None},
        "config": None,
    }
    if pull != "absent":
        repo["pullRequest"] = pull
    body: dict[str, Any] = {"data": {"repository": repo}}
    if errors:
        body["errors"] = errors
    return httpx.Response(200, json=body)


@respx.mock
async def test_a_truncated_report_is_read_whole_by_rest(app: GitHubApp) -> None:
    """GitHub cuts `Blob.text` at about 512 KB: a 536 KB report was checked cut short (a false crash)."""
    whole = "# Exam report\n\n" + "word " * 110_000  # 550 KB
    graphql = respx.post(GQL).mock(
        return_value=answer(blob(whole[:512_000], truncated=True, size=len(whole)))
    )
    rest = respx.get(f"{API}/repos/o/r/git/blobs/{BLOB}").mock(
        return_value=httpx.Response(
            200,
            json={
                "sha": BLOB,
                "node_id": "B_1",
                "size": len(whole),
                "url": f"{API}/repos/o/r/git/blobs/{BLOB}",
                "content": base64.b64encode(whole.encode()).decode(),
                "encoding": "base64",
            },
        )
    )
    head = await reader(app).head("refs/heads/main", "reports/README.md")
    assert head.report == whole and not head.report_binary
    assert rest.call_count == 1
    sent = json.loads(graphql.calls[0].request.content)["query"]
    assert "isTruncated" in sent and "isBinary" in sent and "byteSize" in sent


@respx.mock
async def test_a_report_that_is_not_truncated_costs_no_rest_call(app: GitHubApp) -> None:
    respx.post(GQL).mock(return_value=answer(blob("# Report\n", size=9)))
    rest = respx.get(f"{API}/repos/o/r/git/blobs/{BLOB}")
    head = await reader(app).head("refs/heads/main", "reports/README.md")
    assert head.report == "# Report\n" and rest.call_count == 0


@respx.mock
async def test_a_binary_report_is_named_as_such_not_missing(app: GitHubApp) -> None:
    respx.post(GQL).mock(return_value=answer(blob(None, binary=True, size=3000)))
    head = await reader(app).head("refs/heads/main", "reports/README.md")
    assert head.report is None and head.report_binary


@respx.mock
async def test_null_files_of_a_pull_request_are_unknown_so_it_counts_as_touching(app: GitHubApp) -> None:
    """`PullRequest.files` is nullable: null means GitHub does not know, not "no files"."""
    pull = {"state": "OPEN", "headRefOid": SHA, "files": None}
    respx.post(GQL).mock(return_value=answer(blob("# R\n"), pull=pull))
    head = await reader(app).head("refs/pull/3/head", "reports/README.md", pr=3)
    assert head.pr_files is None
    assert _touches(head, "reports")


def test_known_files_that_miss_the_report_do_not_touch_it() -> None:
    head = Head(SHA, "main", "# R", None, None, "OPEN", ("src/app.py",))
    assert not _touches(head, "reports")


@respx.mock
async def test_not_found_on_the_pull_request_is_not_an_unreadable_repository(app: GitHubApp) -> None:
    errors = [
        {
            "type": "NOT_FOUND",
            "path": ["repository", "pullRequest"],
            "locations": [{"line": 4, "column": 5}],
            "message": "Could not resolve to a PullRequest with the number of 7.",
        }
    ]
    respx.post(GQL).mock(return_value=answer(blob("# R\n"), pull=None, errors=errors))
    with pytest.raises(NotFound) as err:
        await reader(app).head("refs/pull/7/head", "reports/README.md", pr=7)
    assert "#7 is not a pull request of o/r" in str(err.value)
    assert "not readable" not in str(err.value)


@respx.mock
async def test_an_error_deeper_down_nulls_only_that_field(app: GitHubApp) -> None:
    errors = [{"type": "SERVICE_UNAVAILABLE", "path": ["repository", "config"], "message": "timeout"}]
    respx.post(GQL).mock(return_value=answer(blob("# R\n"), errors=errors))
    head = await reader(app).head("refs/heads/main", "reports/README.md")
    assert head.report == "# R\n" and head.config is None


@respx.mock
async def test_not_found_on_the_repository_is_an_unreadable_repository(app: GitHubApp) -> None:
    body = {
        "data": {"repository": None},
        "errors": [
            {"type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve to a Repository"}
        ],
    }
    respx.post(GQL).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(NotFound, match="o/r is not readable by the app"):
        await reader(app).head("refs/heads/main", "reports/README.md")
