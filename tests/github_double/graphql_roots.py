"""GraphQL resolvers for the roots: Query (repository, node, rateLimit, viewer), Repository, RateLimit and
Mutation (pinIssue / unpinIssue, at most MAX_PINNED pinned issues a repository)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from .errors import ApiError
from .graphql_base import HTML, Connection, Ctx, FieldError, GNode, Json, ts, visible
from .graphql_git import BlobNode, CommitNode, RefNode, TreeNode, git_object
from .graphql_issues import ActorNode, IssueNode, PinnedIssueNode, PinPayload, PullNode
from .model import Issue, Repo
from .state import MAX_PINNED


class RepoNode(GNode):
    typename = "Repository"

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

    def f_pullRequests(self, args: Json) -> Connection:
        from .graphql_stats import pull_requests

        return pull_requests(self.repo, args)

    def f_pinnedIssues(self, args: Json) -> Connection:
        pinned = sorted(
            (i for i in self.repo.issues.values() if i.pinned and not i.deleted), key=lambda i: i.number
        )
        return Connection("PinnedIssueConnection", [PinnedIssueNode(self.repo, i) for i in pinned], args)


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
        return ts(datetime.fromtimestamp(time.time() + 3600, UTC))


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
        if repo is None or not visible(self.ctx, repo):
            raise FieldError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return RepoNode(self.ctx, repo)

    def f_node(self, args: Json) -> GNode:
        node_id = str(args.get("id"))
        found = self.ctx.state.issue_by_node(node_id)
        if found is not None and visible(self.ctx, found[0]):
            repo, issue = found
            return PullNode(repo, issue, self.ctx.state) if issue.pull else IssueNode(repo, issue)
        for repo in self.ctx.state.repos.values():
            if repo.node_id == node_id and visible(self.ctx, repo):
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
        if found is None or not visible(self.ctx, found[0]):
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
