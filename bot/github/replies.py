"""The bot's replies: the pinned "Report check" issue, the sticky PR comment, check runs, reactions.

One reply per place, edited in place, found again by a stored id and a hidden marker, so that a crash, a
retry or a redelivery never makes a second one. githubkit's automatic retries are off: a POST is sent once
per attempt, and before sending it again on a later attempt the reply is looked up by its marker.

No write that changes nothing: the store keeps the SHA-256 of what the bot last wrote to each reply
(`body_hash`); an issue body, sticky comment or check run (same commit, conclusion, title, summary,
annotations) equal to it is not sent again, so a redelivered push costs no write. A later attempt of a job
(`retrying`) always writes: the earlier one may have died between GitHub and the store.

A look-up by marker reads every page (githubkit's paginator, 100 per page) and stops at the first match: it
runs only when the store has no id (a fresh database) or on a retry, so steady state costs no listing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from githubkit import GitHub
from githubkit.exception import GraphQLFailed, RequestFailed
from githubkit.utils import UNSET

from bot.github.client import GitHubApp
from bot.queue.pacing import Unless
from bot.store import Store

log = logging.getLogger(__name__)

ISSUE_MARKER = "<!-- report-bot:report-check -->"
PR_MARKER = "<!-- report-bot:pr-comment -->"
CHANGE_MARKER = "<!-- report-bot:change {key} -->"
COMMAND_MARKER = "<!-- report-bot:command {key} -->"
CHECK_NAME = "Report check"
ANNOTATIONS_PER_REQUEST = 50
MAX_ANNOTATIONS = 500
SUMMARY_LIMIT = 65_000

_PIN = "mutation($id: ID!) { pinIssue(input: {issueId: $id}) { issue { id } } }"


@dataclass
class Place:
    """A repository the bot writes to, with its installation's client."""

    app: GitHubApp
    gh: GitHub[Any]
    installation_id: int
    owner: str
    repo: str
    store: Store
    retrying: bool = False
    """True on a later attempt of a job: look replies up by their marker before creating them."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


def content_hash(*parts: Any) -> str:
    """The SHA-256 of what a write would put on GitHub (JSON of its parts, keys sorted)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unchanged(p: Place, stored: Any, digest: str) -> bool:
    return not p.retrying and stored is not None and stored.body_hash == digest


def _status(exc: RequestFailed) -> int:
    return exc.response.status_code


def _comments(p: Place, number: int, since: datetime | None = None) -> AsyncIterator[Any]:
    """Every comment of issue/PR `number`, oldest first, page after page (only as far as it is read)."""
    return aiter(
        p.gh.rest.paginate(
            p.gh.rest.issues.async_list_comments,
            owner=p.owner,
            repo=p.repo,
            issue_number=number,
            since=since if since is not None else UNSET,
            per_page=100,
        )
    )


async def _find_issue_by_marker(p: Place, marker: str) -> tuple[int, str, str] | None:
    """(number, node_id, state) of the bot's issue holding `marker`, newest first, through every page (a
    repository with hundreds of newer issues still has its one report issue found)."""
    pages: AsyncIterator[Any] = aiter(
        p.gh.rest.paginate(
            p.gh.rest.issues.async_list_for_repo, owner=p.owner, repo=p.repo, state="all", per_page=100
        )
    )
    async for issue in pages:
        if issue.pull_request or not issue.body or marker not in issue.body:
            continue
        if issue.user is not None and issue.user.type != "Bot":
            continue
        return issue.number, issue.node_id, issue.state
    return None


