"""One command's conversation: who asked what where (`Asked`), reacting to the comment, replying once
(found again by its hidden marker), and reading a REF someone typed. Shared by the command jobs."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from githubkit.exception import GraphQLFailed, RequestFailed

from bot.commands.grammar import Parsed, parsed_from_payload
from bot.commands.texts import OUTCOME_MARKER, Outcome, compose, missing_ref_text
from bot.github.client import as_retry
from bot.github.fetch import NotFound
from bot.github.replies import Place, react, reply_comment
from bot.jobs.context import Bot
from bot.jobs.read import Checked, read_and_check
from bot.queue import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asked:
    """One command as the job sees it: where it was written, by whom, and what it says."""

    place: Place
    number: int
    pr: bool
    comment_id: int
    sender: str
    action: str
    default_branch: str
    issue_url: str
    since: datetime | None
    parsed: Parsed

    @property
    def key(self) -> str:
        """The reply's marker key: the comment, the action and the command (an edit asking for something
        else is a new command)."""
        first = self.parsed.first
        raw = first.raw if first is not None else ""
        digest = hashlib.sha256(f"{self.action}\n{raw}".encode()).hexdigest()[:12]
        return f"cmd:{self.comment_id}:{digest}"

    @property
    def default_ref(self) -> tuple[str, int | None]:
        """(ref, pr) a command without a REF reads: this pull request's head, or the default branch."""
        if self.pr:
            return f"refs/pull/{self.number}/head", self.number
        return f"refs/heads/{self.default_branch}", None


def asked(bot: Bot, job: Job) -> Asked:
    p = job.payload
    since = None
    if isinstance(p.get("comment_created_at"), str):
        try:
            since = datetime.fromisoformat(p["comment_created_at"].replace("Z", "+00:00"))
        except ValueError:
            since = None
    return Asked(
        place=bot.place(job),
        number=int(p["number"]),
        pr=bool(p.get("pr")),
        comment_id=int(p["comment_id"]),
        sender=str(p["sender"]),
        action=str(p.get("action") or "created"),
        default_branch=str(p.get("default_branch") or "main"),
        issue_url=str(p.get("issue_url") or ""),
        since=since,
        parsed=parsed_from_payload(p.get("command")),
    )


async def react_to(p: Place, comment_id: int, content: str) -> bool:
    """React; False when the comment no longer exists. Other refusals (e.g. a locked conversation) are
    logged and the conversation goes on without the reaction."""
    try:
        await react(p, comment_id, content)
    except RequestFailed as exc:
        status = exc.response.status_code
        if status in (404, 410):
            return False
        if as_retry(exc) is not None:
            raise
        log.warning("%s: could not react %s on comment %s (%s)", p.full_name, content, comment_id, status)
    return True


async def post(a: Asked, text: str, outcome: Outcome) -> Outcome:
    body = compose(a.parsed, text, outcome)
    await reply_comment(a.place, a.number, body, a.key, a.since)
    return outcome


def outcome_of(body: str) -> Outcome:
    outcomes: tuple[Outcome, ...] = ("denied", "failed", "ok")
    for outcome in outcomes:
        if OUTCOME_MARKER.format(outcome=outcome) in body:
            return outcome
    return "ok"


class RefMissing(Exception):
    """The REF of a command is not a branch, tag or commit of the repository."""


async def read_ref(bot: Bot, p: Place, ref: str) -> Checked:
    """Read and check a REF someone typed. An annotated tag names a tag object, not a commit: when `ref`
    resolves to no commit, `ref^{commit}` (git's peeling syntax) is tried before giving up."""
    try:
        return await read_and_check(bot, p, ref)
    except NotFound as exc:
        if not str(exc).startswith(f"`{ref}`"):
            raise  # the repository itself cannot be read
    try:
        return await read_and_check(bot, p, ref + "^{commit}")
    except (NotFound, GraphQLFailed):  # GraphQLFailed: a server that does not take the peeling syntax
        raise RefMissing(ref) from None


async def missing_ref(a: Asked, command: str, ref: str) -> Outcome:
    """Answer that the REF typed for `command` names nothing in the repository."""
    return await post(a, missing_ref_text(command, ref, pr=a.pr, default_branch=a.default_branch), "failed")
