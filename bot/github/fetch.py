"""Reading a repository at a commit: its head, its file list, the report and the files beside it.

Blobs are immutable, so their text is cached by SHA: a config or `report.py` that did not change costs no
request. The head is one GraphQL request; GitHub cuts `Blob.text` of large files (about 512 KB, `isTruncated`
says so), and such a file is then read whole by REST (`GET .../git/blobs/{sha}`, up to 100 MB).

A GraphQL answer can carry `data` and `errors` together: it is read field by field (an error on the pull
request nulls the pull request, not the repository).
"""

from __future__ import annotations

import asyncio
import base64
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from githubkit import GitHub
from githubkit.exception import GraphQLFailed, RequestFailed


class NotFound(Exception):
    """The ref, file or repository does not exist (or the app cannot see it)."""


@dataclass(frozen=True)
class Snapshot:
    sha: str
    files: dict[str, str]
    """Every file of the commit: path -> blob SHA."""
    truncated: bool
    sizes: dict[str, int] = field(default_factory=dict)
    """path -> bytes, where GitHub said."""


class BlobCache:
    """Blob SHA -> bytes, bounded (least recently used out)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def get(self, sha: str) -> bytes | None:
        data = self._data.get(sha)
        if data is not None:
            self._data.move_to_end(sha)
        return data

    def put(self, sha: str, data: bytes) -> None:
        if sha in self._data or len(data) > self.max_bytes // 4:
            return
        self._data[sha] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _, old = self._data.popitem(last=False)
            self._size -= len(old)


def _missing(exc: RequestFailed) -> bool:
    return exc.response.status_code in (404, 409, 410, 422)


_HEAD_QUERY = """
query ReportHead($owner: String!, $name: String!, $expr: String!, $report: String!, $script: String!%s) {
  repository(owner: $owner, name: $name) {
    defaultBranchRef { name }%s
    head: object(expression: $expr) {
      ... on Commit {
        oid
        report: file(path: $report) { object { ...BlobText } }
        script: file(path: $script) { object { ...BlobText } }
      }
    }
    config: object(expression: "HEAD:.github/report-bot.yml") { ...BlobText }
  }
}
"""
_BLOB_FRAGMENT = """
fragment BlobText on Blob { oid byteSize isBinary isTruncated text }
"""
_PR_PART = """
    pullRequest(number: $pr) { state headRefOid files(first: 100) { totalCount nodes { path } } }"""


def head_query(*, with_pr: bool) -> str:
    """The one GraphQL document a check reads a ref with (tests validate both variants against GitHub's
    schema): head SHA, report, `report.py`, config, and with `with_pr` the pull request's state and files."""
    parts = (", $pr: Int!", _PR_PART) if with_pr else ("", "")
    return _HEAD_QUERY % parts + _BLOB_FRAGMENT


@dataclass(frozen=True)
class Head:
    """What one GraphQL request tells about a ref: its commit, the report, the `report.py` beside it and the
    repository's config on the default branch (texts are None where the file does not exist)."""

    sha: str
    default_branch: str
    report: str | None
    script: str | None
    config: str | None
    pr_state: str | None = None
    pr_files: tuple[str, ...] | None = None
    """The files a pull request changes (None: unknown — more than one page, GitHub did not say, or not a
    pull request)."""
    report_binary: bool = False
    """The report exists but is not a text file (GitHub says binary, or it is not UTF-8): `report` is None."""


@dataclass(frozen=True)
class _Blob:
    oid: str
    text: str | None
    truncated: bool
    binary: bool


def _blob(node: Any) -> _Blob | None:
    """A `BlobText` fragment's answer (the file's entry or the blob itself), None when there is no file."""
    if not isinstance(node, dict):
        return None
    obj = node.get("object", node)
    if not isinstance(obj, dict) or not isinstance(obj.get("oid"), str):
        return None
    text = obj.get("text")
    return _Blob(
        obj["oid"],
        text if isinstance(text, str) else None,
        obj.get("isTruncated") is True,
        obj.get("isBinary") is True,
    )


def _error_paths(exc: GraphQLFailed) -> list[tuple[str, list[Any]]]:
    return [(e.type or "", list(e.path or [])) for e in exc.response.errors or []]


def _failed_at(errors: list[tuple[str, list[Any]]], path: list[str]) -> list[str]:
    """The kinds of the errors at `path` (exactly: an error deeper down nulls only that deeper field)."""
    return [kind for kind, at in errors if at == path]


def _pr_files(pull: dict[str, Any]) -> tuple[str, ...] | None:
    """The pull request's changed files, or None when unknown (`files` is nullable: null means unknown)."""
    page = pull.get("files")
    if not isinstance(page, dict):
        return None
    raw = page.get("nodes")
    if not isinstance(raw, list):
        return None
    nodes = [n.get("path") for n in raw if isinstance(n, dict)]
    total = page.get("totalCount")
    if not isinstance(total, int) or total > len(nodes) or any(not isinstance(n, str) for n in nodes):
        return None
    return tuple(str(n) for n in nodes)


