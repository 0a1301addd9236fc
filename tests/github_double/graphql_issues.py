"""GraphQL resolvers for issues and pull requests: Actor (User / Bot / Organization), Issue, PullRequest
(files, changedFiles, head and base refs), PullRequestChangedFile, PinnedIssue and the pin payloads."""

from __future__ import annotations

from typing import Any

from .git import FileChange
from .graphql_base import HTML, Connection, GNode, Json, ts
from .model import Issue, Repo, User
from .state import GitHubState


class ActorNode(GNode):
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


class IssueNode(GNode):
    typename = "Issue"

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
        return ts(self.issue.created_at)

    def f_updatedAt(self, args: Json) -> str | None:
        return ts(self.issue.updated_at)


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

    def f_files(self, args: Json) -> Connection | None:
        if self.state.pull_files_unknown:
            return None  # nullable in GitHub's schema: GitHub could not list them
        changes = [ChangedFileNode(c) for c in self.state.pull_files(self.repo, self.issue)]
        return Connection("PullRequestChangedFileConnection", changes, args)


class PinnedIssueNode(GNode):
    typename = "PinnedIssue"

    def __init__(self, repo: Repo, issue: Issue) -> None:
        self.repo, self.issue = repo, issue

    def f_id(self, args: Json) -> str:
        return "PIN_" + self.issue.node_id

    def f_issue(self, args: Json) -> IssueNode:
        return IssueNode(self.repo, self.issue)


class PinPayload(GNode):
    def __init__(self, typename: str, repo: Repo, issue: Issue, client_id: Any) -> None:
        self.typename, self.repo, self.issue, self.client_id = typename, repo, issue, client_id

    def f_clientMutationId(self, args: Json) -> Any:
        return self.client_id

    def f_issue(self, args: Json) -> IssueNode:
        return IssueNode(self.repo, self.issue)
