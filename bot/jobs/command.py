"""The `command` job: one `/report help|check|html` from an issue or pull-request comment, answered there.

The conversation: 👀 on the comment as soon as the job runs, then one reply that quotes the command, then
🚀 (done) or 😕 (not done: refused, unknown, failed). Replies are made once: a hidden marker keyed on the
comment (and its action and command) lets a later attempt of the job find what an earlier one posted.

Who may run commands is asked of GitHub (`bot.github.permissions`), the minimum level comes from the
repository's config (`command_permission`, read on the default branch: a branch cannot lower it). Anyone
below it gets one polite reply per issue (remembered in the store) and 😕 after that.

An edited comment counts only when the config says `edited_comments: true`; otherwise the job ends before
reacting. Failures are answered with what went wrong and what to do, never a traceback; a transient GitHub
failure retries the job, and the last attempt answers anyway.
"""

from __future__ import annotations

import logging

from githubkit.exception import GitHubException, RequestFailed

from bot.commands.grammar import Command, Invalid, Unknown
from bot.commands.permissions import permission_allows
from bot.commands.texts import (
    Outcome,
    check_text,
    help_text,
    invalid_text,
    refusal_text,
    unknown_text,
)
from bot.github.client import as_retry
from bot.github.config import CONFIG_PATH, LoadedConfig
from bot.github.fetch import Head, NotFound, RepoReader
from bot.github.replies import find_reply
from bot.jobs.check import check_branch, check_pr
from bot.jobs.context import Bot
from bot.jobs.conversation import Asked, RefMissing, asked, missing_ref, outcome_of, post, react_to, read_ref
from bot.jobs.html import html
from bot.jobs.read import read_head, rules_for
from bot.queue import Job, RetryLater
from bot.report import feedback

log = logging.getLogger(__name__)

REACTION: dict[Outcome, str] = {"ok": "rocket", "failed": "confused", "denied": "confused"}
_NOTICE = "If this keeps happening, tell your teacher (quote this comment)."


# ------------------------------------------------------------------------------------------- the job


async def run_command(bot: Bot, job: Job) -> None:
    a = asked(bot, job)
    if a.parsed.first is None:
        return
    p = a.place
    if p.retrying:
        done = await find_reply(p, a.number, a.key, a.since)
        if done is not None:  # an earlier attempt answered: finish its conversation, nothing more
            outcome = outcome_of(done)
            if outcome == "denied":
                _remember_refusal(a)
            await react_to(p, a.comment_id, REACTION[outcome])
            return
    read: tuple[RepoReader, Head, LoadedConfig] | None = None
    if a.action == "edited":
        read = await read_head(bot, p, *a.default_ref)
        if not read[2].config.edited_comments:
            log.info("%s: comment %s was edited; edited comments are off", p.full_name, a.comment_id)
            return
    if not await react_to(p, a.comment_id, "eyes"):
        return  # the comment is gone
    try:
        outcome = await _answer(bot, a, read)
    except (GitHubException, OSError, RetryLater) as exc:
        retry = exc if isinstance(exc, RetryLater) else as_retry(exc)
        if retry is not None and job.attempts < bot.max_attempts:
            raise retry from None
        if retry is not None:
            why = f"GitHub kept failing ({retry.reason}) after {job.attempts} tries"
            what = (
                "Nothing is wrong with your report. Try the command again in a few minutes (a new comment)."
            )
        else:
            status = exc.response.status_code if isinstance(exc, RequestFailed) else type(exc).__name__
            why = f"GitHub refused a request the bot needed ({status})"
            what = f"Try the command again later. {_NOTICE}"
        log.warning("%s: command in comment %s failed: %s", p.full_name, a.comment_id, why)
        outcome = await post(a, f"😕 The command could not run: {why}. {what}", "failed")
    await react_to(p, a.comment_id, REACTION[outcome])


