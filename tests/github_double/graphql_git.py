"""GraphQL resolvers for git objects: Commit (file, tree), Tree (entries), TreeEntry (object), Blob (byteSize,
isBinary, isTruncated, text), Ref (target), and `git_object` for `Repository.object(expression:)`."""

from __future__ import annotations

import base64

from .git import TreeEntry
from .graphql_base import CURRENT, HTML, GNode, Json, ts
from .model import Repo
from .state import GitHubState


class BlobNode(GNode):
    typename = "Blob"

    def __init__(self, repo: Repo, sha: str) -> None:
        self.repo, self.sha = repo, sha
        self.data = repo.objects.blobs[sha]

    def f_oid(self, args: Json) -> str:
        return self.sha

    def f_abbreviatedOid(self, args: Json) -> str:
        return self.sha[:7]

    def f_byteSize(self, args: Json) -> int:
        return len(self.data)

    def f_isBinary(self, args: Json) -> bool:
        return b"\0" in self.data

    def _limit(self) -> int | None:
        return CURRENT.get().state.blob_text_limit

    def f_isTruncated(self, args: Json) -> bool:
        limit = self._limit()
        return limit is not None and len(self.data) > limit and b"\0" not in self.data

    def f_text(self, args: Json) -> str | None:
        if b"\0" in self.data:
            return None
        limit = self._limit()
        data = self.data if limit is None else self.data[:limit]
        return data.decode("utf-8", "ignore" if limit is not None else "replace")


class TreeNode(GNode):
    typename = "Tree"

    def __init__(self, repo: Repo, sha: str, prefix: str = "") -> None:
        self.repo, self.sha, self.prefix = repo, sha, prefix

    def f_oid(self, args: Json) -> str:
        return self.sha

    def f_entries(self, args: Json) -> list[TreeEntryNode]:
        return [TreeEntryNode(self.repo, self.prefix + e.name, e) for e in self.repo.objects.trees[self.sha]]


class TreeEntryNode(GNode):
    typename = "TreeEntry"

    def __init__(self, repo: Repo, path: str, entry: TreeEntry) -> None:
        self.repo, self.path, self.entry = repo, path, entry

    def f_name(self, args: Json) -> str:
        return self.entry.name

    def f_path(self, args: Json) -> str:
        return self.path

    def f_oid(self, args: Json) -> str:
        return self.entry.sha

    def f_type(self, args: Json) -> str:
        return self.entry.type

    def f_mode(self, args: Json) -> int:
        return int(self.entry.mode, 8)

    def f_size(self, args: Json) -> int:
        return self.entry.size or 0

    def f_extension(self, args: Json) -> str | None:
        return "." + self.entry.name.rsplit(".", 1)[1] if "." in self.entry.name else None

    def f_isGenerated(self, args: Json) -> bool:
        return False

    def f_object(self, args: Json) -> GNode:
        if self.entry.type == "tree":
            return TreeNode(self.repo, self.entry.sha, self.path + "/")
        return BlobNode(self.repo, self.entry.sha)


class CommitNode(GNode):
    typename = "Commit"

    def __init__(self, repo: Repo, sha: str) -> None:
        self.repo, self.sha = repo, sha
        self.commit = repo.objects.commits[sha]

    def f_id(self, args: Json) -> str:
        return "C_" + base64.urlsafe_b64encode(bytes.fromhex(self.sha)).decode().rstrip("=")

    def f_oid(self, args: Json) -> str:
        return self.sha

    def f_abbreviatedOid(self, args: Json) -> str:
        return self.sha[:7]

    def f_message(self, args: Json) -> str:
        return self.commit.message

    def f_committedDate(self, args: Json) -> str | None:
        return ts(self.commit.date)

    def f_authoredDate(self, args: Json) -> str | None:
        return ts(self.commit.date)

    def f_url(self, args: Json) -> str:
        return f"{HTML}/{self.repo.full_name}/commit/{self.sha}"

    def f_tree(self, args: Json) -> TreeNode:
        return TreeNode(self.repo, self.commit.tree)

    def f_history(self, args: Json) -> GNode:
        from .graphql_stats import history

        return history(self.repo, self.sha, args)

    def f_checkSuites(self, args: Json) -> GNode:
        from .graphql_stats import check_suites

        return check_suites(self.repo, self.sha, args)

    def f_file(self, args: Json) -> TreeEntryNode | None:
        path = str(args.get("path") or "").strip("/")
        tree = self.commit.tree
        parts = path.split("/")
        for i, part in enumerate(parts):
            entry = next((e for e in self.repo.objects.trees[tree] if e.name == part), None)
            if entry is None:
                return None
            if i == len(parts) - 1:
                return TreeEntryNode(self.repo, path, entry)
            if entry.type != "tree":
                return None
            tree = entry.sha
        return None


def git_object(repo: Repo, state: GitHubState, expression: str) -> GNode | None:
    """`rev` or `rev:path` (rev: branch, tag, SHA or HEAD) -> Commit / Tree / Blob, None when absent."""
    rev, sep, path = expression.partition(":")
    sha = state.resolve(repo, repo.default_branch if rev in ("", "HEAD") else rev)
    if sha is None:
        return None
    if not sep:
        return CommitNode(repo, sha)
    commit = CommitNode(repo, sha)
    if not path.strip("/"):
        return TreeNode(repo, commit.commit.tree)
    entry = commit.f_file({"path": path})
    return None if entry is None else entry.f_object({})


class RefNode(GNode):
    typename = "Ref"

    def __init__(self, repo: Repo, prefix: str, name: str, sha: str) -> None:
        self.repo, self.prefix, self.name, self.sha = repo, prefix, name, sha

    def f_name(self, args: Json) -> str:
        return self.name

    def f_prefix(self, args: Json) -> str:
        return self.prefix

    def f_target(self, args: Json) -> CommitNode:
        return CommitNode(self.repo, self.sha)
