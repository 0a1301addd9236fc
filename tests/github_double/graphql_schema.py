"""The slice of GitHub's GraphQL schema the double serves, as node classes (field `x` = method `f_x`).

Query: repository(owner, name) { id name nameWithOwner isPrivate url owner defaultBranchRef ref(qualifiedName)
object(expression | oid) pullRequest(number) issue(number) pinnedIssues(first) }, node(id), rateLimit, viewer.
Commit { oid abbreviatedOid message committedDate tree file(path) }, Tree { oid entries }, TreeEntry { name
path oid type mode size extension object }, Blob { oid byteSize isBinary isTruncated text }, PullRequest {
state headRefName headRefOid baseRefName baseRefOid files(first, after) ... }, Issue { isPinned ... }.
Mutation: pinIssue / unpinIssue(input: {issueId, clientMutationId}) { issue clientMutationId }."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .auth import Principal
from .errors import ApiError
from .git import FileChange, TreeEntry
from .graphql_exec import FieldError, GNode
from .model import Issue, Repo, User
from .state import MAX_PINNED, GitHubState

HTML = "https://github.com"
Json = dict[str, Any]


@dataclass
class Ctx:
    state: GitHubState
    principal: Principal


def _ts(when: datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _visible(ctx: Ctx, repo: Repo) -> bool:
    p = ctx.principal
    if p.kind == "installation":
        return repo.installation_id == p.installation_id
    return not repo.private or ctx.state.role(repo, p.user.login) != "none"


def _cursor(n: int) -> str:
    return base64.b64encode(f"cursor:{n}".encode()).decode()


def _offset(after: Any) -> int:
    if not after:
        return 0
    try:
        return int(base64.b64decode(str(after)).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise FieldError(
            "INVALID_CURSOR_ARGUMENTS", f"`{after}` does not appear to be a valid cursor."
        ) from None


class Connection(GNode):
    def __init__(self, typename: str, items: list[Any], args: Json, *, limit: int = 100) -> None:
        first = args.get("first")
        if not isinstance(first, int) or not 1 <= first <= limit:
            raise FieldError("INVALID", f"`first` must be an integer between 1 and {limit}.")
        start = _offset(args.get("after"))
        self.typename = typename
        self.total = len(items)
        self.start = start
        self.page = items[start : start + first]

    def f_totalCount(self, args: Json) -> int:
        return self.total

    def f_nodes(self, args: Json) -> list[Any]:
        return self.page

    def f_edges(self, args: Json) -> list[Any]:
        return [Edge(node, _cursor(self.start + i + 1)) for i, node in enumerate(self.page)]

    def f_pageInfo(self, args: Json) -> PageInfo:
        end = self.start + len(self.page)
        return PageInfo(end < self.total, self.start > 0, _cursor(self.start + 1), _cursor(end))


class Edge(GNode):
    typename = "Edge"

    def __init__(self, node: Any, cursor: str) -> None:
        self.node, self.cursor = node, cursor

    def f_node(self, args: Json) -> Any:
        return self.node

    def f_cursor(self, args: Json) -> str:
        return self.cursor


class PageInfo(GNode):
    typename = "PageInfo"

    def __init__(self, has_next: bool, has_previous: bool, start: str, end: str) -> None:
        self.has_next, self.has_previous, self.start, self.end = has_next, has_previous, start, end

    def f_hasNextPage(self, args: Json) -> bool:
        return self.has_next

    def f_hasPreviousPage(self, args: Json) -> bool:
        return self.has_previous

    def f_startCursor(self, args: Json) -> str:
        return self.start

    def f_endCursor(self, args: Json) -> str:
        return self.end


class ActorNode(GNode):
    implements = frozenset({"Actor", "Node", "RepositoryOwner"})

    def __init__(self, user: User) -> None:
        self.user = user
        self.typename = {"Bot": "Bot", "Organization": "Organization"}.get(user.type, "User")

    def f_login(self, args: Json) -> str:
        return self.user.login

    def f_id(self, args: Json) -> str:
        return self.user.node_id

    def f_databaseId(self, args: Json) -> int:
        return self.user.id

    def f_url(self, args: Json) -> str:
        return f"{HTML}/{self.user.login}"


# -- git objects ---------------------------------------------------------------------------------------------


class BlobNode(GNode):
    typename = "Blob"
    implements = frozenset({"GitObject", "Node"})

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

    def f_isTruncated(self, args: Json) -> bool:
        return False

    def f_text(self, args: Json) -> str | None:
        return None if b"\0" in self.data else self.data.decode("utf-8", "replace")


class TreeNode(GNode):
    typename = "Tree"
    implements = frozenset({"GitObject", "Node"})

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
    implements = frozenset({"GitObject", "Node", "UniformResourceLocatable"})

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
        return _ts(self.commit.date)

    def f_authoredDate(self, args: Json) -> str | None:
        return _ts(self.commit.date)

    def f_url(self, args: Json) -> str:
        return f"{HTML}/{self.repo.full_name}/commit/{self.sha}"

    def f_tree(self, args: Json) -> TreeNode:
        return TreeNode(self.repo, self.commit.tree)

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
    implements = frozenset({"Node"})

    def __init__(self, repo: Repo, prefix: str, name: str, sha: str) -> None:
        self.repo, self.prefix, self.name, self.sha = repo, prefix, name, sha

    def f_name(self, args: Json) -> str:
        return self.name

    def f_prefix(self, args: Json) -> str:
        return self.prefix

    def f_target(self, args: Json) -> CommitNode:
        return CommitNode(self.repo, self.sha)


# -- issues and pull requests ----------------------------------------------------------------------------------


class IssueNode(GNode):
    typename = "Issue"
    implements = frozenset({"Node", "UniformResourceLocatable", "Closable", "Comment"})

    def __init__(self, repo: Repo, issue: Issue) -> None:
        self.repo, self.issue = repo, issue

    def f_id(self, args: Json) -> str:
        return self.issue.node_id

    def f_databaseId(self, args: Json) -> int:
        return self.issue.id

    def f_number(self, args: Json) -> int:
        return self.issue.number

    def f_title(self, args: Json) -> str:
        return self.issue.title

    def f_body(self, args: Json) -> str:
        return self.issue.body or ""

    def f_state(self, args: Json) -> str:
        return self.issue.state.upper()

    def f_closed(self, args: Json) -> bool:
        return self.issue.state == "closed"

    def f_stateReason(self, args: Json) -> str | None:
        return self.issue.state_reason.upper() if self.issue.state_reason else None

    def f_isPinned(self, args: Json) -> bool:
        return self.issue.pinned

    def f_locked(self, args: Json) -> bool:
        return self.issue.locked

    def f_url(self, args: Json) -> str:
        return f"{HTML}/{self.repo.full_name}/issues/{self.issue.number}"

    def f_author(self, args: Json) -> ActorNode:
        return ActorNode(self.issue.user)

    def f_createdAt(self, args: Json) -> str | None:
        return _ts(self.issue.created_at)

    def f_updatedAt(self, args: Json) -> str | None:
        return _ts(self.issue.updated_at)


class ChangedFileNode(GNode):
    typename = "PullRequestChangedFile"

    def __init__(self, change: FileChange) -> None:
        self.change = change

    def f_path(self, args: Json) -> str:
        return self.change.filename

    def f_additions(self, args: Json) -> int:
        return self.change.additions

    def f_deletions(self, args: Json) -> int:
        return self.change.deletions

    def f_changeType(self, args: Json) -> str:
        return {"added": "ADDED", "removed": "DELETED", "renamed": "RENAMED"}.get(
            self.change.status, "MODIFIED"
        )


class PullNode(IssueNode):
    typename = "PullRequest"

    def __init__(self, repo: Repo, issue: Issue, state: GitHubState) -> None:
        super().__init__(repo, issue)
        self.state = state
        assert issue.pull is not None
        self.pull = issue.pull

    def f_state(self, args: Json) -> str:
        return "MERGED" if self.pull.merged else self.issue.state.upper()

    def f_url(self, args: Json) -> str:
        return f"{HTML}/{self.repo.full_name}/pull/{self.issue.number}"

    def f_isDraft(self, args: Json) -> bool:
        return self.pull.draft

    def f_merged(self, args: Json) -> bool:
        return self.pull.merged

    def f_headRefName(self, args: Json) -> str:
        return self.pull.head_ref

    def f_headRefOid(self, args: Json) -> str:
        return self.pull.head_sha

    def f_baseRefName(self, args: Json) -> str:
        return self.pull.base_ref

    def f_baseRefOid(self, args: Json) -> str:
        return self.pull.base_sha

    def f_changedFiles(self, args: Json) -> int:
        return len(self.state.pull_files(self.repo, self.issue))

    def f_files(self, args: Json) -> Connection:
        changes = [ChangedFileNode(c) for c in self.state.pull_files(self.repo, self.issue)]
        return Connection("PullRequestChangedFileConnection", changes, args)


class PinnedIssueNode(GNode):
    typename = "PinnedIssue"
    implements = frozenset({"Node"})

    def __init__(self, repo: Repo, issue: Issue) -> None:
        self.repo, self.issue = repo, issue

    def f_id(self, args: Json) -> str:
        return "PIN_" + self.issue.node_id

    def f_issue(self, args: Json) -> IssueNode:
        return IssueNode(self.repo, self.issue)


# -- repository and roots --------------------------------------------------------------------------------------


class RepoNode(GNode):
    typename = "Repository"
    implements = frozenset({"Node", "RepositoryInfo", "UniformResourceLocatable"})

    def __init__(self, ctx: Ctx, repo: Repo) -> None:
        self.ctx, self.repo = ctx, repo

    def f_id(self, args: Json) -> str:
        return self.repo.node_id

    def f_databaseId(self, args: Json) -> int:
        return self.repo.id

    def f_name(self, args: Json) -> str:
        return self.repo.name

    def f_nameWithOwner(self, args: Json) -> str:
        return self.repo.full_name

    def f_isPrivate(self, args: Json) -> bool:
        return self.repo.private

    def f_url(self, args: Json) -> str:
        return f"{HTML}/{self.repo.full_name}"

    def f_owner(self, args: Json) -> ActorNode:
        return ActorNode(self.repo.owner)

    def f_defaultBranchRef(self, args: Json) -> RefNode | None:
        sha = self.repo.branches.get(self.repo.default_branch)
        return None if sha is None else RefNode(self.repo, "refs/heads/", self.repo.default_branch, sha)

    def f_ref(self, args: Json) -> RefNode | None:
        name = str(args.get("qualifiedName") or "")
        for prefix, table in (("refs/heads/", self.repo.branches), ("refs/tags/", self.repo.tags)):
            short = name.removeprefix(prefix)
            if (name.startswith(prefix) or "/" not in name or name == short) and short in table:
                return RefNode(self.repo, prefix, short, table[short])
        return None

    def f_object(self, args: Json) -> GNode | None:
        if args.get("oid"):
            oid = str(args["oid"])
            objects = self.repo.objects
            if oid in objects.commits:
                return CommitNode(self.repo, oid)
            if oid in objects.trees:
                return TreeNode(self.repo, oid)
            return BlobNode(self.repo, oid) if oid in objects.blobs else None
        return git_object(self.repo, self.ctx.state, str(args.get("expression") or ""))

    def _numbered(self, args: Json, kind: str) -> Issue:
        number = args.get("number")
        issue = self.repo.issues.get(number) if isinstance(number, int) else None
        if issue is None or issue.deleted or (kind == "PullRequest") != (issue.pull is not None):
            raise FieldError("NOT_FOUND", f"Could not resolve to {'a' if kind != 'Issue' else 'an'} {kind} "
                             f"with the number of {number}.")  # fmt: skip
        return issue

    def f_pullRequest(self, args: Json) -> PullNode:
        self.ctx.state.follow_pulls(self.repo)
        return PullNode(self.repo, self._numbered(args, "PullRequest"), self.ctx.state)

    def f_issue(self, args: Json) -> IssueNode:
        return IssueNode(self.repo, self._numbered(args, "Issue"))

    def f_issueOrPullRequest(self, args: Json) -> IssueNode:
        number = args.get("number")
        issue = self.repo.issues.get(number) if isinstance(number, int) else None
        if issue is None or issue.deleted:
            raise FieldError(
                "NOT_FOUND", f"Could not resolve to an issue or pull request with the number of {number}."
            )
        return PullNode(self.repo, issue, self.ctx.state) if issue.pull else IssueNode(self.repo, issue)

    def f_pinnedIssues(self, args: Json) -> Connection:
        pinned = sorted(
            (i for i in self.repo.issues.values() if i.pinned and not i.deleted), key=lambda i: i.number
        )
        return Connection("PinnedIssueConnection", [PinnedIssueNode(self.repo, i) for i in pinned], args)


class PinPayload(GNode):
    def __init__(self, typename: str, repo: Repo, issue: Issue, client_id: Any) -> None:
        self.typename, self.repo, self.issue, self.client_id = typename, repo, issue, client_id

    def f_clientMutationId(self, args: Json) -> Any:
        return self.client_id

    def f_issue(self, args: Json) -> IssueNode:
        return IssueNode(self.repo, self.issue)


class RateLimitNode(GNode):
    typename = "RateLimit"

    def f_cost(self, args: Json) -> int:
        return 1

    def f_limit(self, args: Json) -> int:
        return 5000

    def f_remaining(self, args: Json) -> int:
        return 4999

    def f_used(self, args: Json) -> int:
        return 1

    def f_nodeCount(self, args: Json) -> int:
        return 1

    def f_resetAt(self, args: Json) -> str | None:
        return _ts(datetime.fromtimestamp(time.time() + 3600, UTC))


class QueryRoot(GNode):
    typename = "Query"

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def f_repository(self, args: Json) -> RepoNode:
        owner, name = str(args.get("owner")), str(args.get("name"))
        try:
            repo = self.ctx.state.repo(owner, name)
        except ApiError:
            repo = None
        if repo is None or not _visible(self.ctx, repo):
            raise FieldError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return RepoNode(self.ctx, repo)

    def f_node(self, args: Json) -> GNode:
        node_id = str(args.get("id"))
        found = self.ctx.state.issue_by_node(node_id)
        if found is not None and _visible(self.ctx, found[0]):
            repo, issue = found
            return PullNode(repo, issue, self.ctx.state) if issue.pull else IssueNode(repo, issue)
        for repo in self.ctx.state.repos.values():
            if repo.node_id == node_id and _visible(self.ctx, repo):
                return RepoNode(self.ctx, repo)
        raise FieldError("NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'")

    def f_rateLimit(self, args: Json) -> RateLimitNode:
        return RateLimitNode()

    def f_viewer(self, args: Json) -> ActorNode:
        return ActorNode(self.ctx.principal.user)


class MutationRoot(GNode):
    typename = "Mutation"

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def _pin(self, args: Json, pinned: bool) -> PinPayload:
        data = args.get("input")
        issue_id = data.get("issueId") if isinstance(data, dict) else None
        if not isinstance(issue_id, str):
            raise FieldError("INVALID", "Argument 'issueId' on InputObject is required.")
        state, principal = self.ctx.state, self.ctx.principal
        found = state.issue_by_node(issue_id)
        if found is None or not _visible(self.ctx, found[0]):
            raise FieldError("NOT_FOUND", f"Could not resolve to a node with the global id of '{issue_id}'")
        repo, issue = found
        if principal.kind == "user" and state.role(repo, principal.user.login) not in (
            "admin",
            "maintain",
            "write",
        ):
            raise FieldError("FORBIDDEN", f"{principal.user.login} does not have permission to pin issues.")
        try:
            state.set_pinned(repo, issue, pinned)
        except ValueError:
            raise FieldError(
                "UNPROCESSABLE", f"You can't pin more than {MAX_PINNED} issues in a repository."
            ) from None
        assert isinstance(data, dict)
        kind = "PinIssuePayload" if pinned else "UnpinIssuePayload"
        return PinPayload(kind, repo, issue, data.get("clientMutationId"))

    def f_pinIssue(self, args: Json) -> PinPayload:
        return self._pin(args, True)

    def f_unpinIssue(self, args: Json) -> PinPayload:
        return self._pin(args, False)
