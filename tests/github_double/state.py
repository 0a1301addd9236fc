"""The double's in-memory GitHub: users, installations, tokens, repositories and everything in them.

Every public method takes `lock` (re-entrant), so the test thread and the server thread can both use it.
Lookups that GitHub would answer with an error raise `ApiError` with GitHub's status and message.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from .errors import ApiError, not_found
from .git import ZERO_SHA, FileChange, GitCommit
from .model import (
    ROLES,
    AppInfo,
    Comment,
    Installation,
    Issue,
    PullInfo,
    Reaction,
    Repo,
    Token,
    User,
    make_node_id,
)

MAX_PINNED = 3


ACTIONS_APP_ID = 15368
"""GitHub Actions' App id on github.com: its check runs are a repository's workflow runs."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


class GitHubState:
    def __init__(
        self,
        *,
        app_id: int = 1,
        app_slug: str = "report-bot",
        app_owner: str = "report-bot-dev",
        token_ttl: timedelta = timedelta(hours=1),
    ) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.users: dict[str, User] = {}
        self.installations: dict[int, Installation] = {}
        self.repos: dict[tuple[str, str], Repo] = {}
        self.tokens: dict[str, Token] = {}
        self.token_ttl = token_ttl
        self.tree_limit: int | None = None
        """Recursive trees list at most this many entries and say `truncated` (GitHub: 100,000 / 7 MB)."""
        self.blob_text_limit: int | None = None
        """GraphQL `Blob.text` holds at most this many bytes and `isTruncated` is true past it (GitHub: about
        512 KB); REST `git/blobs` still serves the whole blob."""
        self.pull_files_unknown = False
        """GraphQL `PullRequest.files` answers null (the field is nullable: GitHub does not always know)."""
        owner = self.user(app_owner, "Organization")
        self.app = AppInfo(app_id, app_slug, app_slug, owner, make_node_id("A", app_id), utcnow())
        self.bot = self.user(f"{app_slug}[bot]", "Bot")

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # -- users -------------------------------------------------------------------------------------------

    def user(self, login: str, type: str = "User") -> User:
        """The user called `login`, created on first mention."""
        with self.lock:
            found = self.users.get(login.lower())
            if found is None:
                uid = self.next_id()
                found = User(login, uid, make_node_id("U" if type != "Organization" else "O", uid), type)
                self.users[login.lower()] = found
            return found

    def known_user(self, login: str) -> User | None:
        with self.lock:
            return self.users.get(login.lower())

    # -- installations and tokens --------------------------------------------------------------------------

    def add_installation(
        self, installation_id: int, account_login: str, account_type: str = "Organization"
    ) -> Installation:
        with self.lock:
            account = self.user(account_login, account_type)
            inst = Installation(installation_id, account, utcnow())
            self.installations[installation_id] = inst
            return inst

    def installation(self, installation_id: int) -> Installation:
        with self.lock:
            if installation_id not in self.installations:
                raise not_found()
            return self.installations[installation_id]

    def installation_for_account(self, login: str) -> Installation:
        with self.lock:
            for inst in self.installations.values():
                if inst.account.login.lower() == login.lower():
                    return inst
            raise not_found()

    def issue_token(self, installation_id: int) -> Token:
        with self.lock:
            self.installation(installation_id)
            token = Token("ghs_" + secrets.token_urlsafe(27), utcnow() + self.token_ttl, installation_id)
            self.tokens[token.value] = token
            return token

    def user_token(self, login: str, ttl: timedelta = timedelta(days=1)) -> Token:
        with self.lock:
            token = Token("ghp_" + secrets.token_urlsafe(27), utcnow() + ttl, user=self.user(login))
            self.tokens[token.value] = token
            return token

    def valid_token(self, value: str) -> Token | None:
        with self.lock:
            token = self.tokens.get(value)
            if token is None or token.expires_at <= utcnow():
                return None
            return token

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = utcnow() - timedelta(seconds=1)

    # -- repositories and git ----------------------------------------------------------------------------

    def add_repo(
        self,
        owner: str,
        name: str,
        files: Mapping[str, bytes | str] | None = None,
        *,
        default_branch: str = "main",
        installation_id: int | None = None,
        private: bool = True,
        message: str = "Initial commit",
    ) -> Repo:
        with self.lock:
            if installation_id is None:
                found = [i for i in self.installations.values() if i.account.login.lower() == owner.lower()]
                installation_id = found[0].id if found else None
            known = self.known_user(owner)
            owner_user = known or self.user(owner, "Organization")
            rid = self.next_id()
            now = utcnow()
            repo = Repo(
                rid,
                make_node_id("R", rid),
                owner_user,
                name,
                default_branch,
                private,
                installation_id,
                now,
                now,
            )
            self.repos[(owner.lower(), name.lower())] = repo
            snapshot = {path: repo.objects.put_blob(as_bytes(data)) for path, data in (files or {}).items()}
            commit = repo.objects.put_commit(snapshot, (), message, now)
            repo.branches[default_branch] = commit.sha
            return repo

    def repo(self, owner: str, name: str) -> Repo:
        with self.lock:
            found = self.repos.get((owner.lower(), name.lower()))
            if found is None:
                raise not_found()
            return found

    def repos_of(self, installation_id: int) -> list[Repo]:
        with self.lock:
            return sorted(
                (r for r in self.repos.values() if r.installation_id == installation_id), key=lambda r: r.id
            )

    def push(
        self,
        owner: str,
        name: str,
        branch: str,
        files: Mapping[str, bytes | str | None],
        message: str = "Update",
        *,
        base: str | None = None,
        replace: bool = False,
        author: str = "student",
    ) -> tuple[str, str]:
        """Commit `files` on top of `branch` (None deletes a path); a new branch starts from `base`
        (default: the default branch). Returns (before, after) as in a push webhook."""
        with self.lock:
            repo = self.repo(owner, name)
            before = repo.branches.get(branch)
            start = before or self.resolve(repo, base or repo.default_branch)
            if start is None:
                raise ApiError(422, f"No commit found for {base!r}")
            snapshot: dict[str, str] = {} if replace else dict(repo.objects.commits[start].files)
            for path, data in files.items():
                if data is None:
                    snapshot.pop(path, None)
                else:
                    snapshot[path] = repo.objects.put_blob(as_bytes(data))
            now = utcnow()
            commit = repo.objects.put_commit(
                snapshot, (start,), message, now, author, f"{author}@users.noreply.github.com"
            )
            repo.branches[branch] = commit.sha
            repo.pushed_at = now
            self.follow_pulls(repo)
            return before or ZERO_SHA, commit.sha

    def add_tag(self, owner: str, name: str, tag: str, ref: str | None = None) -> str:
        with self.lock:
            repo = self.repo(owner, name)
            sha = self.resolve(repo, ref or repo.default_branch)
            if sha is None:
                raise not_found()
            repo.tags[tag] = sha
            return sha

    def delete_branch(self, owner: str, name: str, branch: str) -> None:
        with self.lock:
            repo = self.repo(owner, name)
            self.follow_pulls(repo)
            repo.branches.pop(branch, None)

    def resolve(self, repo: Repo, ref: str) -> str | None:
        """A branch, tag, `heads/x`, `refs/tags/x`, `refs/pull/N/head`, full SHA or unambiguous SHA prefix
        (>= 7) -> commit SHA. GitHub keeps `refs/pull/N/head` at each pull request's head."""
        with self.lock:
            pull_ref = re.fullmatch(r"(?:refs/)?pull/(\d+)/head", ref)
            if pull_ref:
                self.follow_pulls(repo)
                issue = repo.issues.get(int(pull_ref.group(1)))
                return issue.pull.head_sha if issue is not None and issue.pull is not None else None
            for prefix in ("refs/", ""):
                plain = ref.removeprefix(prefix)
                if plain.startswith("heads/") and plain[6:] in repo.branches:
                    return repo.branches[plain[6:]]
                if plain.startswith("tags/") and plain[5:] in repo.tags:
                    return repo.tags[plain[5:]]
            if ref in repo.branches:
                return repo.branches[ref]
            if ref in repo.tags:
                return repo.tags[ref]
            low = ref.lower()
            if low in repo.objects.commits:
                return low
            if len(low) >= 7 and all(c in "0123456789abcdef" for c in low):
                hits = [s for s in repo.objects.commits if s.startswith(low)]
                if len(hits) == 1:
                    return hits[0]
            return None

    def commit(self, repo: Repo, ref: str) -> GitCommit | None:
        with self.lock:
            sha = self.resolve(repo, ref)
            return None if sha is None else repo.objects.commits[sha]

    def file(self, repo: Repo, ref: str, path: str) -> bytes | None:
        with self.lock:
            commit = self.commit(repo, ref)
            if commit is None or path not in commit.files:
                return None
            return repo.objects.blobs[commit.files[path]]

    # -- issues and pull requests ------------------------------------------------------------------------

    def create_issue(
        self,
        repo: Repo,
        user: User,
        title: str,
        body: str | None = None,
        *,
        labels: Iterable[str] = (),
        assignees: Iterable[User] = (),
        state: str = "open",
        locked: bool = False,
        pull: PullInfo | None = None,
    ) -> Issue:
        with self.lock:
            number = repo.next_number
            repo.next_number += 1
            iid = self.next_id()
            now = utcnow()
            issue = Issue(
                number,
                iid,
                make_node_id("PR" if pull else "I", iid),
                title,
                body,
                user,
                now,
                now,
                labels=list(labels),
                assignees=list(assignees),
                locked=locked,
                pull=pull,
            )
            repo.issues[number] = issue
            if state == "closed":
                self.set_state(issue, "closed", "completed", user)
            return issue

    def issue(self, repo: Repo, number: int) -> Issue:
        with self.lock:
            found = repo.issues.get(number)
            if found is None:
                raise not_found()
            if found.deleted:
                raise ApiError(
                    410,
                    "This issue was deleted",
                    documentation_url="https://docs.github.com/rest/issues/issues#get-an-issue",
                )
            return found

    def issue_by_node(self, node_id: str) -> tuple[Repo, Issue] | None:
        with self.lock:
            for repo in self.repos.values():
                for issue in repo.issues.values():
                    if issue.node_id == node_id and not issue.deleted:
                        return repo, issue
            return None

    def set_state(self, issue: Issue, state: str, reason: str | None, actor: User) -> None:
        with self.lock:
            if state == "closed" and issue.state != "closed":
                issue.closed_at = utcnow()
                issue.closed_by = actor
                issue.state_reason = reason or "completed"
            elif state == "closed":
                issue.state_reason = reason or issue.state_reason
            elif state == "open" and issue.state == "closed":
                issue.closed_at = None
                issue.closed_by = None
                issue.state_reason = "reopened"
            issue.state = state
            issue.updated_at = utcnow()

    def delete_issue(self, repo: Repo, number: int) -> None:
        with self.lock:
            issue = self.issue(repo, number)
            issue.deleted = True
            issue.pinned = False

    def open_pr(
        self,
        repo: Repo,
        head_branch: str,
        base_branch: str,
        user: User,
        title: str,
        body: str | None = None,
        *,
        draft: bool = False,
    ) -> Issue:
        with self.lock:
            head, base = repo.branches.get(head_branch), repo.branches.get(base_branch)
            if head is None or base is None:
                raise ApiError(
                    422, "Validation Failed", errors=[{"resource": "PullRequest", "code": "invalid"}]
                )
            pull = PullInfo(head_branch, base_branch, head, base, draft=draft)
            return self.create_issue(repo, user, title, body, pull=pull)

    def follow_pulls(self, repo: Repo) -> None:
        """Open pull requests point at their branches' current heads."""
        with self.lock:
            for issue in repo.issues.values():
                pull = issue.pull
                if pull is None or issue.state != "open":
                    continue
                pull.head_sha = repo.branches.get(pull.head_ref, pull.head_sha)
                pull.base_sha = repo.branches.get(pull.base_ref, pull.base_sha)

    def pull(self, repo: Repo, number: int) -> Issue:
        with self.lock:
            found = repo.issues.get(number)
            if found is None or found.pull is None or found.deleted:
                raise not_found()
            self.follow_pulls(repo)
            return found

    def pull_files(self, repo: Repo, issue: Issue) -> list[FileChange]:
        with self.lock:
            assert issue.pull is not None
            objects = repo.objects
            base = objects.merge_base(issue.pull.base_sha, issue.pull.head_sha) or issue.pull.base_sha
            return objects.diff(objects.commits[base].files, objects.commits[issue.pull.head_sha].files)

    # -- comments and reactions ----------------------------------------------------------------------------

    def create_comment(self, repo: Repo, number: int, user: User, body: str) -> Comment:
        with self.lock:
            issue = self.issue(repo, number)
            cid = self.next_id()
            now = utcnow()
            comment = Comment(cid, make_node_id("IC", cid), number, body, user, now, now)
            repo.comments[cid] = comment
            issue.updated_at = now
            return comment

    def comment(self, repo: Repo, comment_id: int) -> Comment:
        with self.lock:
            found = repo.comments.get(comment_id)
            if found is None or repo.issues[found.issue_number].deleted:
                raise not_found()
            return found

    def comments_of(self, repo: Repo, number: int) -> list[Comment]:
        with self.lock:
            return sorted((c for c in repo.comments.values() if c.issue_number == number), key=lambda c: c.id)

    def delete_comment(self, repo: Repo, comment_id: int) -> None:
        with self.lock:
            self.comment(repo, comment_id)
            del repo.comments[comment_id]

    def react(self, reactions: list[Reaction], user: User, content: str) -> tuple[Reaction, bool]:
        """Add a reaction unless this user already gave this one; (reaction, created)."""
        with self.lock:
            for existing in reactions:
                if existing.user.id == user.id and existing.content == content:
                    return existing, False
            rid = self.next_id()
            reaction = Reaction(rid, make_node_id("REA", rid), user, content, utcnow())
            reactions.append(reaction)
            return reaction, True

    # -- pins ----------------------------------------------------------------------------------------------

    def set_pinned(self, repo: Repo, issue: Issue, pinned: bool) -> None:
        """Pin or unpin; raises ValueError past GitHub's limit of three pinned issues per repository."""
        with self.lock:
            if pinned and not issue.pinned:
                count = sum(1 for i in repo.issues.values() if i.pinned and not i.deleted)
                if count >= MAX_PINNED:
                    raise ValueError(f"Repository can have at most {MAX_PINNED} pinned issues.")
            issue.pinned = pinned

    # -- permissions ---------------------------------------------------------------------------------------

    def set_role(self, repo: Repo, login: str, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        with self.lock:
            self.user(login)
            repo.roles[login.lower()] = role

    def role(self, repo: Repo, login: str) -> str:
        """The user's role on the repository (its owner is admin; others read a public repo)."""
        with self.lock:
            if login.lower() == repo.owner.login.lower():
                return "admin"
            return repo.roles.get(login.lower(), "none" if repo.private else "read")