async def upsert_issue(
    p: Place, title: str, body: str, *, pin: bool, unless: Unless | None = None
) -> tuple[int, bool, str | None]:
    """Create or edit the report issue. Returns (number, created, note): note says why pinning failed.

    Editing never reopens an issue that a person closed; a deleted issue is made again. `unless` is asked
    when an edit's turn comes (the pacer): True drops it with `Superseded` (a newer push is on the branch).
    """
    body = f"{ISSUE_MARKER}\n{body}"
    digest = content_hash("issue", body)
    stored = p.store.get_reply(p.full_name, "issue", "default")
    if stored is not None and stored.number is not None:
        if _unchanged(p, stored, digest):
            return stored.number, False, None  # GitHub shows this body already: no write
        try:
            async with p.app.write(p.installation_id, unless):
                await p.gh.rest.issues.async_update(p.owner, p.repo, stored.number, body=body)
            p.store.set_reply_hash(p.full_name, "issue", "default", digest)
            return stored.number, False, None
        except RequestFailed as exc:
            if _status(exc) not in (404, 410):
                raise
            log.info(
                "report issue #%s of %s is gone (%s): making a new one",
                stored.number,
                p.full_name,
                _status(exc),
            )
            p.store.delete_reply(p.full_name, "issue", "default")
    elif p.retrying or stored is None:
        found = await _find_issue_by_marker(p, ISSUE_MARKER)
        if found is not None:
            number, node_id, _state = found
            p.store.set_reply(p.full_name, "issue", "default", number, number=number, node_id=node_id)
            async with p.app.write(p.installation_id, unless):
                await p.gh.rest.issues.async_update(p.owner, p.repo, number, body=body)
            p.store.set_reply_hash(p.full_name, "issue", "default", digest)
            # A run that died between creating and pinning it left it unpinned (pinning is idempotent).
            note = await pin_issue(p, node_id) if pin and p.retrying else None
            return number, False, note
    async with p.app.write(p.installation_id):
        created = (await p.gh.rest.issues.async_create(p.owner, p.repo, title=title, body=body)).parsed_data
    p.store.set_reply(
        p.full_name, "issue", "default", created.id, number=created.number, node_id=created.node_id,
        body_hash=digest,
    )  # fmt: skip
    note = await pin_issue(p, created.node_id) if pin else None
    return created.number, True, note


async def pin_issue(p: Place, node_id: str) -> str | None:
    """Pin with GraphQL `pinIssue`; a failure (three issues pinned already, no permission) is tolerated and
    returned as a note."""
    try:
        async with p.app.write(p.installation_id):
            await p.gh.async_graphql(_PIN, {"id": node_id})
    except GraphQLFailed as exc:
        reason = "; ".join(e.message for e in exc.response.errors or []) or "GitHub refused"
        log.warning("could not pin the report issue of %s: %s", p.full_name, reason)
        return f"Could not pin this issue ({reason}). Pin it by hand so that everyone in the group finds it."
    return None


async def comment_on_change(p: Place, number: int, key: str, text: str) -> None:
    """A new comment in the report issue (edits notify nobody); `key` makes it idempotent across retries."""
    marker = CHANGE_MARKER.format(key=key)
    if p.retrying:
        async for c in _comments(p, number):
            if c.body and marker in c.body and _is_bot(c.user):
                return
    async with p.app.write(p.installation_id):
        await p.gh.rest.issues.async_create_comment(p.owner, p.repo, number, body=f"{marker}\n{text}")


async def upsert_pr_comment(p: Place, pr: int, body: str) -> int:
    """The one sticky comment of a pull request: edited in place, made again if someone deleted it."""
    body = f"{PR_MARKER}\n{body}"
    scope = f"pr:{pr}"
    digest = content_hash("pr_comment", body)
    stored = p.store.get_reply(p.full_name, "pr_comment", scope)
    if stored is not None:
        if _unchanged(p, stored, digest):
            return stored.github_id  # GitHub shows this comment already: no write
        try:
            async with p.app.write(p.installation_id):
                await p.gh.rest.issues.async_update_comment(p.owner, p.repo, stored.github_id, body=body)
            p.store.set_reply_hash(p.full_name, "pr_comment", scope, digest)
            return stored.github_id
        except RequestFailed as exc:
            if _status(exc) not in (404, 410):
                raise
            p.store.delete_reply(p.full_name, "pr_comment", scope)
    else:
        mine = None
        async for c in _comments(p, pr):
            if c.body and PR_MARKER in c.body and _is_bot(c.user):
                mine = c
                break
        if mine is not None:
            p.store.set_reply(p.full_name, "pr_comment", scope, mine.id, number=pr)
            async with p.app.write(p.installation_id):
                await p.gh.rest.issues.async_update_comment(p.owner, p.repo, mine.id, body=body)
            p.store.set_reply_hash(p.full_name, "pr_comment", scope, digest)
            return mine.id
    async with p.app.write(p.installation_id):
        created = (await p.gh.rest.issues.async_create_comment(p.owner, p.repo, pr, body=body)).parsed_data
    p.store.set_reply(p.full_name, "pr_comment", scope, created.id, number=pr, body_hash=digest)
    return created.id


