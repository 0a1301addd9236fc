"""`GitHubDouble`: the double on a loopback port (uvicorn in a thread) plus the in-process test controls."""

from __future__ import annotations

import asyncio
import copy
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

import uvicorn

from .app import create_app
from .context import Context
from .faults import Fault, Pattern
from .model import CheckRun, Comment, Installation, Issue, Reaction, Repo
from .ratelimit import RateLimits
from .requestlog import LoggedRequest
from .shapes import Shapes
from .state import GitHubState, utcnow

T = TypeVar("T")


class _Server(uvicorn.Server):
    """uvicorn's server, noticing `should_exit` within 10 ms instead of 100 ms (faster test teardown)."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


class GitHubDouble:
    """A local GitHub for end-to-end tests. Start it (or use `with`), point the bot at `.url`.

    Path patterns (faults, log queries) are globs over the request path, `*` crossing `/`
    (e.g. "/repos/*/issues"), or compiled regexes (searched); method None matches any method.
    """

    def __init__(
        self,
        *,
        app_id: int = 1,
        app_slug: str = "report-bot",
        public_key: str | bytes | None = None,
        token_ttl: timedelta = timedelta(hours=1),
        rate_limit: int = 5000,
        rate_window: int = 3600,
    ) -> None:
        self.state = GitHubState(app_id=app_id, app_slug=app_slug, token_ttl=token_ttl)
        self.ctx = Context(self.state, public_key=public_key, rate=RateLimits(rate_limit, window=rate_window))
        self.app = create_app(self.ctx)
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the GitHub double is already running")
        self.ctx.stopping.clear()
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
        # and without it every keep-alive response waits ~40 ms for a delayed ACK
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"github-double-{port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the GitHub double did not start")
            time.sleep(0.005)
        self._server, self._thread, self._sock = server, thread, sock
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.ctx.stopping.set()
        if self._server is not None and self._thread is not None and self._sock is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._sock.close()
        self._server, self._thread, self._sock = None, None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def app_id(self) -> int:
        return self.state.app.id

    def _snapshot(self, value: T) -> T:
        with self.state.lock:
            return copy.deepcopy(value)

    # -- seeding -------------------------------------------------------------------------------------------

    def add_installation(
        self, installation_id: int, account_login: str, account_type: str = "Organization"
    ) -> Installation:
        return self._snapshot(self.state.add_installation(installation_id, account_login, account_type))

    def add_repo(
        self,
        owner: str,
        name: str,
        files: Mapping[str, bytes | str] | None = None,
        *,
        default_branch: str = "main",
        installation_id: int | None = None,
        private: bool = True,
    ) -> Repo:
        """A repository with one commit of `files` on `default_branch`; installed in `installation_id`
        (default: the installation on the owner's account, if any)."""
        repo = self.state.add_repo(
            owner,
            name,
            files,
            default_branch=default_branch,
            installation_id=installation_id,
            private=private,
        )
        return self._snapshot(repo)

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
        """Commit on `branch` (None deletes a path; `replace` drops every other file); a new branch starts
        at `base` (default branch). Returns (before, after); before is 40 zeros for a new branch."""
        return self.state.push(owner, name, branch, files, message, base=base, replace=replace, author=author)

    def delete_branch(self, owner: str, name: str, branch: str) -> None:
        self.state.delete_branch(owner, name, branch)

    def add_tag(self, owner: str, name: str, tag: str, ref: str | None = None) -> str:
        return self.state.add_tag(owner, name, tag, ref)

    def open_pr(
        self,
        owner: str,
        name: str,
        head_branch: str,
        base_branch: str = "main",
        *,
        title: str | None = None,
        body: str | None = "",
        user: str = "student",
        draft: bool = False,
    ) -> int:
        state = self.state
        with state.lock:
            repo = state.repo(owner, name)
            issue = state.open_pr(
                repo,
                head_branch,
                base_branch,
                state.user(user),
                title or f"Update {head_branch}",
                body,
                draft=draft,
            )
            return issue.number

    def set_permission(self, owner: str, name: str, user: str, level: str) -> None:
        """level: admin | maintain | write | triage | read | none."""
        self.state.set_role(self.state.repo(owner, name), user, level)

    def add_issue(
        self,
        owner: str,
        name: str,
        title: str,
        body: str | None = "",
        *,
        user: str = "student",
        labels: Iterable[str] = (),
        state: str = "open",
        locked: bool = False,
        pinned: bool = False,
    ) -> Issue:
        """An issue opened by a person (`user`)."""
        st = self.state
        with st.lock:
            repo = st.repo(owner, name)
            issue = st.create_issue(
                repo, st.user(user), title, body, labels=labels, state=state, locked=locked
            )
            if pinned:
                st.set_pinned(repo, issue, True)
            return self._snapshot(issue)

    def set_issue(
        self,
        owner: str,
        name: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
        state_reason: str | None = None,
        locked: bool | None = None,
        pinned: bool | None = None,
        by: str = "student",
    ) -> Issue:
        """Change an issue as a person would in the web UI (e.g. close or unpin the bot's issue)."""
        st = self.state
        with st.lock:
            repo = st.repo(owner, name)
            issue = st.issue(repo, number)
            if title is not None:
                issue.title = title
            if body is not None:
                issue.body = body
            if state is not None:
                st.set_state(issue, state, state_reason, st.user(by))
            if locked is not None:
                issue.locked = locked
            if pinned is not None:
                st.set_pinned(repo, issue, pinned)
            issue.updated_at = utcnow()
            return self._snapshot(issue)

    def delete_issue(self, owner: str, name: str, number: int) -> None:
        """Delete an issue (afterwards GitHub answers 410 Gone for it)."""
        self.state.delete_issue(self.state.repo(owner, name), number)

    def add_comment(self, owner: str, name: str, number: int, body: str, *, user: str = "student") -> Comment:
        """A comment by a person (`user`) on an issue or pull request."""
        st = self.state
        with st.lock:
            comment = st.create_comment(st.repo(owner, name), number, st.user(user), body)
            return self._snapshot(comment)

    def edit_comment(self, owner: str, name: str, comment_id: int, body: str) -> Comment:
        st = self.state
        with st.lock:
            comment = st.comment(st.repo(owner, name), comment_id)
            comment.body = body
            comment.updated_at = utcnow()
            return self._snapshot(comment)

    def delete_comment(self, owner: str, name: str, comment_id: int) -> None:
        self.state.delete_comment(self.state.repo(owner, name), comment_id)

    def installation_token(self, installation_id: int) -> str:
        """A valid installation access token, as POST /app/installations/{id}/access_tokens would give."""
        return self.state.issue_token(installation_id).value

    def user_token(self, login: str) -> str:
        """A token that acts as the person `login` (to simulate users over HTTP)."""
        return self.state.user_token(login).value

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid (requests with them get 401 Bad credentials)."""
        self.state.expire_tokens()

    def reset_rate_limits(self) -> None:
        self.ctx.rate.reset()

    def rate_usage(self, actor: str) -> list[tuple[str, int, int]]:
        """(resource, window reset, requests) per rate-limit window of `actor` ("installation:100")."""
        return self.ctx.rate.usage(actor)

    @property
    def rate_limit(self) -> int:
        return self.ctx.rate.limit

    def truncate_trees(self, limit: int | None) -> None:
        """Recursive git trees list at most `limit` entries and answer `truncated: true`, as GitHub does for
        huge repositories (None: never)."""
        self.state.tree_limit = limit

    def truncate_blob_text(self, limit: int | None) -> None:
        """GraphQL `Blob.text` is cut at `limit` bytes with `isTruncated: true`, as GitHub does for files
        over about 512 KB (None: never). REST blobs stay whole."""
        self.state.blob_text_limit = limit

    def unknown_pull_files(self, unknown: bool = True) -> None:
        """GraphQL `PullRequest.files` answers null (nullable in GitHub's schema: unknown)."""
        self.state.pull_files_unknown = unknown

    # -- state for assertions (copies) ---------------------------------------------------------------------

    def issues(self, owner: str, name: str, *, include_deleted: bool = False) -> list[Issue]:
        """Issues and pull requests, by number."""
        st = self.state
        with st.lock:
            repo = st.repo(owner, name)
            found = [i for n, i in sorted(repo.issues.items()) if include_deleted or not i.deleted]
            return self._snapshot(found)

    def issue(self, owner: str, name: str, number: int) -> Issue:
        st = self.state
        with st.lock:
            return self._snapshot(st.repo(owner, name).issues[number])

    def comments(self, owner: str, name: str, number: int) -> list[Comment]:
        st = self.state
        with st.lock:
            return self._snapshot(st.comments_of(st.repo(owner, name), number))

    def comment(self, owner: str, name: str, comment_id: int) -> Comment:
        st = self.state
        with st.lock:
            return self._snapshot(st.comment(st.repo(owner, name), comment_id))

    def pinned(self, owner: str, name: str) -> list[int]:
        st = self.state
        with st.lock:
            return sorted(n for n, i in st.repo(owner, name).issues.items() if i.pinned and not i.deleted)

    def check_runs(self, owner: str, name: str, sha: str | None = None) -> list[CheckRun]:
        """Check runs (with their accumulated annotations), oldest first, optionally for one head SHA."""
        st = self.state
        with st.lock:
            runs = [
                r for _, r in sorted(st.repo(owner, name).check_runs.items()) if sha in (None, r.head_sha)
            ]
            return self._snapshot(runs)

    def reactions(
        self, owner: str, name: str, *, issue: int | None = None, comment_id: int | None = None
    ) -> list[Reaction]:
        st = self.state
        with st.lock:
            repo = st.repo(owner, name)
            if comment_id is not None:
                return self._snapshot(st.comment(repo, comment_id).reactions)
            if issue is None:
                raise ValueError("give issue= or comment_id=")
            return self._snapshot(repo.issues[issue].reactions)

    def head(self, owner: str, name: str, branch: str | None = None) -> str:
        st = self.state
        with st.lock:
            repo = st.repo(owner, name)
            return repo.branches[branch or repo.default_branch]

    def file(self, owner: str, name: str, path: str, ref: str | None = None) -> bytes | None:
        st = self.state
        with st.lock:
            repo = st.repo(owner, name)
            return st.file(repo, ref or repo.default_branch, path)

    # -- GitHub-shaped JSON, e.g. for building webhook payloads ----------------------------------------------

    def _shapes(self) -> Shapes:
        return Shapes(self.state, self.url or "https://api.github.com")

    def json_repo(self, owner: str, name: str) -> dict[str, Any]:
        with self.state.lock:
            return self._shapes().repo(self.state.repo(owner, name))

    def json_issue(self, owner: str, name: str, number: int) -> dict[str, Any]:
        with self.state.lock:
            repo = self.state.repo(owner, name)
            return self._shapes().issue(repo, repo.issues[number])

    def json_pull(self, owner: str, name: str, number: int) -> dict[str, Any]:
        with self.state.lock:
            repo = self.state.repo(owner, name)
            return self._shapes().pull(repo, self.state.pull(repo, number))

    def json_comment(self, owner: str, name: str, comment_id: int) -> dict[str, Any]:
        with self.state.lock:
            repo = self.state.repo(owner, name)
            return self._shapes().comment(repo, self.state.comment(repo, comment_id))

    def json_user(self, login: str) -> dict[str, Any]:
        return self._shapes().user(self.state.user(login))

    def json_installation(self, installation_id: int) -> dict[str, Any]:
        with self.state.lock:
            return self._shapes().installation(self.state.installation(installation_id))

    # -- request log -----------------------------------------------------------------------------------------

    def mark(self) -> float:
        """A time to pass as `since=` to count only the requests that arrive from now on."""
        return time.time()

    def requests(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        since: float | None = None,
        *,
        path: Pattern = None,
    ) -> list[LoggedRequest]:
        return self.ctx.log.entries(method, path_prefix, since, path=path)

    def count(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        since: float | None = None,
        *,
        path: Pattern = None,
    ) -> int:
        return len(self.requests(method, path_prefix, since, path=path))

    def unmodelled_fields(self, since: float | None = None) -> list[str]:
        """The `Type.field`s of GitHub's GraphQL schema that requests read but the double does not model
        (they answered null): a test asserts this is empty to know the double answered everything it read."""
        return self.ctx.log.unmodelled(since)

    def clear_log(self) -> None:
        self.ctx.log.clear()

    # -- faults ----------------------------------------------------------------------------------------------

    def set_latency(self, seconds: float, method: str | None = None, path: Pattern = None) -> None:
        """Delay matching requests (all of them by default) by `seconds`; the longest matching rule wins."""
        self.ctx.faults.set_latency(seconds, method, path)

    def fail_next(
        self, method: str | None = None, path: Pattern = None, *, status: int = 500, times: int = 1
    ) -> None:
        """The next `times` matching requests answer `status` (nothing happens server-side)."""
        self.ctx.faults.add(Fault("status", method, path, times, status=status))

    def secondary_rate_limit_next(
        self, method: str | None = None, path: Pattern = None, *, retry_after: int = 1, times: int = 1
    ) -> None:
        """403 "You have exceeded a secondary rate limit..." with `Retry-After: retry_after`."""
        self.ctx.faults.add(
            Fault("secondary_rate_limit", method, path, times, status=403, retry_after=retry_after)
        )

    def primary_rate_limit_next(
        self,
        method: str | None = None,
        path: Pattern = None,
        *,
        status: int = 403,
        reset_in: int = 60,
        times: int = 1,
    ) -> None:
        """`status` (403 or 429) with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` = now + reset_in."""
        self.ctx.faults.add(
            Fault("primary_rate_limit", method, path, times, status=status, reset_in=reset_in)
        )

    def timeout_next(
        self, method: str | None = None, path: Pattern = None, *, hang: float = 60.0, times: int = 1
    ) -> None:
        """Hang without answering for `hang` seconds (or until the client gives up), then drop."""
        self.ctx.faults.add(Fault("timeout", method, path, times, hang=hang))

    def succeed_then_fail_next(
        self, method: str | None = None, path: Pattern = None, *, status: int = 502, times: int = 1
    ) -> None:
        """Do the request server-side (e.g. create the issue) but answer `status` (default 502)."""
        self.ctx.faults.add(Fault("succeed_then_fail", method, path, times, status=status))

    def enforce_secondary_limits(self, per_minute: int = 80, per_hour: int = 500) -> None:
        """Refuse content-creating requests of an installation beyond GitHub's documented secondary limits
        (403, retry-after, GitHub's message); 0 turns a window off."""
        self.ctx.secondary.enforce(per_minute, per_hour)

    def request_kinds(self, installation_id: int | None = None) -> dict[str, int]:
        """Requests by kind: read, write (content-creating, admitted), limited (refused by the limit)."""
        actor = None if installation_id is None else f"installation:{installation_id}"
        return self.ctx.secondary.counts(actor)

    def clear_faults(self) -> None:
        """Remove queued failures and latency."""
        self.ctx.faults.clear()

    def pending_faults(self) -> int:
        return self.ctx.faults.pending()