async def _answer(bot: Bot, a: Asked, read: tuple[RepoReader, Head, LoadedConfig] | None) -> Outcome:
    p = a.place
    first = a.parsed.first
    try:
        reader, head, loaded = read if read is not None else await read_head(bot, p, *a.default_ref)
    except NotFound as exc:
        where = f"pull request #{a.number}" if a.pr else f"the default branch `{a.default_branch}`"
        text = (
            f"😕 I could not read {where}: {feedback.escape(str(exc))}. If the repository is empty, push the "
            "report first; otherwise make sure the app is still installed on this repository."
        )
        return await post(a, text, "failed")
    cfg = loaded.config
    level = await bot.permissions.level(p.gh, p.owner, p.repo, a.sender)
    if not permission_allows(level, cfg.command_permission):
        return await _refuse(bot, a, cfg.command_permission, level)
    if isinstance(first, Unknown):
        return await post(a, unknown_text(first, cfg.command_permission), "failed")
    if isinstance(first, Invalid):
        return await post(a, invalid_text(first, cfg.command_permission), "failed")
    assert isinstance(first, Command)
    if first.name == "help":
        return await _help(bot, a, reader, head, loaded)
    if first.name == "check":
        return await _check(bot, a, first.ref)
    return await html(bot, a, first.ref, loaded)


# ------------------------------------------------------------------------------------------- refusal


def _refusal_scope(a: Asked) -> str:
    return f"denied:{a.number}:{a.sender.lower()}"


def _remember_refusal(a: Asked) -> None:
    p = a.place
    # Kept with the bot's comments (kind "pr_comment": an issue or PR comment), id = the refused command.
    p.store.set_reply(p.full_name, "pr_comment", _refusal_scope(a), a.comment_id, number=a.number)


async def _refuse(bot: Bot, a: Asked, minimum: str, level: str) -> Outcome:
    """One polite reply per person and issue; later commands of theirs there only get 😕."""
    p = a.place
    async with bot.exclusive(f"refusal:{p.full_name}:{_refusal_scope(a)}".lower()):
        if p.store.get_reply(p.full_name, "pr_comment", _refusal_scope(a)) is not None:
            log.info("%s: %s may not run commands (told before in #%s)", p.full_name, a.sender, a.number)
            return "denied"
        await post(a, refusal_text(minimum, level), "denied")
        _remember_refusal(a)
    return "denied"


# ------------------------------------------------------------------------------------------- help


async def _help(bot: Bot, a: Asked, reader: RepoReader, head: Head, loaded: LoadedConfig) -> Outcome:
    p = a.place
    cfg = loaded.config
    notes: list[str] = []
    rules: tuple[str, str] | None = None
    if head.report is not None:
        rule_set, reason = await rules_for(bot, reader, head, cfg, None, notes)
        rules = (rule_set.name, reason)
    stored = p.store.get_reply(p.full_name, "issue", "default")
    issue = stored.number if stored is not None else None
    limit = cfg.renders_per_hour if cfg.renders_per_hour is not None else bot.render_limit
    text = help_text(
        cfg.model_dump(),
        source=loaded.source,
        error=loaded.error,
        config_path=CONFIG_PATH,
        rules=rules,
        rule_notes=notes,
        issue=issue,
        default_branch=a.default_branch,
        render_limit=limit,
        ttl=bot.artifact_ttl,
    )
    return await post(a, text, "ok")


# ------------------------------------------------------------------------------------------- check


def _is_default_branch(ref: str, default_branch: str) -> bool:
    return ref in (default_branch, f"heads/{default_branch}", f"refs/heads/{default_branch}")


async def _check(bot: Bot, a: Asked, ref: str | None) -> Outcome:
    p = a.place
    where: str | None = None
    try:
        if ref is None and a.pr:
            result = await check_pr(bot, p, a.number, force=True)
            assert result is not None  # forced: never skipped
            checked, comment = result
            if comment is not None:
                link = f"{a.issue_url}#issuecomment-{comment}" if a.issue_url else None
                where = f"[the report comment of this pull request]({link})" if link else "this pull request"
        elif ref is None or _is_default_branch(ref, a.default_branch):
            checked, issue = await check_branch(bot, p, a.default_branch)
            where = f"the pinned issue #{issue}" if issue is not None else None
        else:
            checked = await read_ref(bot, p, ref)
    except RefMissing:
        assert ref is not None
        return await missing_ref(a, "check", ref)
    return await post(a, check_text(checked.verdict, checked.head.sha, checked.body, ref, where), "ok")