class RepoReader:
    def __init__(self, gh: GitHub[Any], owner: str, repo: str, blobs: BlobCache) -> None:
        self.gh, self.owner, self.repo, self.blobs = gh, owner, repo, blobs

    async def head(self, ref: str, report_path: str, pr: int | None = None) -> Head:
        """One request: the commit `ref` points at now, the report and `report.py` there, the config on the
        default branch and, for a pull request, its state and changed files."""
        script = report_path.rpartition("/")[0] + "/report.py" if "/" in report_path else "report.py"
        variables: dict[str, Any] = {
            "owner": self.owner,
            "name": self.repo,
            "expr": ref,
            "report": report_path,
            "script": script,
        }
        if pr is not None:
            variables["pr"] = pr
        data = await self._graphql(head_query(with_pr=pr is not None), variables, pr)
        repo = data.get("repository") or {}
        head = repo.get("head")
        pull_oid = (repo.get("pullRequest") or {}).get("headRefOid")
        if (
            pr is not None
            and (not isinstance(head, dict) or not head.get("oid"))
            and isinstance(pull_oid, str)
        ):
            # `refs/pull/N/head` not resolvable here: read the pull request's head commit by its SHA.
            return await self.head(pull_oid, report_path, pr)
        if not isinstance(head, dict) or not head.get("oid"):
            raise NotFound(f"`{ref}` is not a branch, tag or commit of {self.owner}/{self.repo}")
        default = (repo.get("defaultBranchRef") or {}).get("name") or "main"
        state, files = None, None
        pull = repo.get("pullRequest")
        if isinstance(pull, dict):
            state = pull.get("state")
            files = _pr_files(pull)
        report, report_binary = await self._whole_text(_blob(head.get("report")))
        script_text = (await self._whole_text(_blob(head.get("script"))))[0]
        config = (await self._whole_text(_blob(repo.get("config"))))[0]
        return Head(head["oid"], default, report, script_text, config, state, files, report_binary)

    async def _graphql(self, query: str, variables: dict[str, Any], pr: int | None) -> dict[str, Any]:
        """The answer's `data`, read field by field when GitHub also sent `errors`."""
        try:
            return await self.gh.async_graphql(query, variables)
        except GraphQLFailed as exc:
            errors = _error_paths(exc)
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            if not isinstance(data.get("repository"), dict):
                if any(kind == "NOT_FOUND" for kind, _ in errors):
                    raise NotFound(f"{self.owner}/{self.repo} is not readable by the app") from None
                raise
            if pr is not None and "NOT_FOUND" in _failed_at(errors, ["repository", "pullRequest"]):
                raise NotFound(f"#{pr} is not a pull request of {self.owner}/{self.repo}") from None
            return data  # errors deeper down (e.g. one file) null only those fields

    async def _whole_text(self, blob: _Blob | None) -> tuple[str | None, bool]:
        """(text, binary) of a file: the whole text, read by REST when GraphQL cut it short."""
        if blob is None:
            return None, False
        if blob.binary:
            return None, True
        if not blob.truncated and blob.text is not None:
            return blob.text, False
        try:
            return (await self.blob(blob.oid)).decode("utf-8"), False
        except UnicodeDecodeError:
            return None, True

    async def tree(self, sha: str) -> Snapshot:
        try:
            resp = await self.gh.rest.git.async_get_tree(self.owner, self.repo, sha, recursive="1")
        except RequestFailed as exc:
            if _missing(exc):
                raise NotFound(f"commit {sha[:7]} of {self.owner}/{self.repo} has no file tree") from None
            raise
        tree = resp.parsed_data
        blobs = [e for e in tree.tree if e.type == "blob" and e.path and e.sha]
        files = {e.path: e.sha for e in blobs if e.path and e.sha}
        sizes = {e.path: e.size for e in blobs if e.path and isinstance(e.size, int)}
        return Snapshot(sha, files, bool(tree.truncated), sizes)

    async def blob(self, sha: str) -> bytes:
        cached = self.blobs.get(sha)
        if cached is not None:
            return cached
        resp = await self.gh.rest.git.async_get_blob(self.owner, self.repo, sha)
        blob = resp.parsed_data
        data = base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode("utf-8")
        self.blobs.put(sha, data)
        return data

    async def texts(self, snapshot: Snapshot, paths: list[str], max_bytes: int) -> dict[str, str | None]:
        """The texts of `paths` at the snapshot (git blobs by SHA, cached), a few requests at a time; None for
        a file over `max_bytes` (not read), binary or not UTF-8."""
        gate = asyncio.Semaphore(4)

        async def one(path: str) -> str | None:
            sha = snapshot.files.get(path)
            if sha is None or snapshot.sizes.get(path, 0) > max_bytes:
                return None
            try:
                async with gate:
                    data = await self.blob(sha)
            except RequestFailed:
                return None  # gone or refused: the item is "not checked", the check goes on
            if len(data) > max_bytes or b"\0" in data[:8192]:
                return None
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return None

        found = await asyncio.gather(*(one(p) for p in paths))
        return dict(zip(paths, found, strict=True))

    async def file_on_default_branch(self, owner: str, repo: str, path: str) -> str | None:
        """A file's text on a repository's default branch (configs of other repositories), None when absent."""
        try:
            resp = await self.gh.rest.repos.async_get_content(owner, repo, path)
        except RequestFailed as exc:
            if _missing(exc) or exc.response.status_code == 403:
                return None
            raise
        content = resp.parsed_data
        if isinstance(content, list) or getattr(content, "type", "") != "file":
            return None
        raw = base64.b64decode(getattr(content, "content", "") or "")
        return raw.decode("utf-8", errors="replace")