def _is_bot(user: Any) -> bool:
    return user is not None and getattr(user, "type", "") == "Bot"


async def check_run(
    p: Place,
    sha: str,
    *,
    title: str,
    summary: str,
    success: bool,
    annotations: list[dict[str, Any]],
    details_url: str | None = None,
) -> int:
    """Create (or, for the same commit, update) the "Report check" check run, annotations in batches of 50."""
    scope = f"sha:{sha}"
    digest = content_hash("check_run", sha, success, title, summary, annotations, details_url)
    stored = p.store.get_reply(p.full_name, "check_run", scope)
    if stored is not None and _unchanged(p, stored, digest):
        return stored.github_id  # this commit's check run says exactly this already: no write
    run_id = stored.github_id if stored is not None else None
    if run_id is None and p.retrying:
        resp = await p.gh.rest.checks.async_list_for_ref(p.owner, p.repo, sha, check_name=CHECK_NAME)
        mine = next((r for r in resp.parsed_data.check_runs if r.app and r.app.id == p.app.app_id), None)
        run_id = mine.id if mine else None
    notes = annotations[:MAX_ANNOTATIONS]
    batches = [
        notes[i : i + ANNOTATIONS_PER_REQUEST] for i in range(0, len(notes), ANNOTATIONS_PER_REQUEST)
    ] or [[]]
    output: dict[str, Any] = {
        "title": title[:1000],
        "summary": summary[:SUMMARY_LIMIT],
        "annotations": batches[0],
    }
    url = details_url if details_url else UNSET
    conclusion: Literal["success", "failure"] = "success" if success else "failure"
    async with p.app.write(p.installation_id):
        if run_id is None:
            created = await p.gh.rest.checks.async_create(
                p.owner, p.repo, name=CHECK_NAME, head_sha=sha, status="completed", conclusion=conclusion,
                output=cast(Any, output), details_url=url,
            )  # fmt: skip
            run_id = created.parsed_data.id
        else:
            await p.gh.rest.checks.async_update(
                p.owner,
                p.repo,
                run_id,
                status="completed",
                conclusion=conclusion,
                output=cast(Any, output),
                details_url=url,
            )
    p.store.set_reply(p.full_name, "check_run", scope, run_id)
    for batch in batches[1:]:
        async with p.app.write(p.installation_id):
            more = {"title": output["title"], "summary": output["summary"], "annotations": batch}
            await p.gh.rest.checks.async_update(p.owner, p.repo, run_id, data={"output": more})  # type: ignore[call-overload]
    p.store.set_reply_hash(p.full_name, "check_run", scope, digest)  # every batch is on GitHub
    return run_id


async def set_details_url(p: Place, run_id: int, url: str) -> None:
    async with p.app.write(p.installation_id):
        await p.gh.rest.checks.async_update(p.owner, p.repo, run_id, details_url=url)


async def react(p: Place, comment_id: int, content: str) -> None:
    """A reaction on an issue comment (GitHub answers 200 when it exists already: idempotent)."""
    async with p.app.write(p.installation_id):
        await p.gh.rest.reactions.async_create_for_issue_comment(
            p.owner, p.repo, comment_id, data={"content": content}
        )  # type: ignore[call-overload]


async def find_reply(p: Place, number: int, key: str, since: datetime | None = None) -> str | None:
    """The body of the bot's reply marked with `key` in issue/PR `number`, or None.

    `since` (the command's creation time) narrows the listing to comments made from then on (usually one
    page); every page is read. Comments by people are never taken for the bot's."""
    marker = COMMAND_MARKER.format(key=key)
    async for c in _comments(p, number, since):
        if c.body and marker in c.body and _is_bot(c.user):
            return str(c.body)
    return None


async def reply_comment(p: Place, number: int, body: str, key: str, since: datetime | None = None) -> bool:
    """A reply in an issue or PR conversation, made once: idempotent across retries by a hidden marker keyed
    on the command (`key`). Returns False when a later attempt found it posted already."""
    marker = COMMAND_MARKER.format(key=key)
    if p.retrying and await find_reply(p, number, key, since) is not None:
        return False
    async with p.app.write(p.installation_id):
        await p.gh.rest.issues.async_create_comment(p.owner, p.repo, number, body=f"{marker}\n{body}")
    return True
