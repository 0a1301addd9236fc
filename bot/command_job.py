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

import asyncio
import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import yaml
from githubkit.exception import GitHubException, GraphQLFailed, RequestFailed

from bot.github.client import as_retry
from bot.github.commands import (
    HELP_COMMANDS,
    Command,
    Invalid,
    Parsed,
    Unknown,
    parsed_from_payload,
    permission_allows,
    quote_command,
)
from bot.github.config import CONFIG_PATH, LoadedConfig
from bot.github.fetch import Head, NotFound, RepoReader
from bot.github.replies import Place, find_reply, react, reply_comment, set_details_url
from bot.queue import Job, RetryLater
from bot.report import feedback
from bot.report.diagnostics import code
from bot.report.images import links, resolve
from bot.report.render import ReadFile, RenderedPage, RenderError, render_page
from bot.store import utcnow

if TYPE_CHECKING:
    from bot.jobs import Bot, Checked

log = logging.getLogger(__name__)

Outcome = Literal["ok", "failed", "denied"]
OUTCOME_MARKER = "<!-- report-bot:outcome {outcome} -->"
REACTION: dict[Outcome, str] = {"ok": "rocket", "failed": "confused", "denied": "confused"}
RENDER_WINDOW = timedelta(hours=1)
MAX_IGNORED_SHOWN = 5
_NOTICE = "If this keeps happening, tell your teacher (quote this comment)."


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


def _asked(bot: Bot, job: Job) -> Asked:
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


# ------------------------------------------------------------------------------------------- the job


async def run_command(bot: Bot, job: Job) -> None:
    a = _asked(bot, job)
    if a.parsed.first is None:
        return
    p = a.place
    if p.retrying:
        done = await find_reply(p, a.number, a.key, a.since)
        if done is not None:  # an earlier attempt answered: finish its conversation, nothing more
            outcome = _outcome_of(done)
            if outcome == "denied":
                _remember_refusal(a)
            await _react(p, a.comment_id, REACTION[outcome])
            return
    read: tuple[RepoReader, Head, LoadedConfig] | None = None
    if a.action == "edited":
        read = await bot.read_head(p, *a.default_ref)
        if not read[2].config.edited_comments:
            log.info("%s: comment %s was edited; edited comments are off", p.full_name, a.comment_id)
            return
    if not await _react(p, a.comment_id, "eyes"):
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
        outcome = await _post(a, f"😕 The command could not run: {why}. {what}", "failed")
    await _react(p, a.comment_id, REACTION[outcome])


async def _answer(bot: Bot, a: Asked, read: tuple[RepoReader, Head, LoadedConfig] | None) -> Outcome:
    p = a.place
    first = a.parsed.first
    try:
        reader, head, loaded = read if read is not None else await bot.read_head(p, *a.default_ref)
    except NotFound as exc:
        where = f"pull request #{a.number}" if a.pr else f"the default branch `{a.default_branch}`"
        text = (
            f"😕 I could not read {where}: {feedback.escape(str(exc))}. If the repository is empty, push the "
            "report first; otherwise make sure the app is still installed on this repository."
        )
        return await _post(a, text, "failed")
    cfg = loaded.config
    level = await bot.permissions.level(p.gh, p.owner, p.repo, a.sender)
    if not permission_allows(level, cfg.command_permission):
        return await _refuse(bot, a, cfg.command_permission, level)
    if isinstance(first, Unknown):
        return await _post(a, unknown_text(first, cfg.command_permission), "failed")
    if isinstance(first, Invalid):
        return await _post(a, invalid_text(first, cfg.command_permission), "failed")
    assert isinstance(first, Command)
    if first.name == "help":
        return await _help(bot, a, reader, head, loaded)
    if first.name == "check":
        return await _check(bot, a, first.ref)
    return await _html(bot, a, first.ref, loaded)


async def _react(p: Place, comment_id: int, content: str) -> bool:
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


async def _post(a: Asked, text: str, outcome: Outcome) -> Outcome:
    body = compose(a.parsed, text, outcome)
    await reply_comment(a.place, a.number, body, a.key, a.since)
    return outcome


def _outcome_of(body: str) -> Outcome:
    outcomes: tuple[Outcome, ...] = ("denied", "failed", "ok")
    for outcome in outcomes:
        if OUTCOME_MARKER.format(outcome=outcome) in body:
            return outcome
    return "ok"


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
        await _post(a, refusal_text(minimum, level), "denied")
        _remember_refusal(a)
    return "denied"


# ------------------------------------------------------------------------------------------- help


async def _help(bot: Bot, a: Asked, reader: RepoReader, head: Head, loaded: LoadedConfig) -> Outcome:
    p = a.place
    cfg = loaded.config
    notes: list[str] = []
    rules: tuple[str, str] | None = None
    if head.report is not None:
        rule_set, reason = await bot.rules_for(reader, head, cfg, None, notes)
        rules = (rule_set.name, reason)
    stored = p.store.get_reply(p.full_name, "issue", "default")
    issue = stored.number if stored is not None else None
    limit = cfg.renders_per_hour if cfg.renders_per_hour is not None else bot.render_limit
    text = help_text(
        loaded,
        rules=rules,
        rule_notes=notes,
        issue=issue,
        default_branch=a.default_branch,
        render_limit=limit,
        ttl=bot.artifact_ttl,
    )
    return await _post(a, text, "ok")


# ------------------------------------------------------------------------------------------- check


class RefMissing(Exception):
    """The REF of a command is not a branch, tag or commit of the repository."""


async def read_ref(bot: Bot, p: Place, ref: str) -> Checked:
    """Read and check a REF someone typed. An annotated tag names a tag object, not a commit: when `ref`
    resolves to no commit, `ref^{commit}` (git's peeling syntax) is tried before giving up."""
    try:
        return await bot.read_and_check(p, ref)
    except NotFound as exc:
        if not str(exc).startswith(f"`{ref}`"):
            raise  # the repository itself cannot be read
    try:
        return await bot.read_and_check(p, ref + "^{commit}")
    except (NotFound, GraphQLFailed):  # GraphQLFailed: a server that does not take the peeling syntax
        raise RefMissing(ref) from None


def _is_default_branch(ref: str, default_branch: str) -> bool:
    return ref in (default_branch, f"heads/{default_branch}", f"refs/heads/{default_branch}")


async def _check(bot: Bot, a: Asked, ref: str | None) -> Outcome:
    p = a.place
    where: str | None = None
    try:
        if ref is None and a.pr:
            result = await bot.check_pr(p, a.number, force=True)
            assert result is not None  # forced: never skipped
            checked, comment = result
            if comment is not None:
                link = f"{a.issue_url}#issuecomment-{comment}" if a.issue_url else None
                where = f"[the report comment of this pull request]({link})" if link else "this pull request"
        elif ref is None or _is_default_branch(ref, a.default_branch):
            checked, issue = await bot.check_branch(p, a.default_branch)
            where = f"the pinned issue #{issue}" if issue is not None else None
        else:
            checked = await read_ref(bot, p, ref)
    except RefMissing:
        assert ref is not None
        return await _post(a, missing_ref_text("check", ref, a), "failed")
    return await _post(a, check_text(checked, ref, where), "ok")


# ------------------------------------------------------------------------------------------- html


async def _html(bot: Bot, a: Asked, ref: str | None, loaded: LoadedConfig) -> Outcome:
    p = a.place
    store = bot.artifacts
    if store is None:
        return await _post(a, "😕 Rendering pages is not set up on this server. Tell your teacher.", "failed")
    cfg = loaded.config
    limit = cfg.renders_per_hour if cfg.renders_per_hour is not None else bot.render_limit
    async with bot.exclusive(f"render:{p.full_name}".lower()):
        now = utcnow()
        used = p.store.count_renders(p.full_name, now - RENDER_WINDOW)
        if used >= limit:
            oldest = p.store.oldest_render_since(p.full_name, now - RENDER_WINDOW)
            return await _post(a, render_limit_text(limit, oldest, now), "failed")
        on_pr_head = ref is None and a.pr
        try:
            if on_pr_head:
                checked = await bot.read_and_check(p, f"refs/pull/{a.number}/head", a.number, force=True)
            elif ref is None:
                checked = await bot.read_and_check(p, f"refs/heads/{a.default_branch}")
            else:
                checked = await read_ref(bot, p, ref)
        except RefMissing:
            assert ref is not None
            return await _post(a, missing_ref_text("html", ref, a), "failed")
        if checked.verdict is None:
            return await _post(a, f"😕 There is nothing to render.\n\n{checked.body}", "failed")
        try:
            page = await render_checked(bot, p, checked)
        except RenderError as exc:
            text = (
                f"😕 The page could not be rendered: {feedback.escape(str(exc))}.\n\nMake the report or its "
                "images smaller (the limit is named above), push, and ask again."
            )
            return await _post(a, text, "failed")
        filename = f"{p.repo}-{checked.head.sha[:7]}.html"
        artifact = await asyncio.to_thread(
            store.put, page.html.encode("utf-8"), filename, "text/html; charset=utf-8", bot.artifact_ttl
        )
        p.store.record_render(p.full_name)
    if on_pr_head and checked.config.config.check_runs:
        run = p.store.get_reply(p.full_name, "check_run", f"sha:{checked.head.sha}")
        if run is not None:
            await set_details_url(p, run.github_id, artifact.url)
        else:
            await bot.post_check_run(p, checked, details_url=artifact.url)
    text = html_text(
        checked, artifact.url, artifact.expires_at, utcnow(), ref, renders_left=max(0, limit - used - 1)
    )
    return await _post(a, text, "ok")


async def render_checked(bot: Bot, p: Place, checked: Checked) -> RenderedPage:
    """The page of a checked commit. Images come only from that commit's files, and only those the report
    links are fetched (by blob SHA, cached): first the links the checker sees, then any other path the
    renderer asked for that the commit has (a link form the two read differently)."""
    v, head, snapshot = checked.verdict, checked.head, checked.snapshot
    assert v is not None and head.report is not None and snapshot is not None
    report_text = head.report
    report_dir = checked.config.config.report_dir
    reader = RepoReader(p.gh, p.owner, p.repo, bot.blobs)
    limits = bot.render_limits
    fetched: dict[str, bytes] = {}

    async def fetch(paths: set[str]) -> None:
        for path in sorted(paths):
            if path in fetched or path not in snapshot.files:
                continue
            if len(fetched) >= limits.max_images:
                return  # the renderer stops at its own limit (it counts every path) with a clear message
            fetched[path] = await reader.blob(snapshot.files[path])
            total = sum(map(len, fetched.values()))
            if total > limits.max_total_image_bytes:
                limit = limits.max_total_image_bytes // 1_000_000
                raise RenderError(
                    f"the linked images are over {limit} MB in total, the limit (max_total_image_bytes)"
                )

    await fetch({resolve(link.target, report_dir) for link in links(v.report)})
    while True:
        missed: set[str] = set()
        page = await asyncio.to_thread(
            render_page,
            report_text,
            _snapshot_reader(fetched, snapshot.files, missed),
            verdict=v,
            report_dir=report_dir,
            commit=head.sha,
            group=p.full_name,
            limits=limits,
        )
        before = len(fetched)
        await fetch(missed)
        if len(fetched) == before:
            return page


def _snapshot_reader(fetched: dict[str, bytes], files: dict[str, str], missed: set[str]) -> ReadFile:
    """`read_file` over the fetched images; paths the commit has but that were not fetched go to `missed`."""

    def read(path: str) -> bytes | None:
        data = fetched.get(path)
        if data is None and path in files:
            missed.add(path)
        return data

    return read


# ------------------------------------------------------------------------------------------- texts (pure)


def inline(text: str) -> str:
    """Student text as one inline code span (no mention, link or HTML can come out of it)."""
    return quote_command(text).removeprefix("> ")


def compose(parsed: Parsed, text: str, outcome: Outcome) -> str:
    """A reply: the quoted command, the answer, the ignored later commands, and the hidden outcome."""
    first = parsed.first
    parts = [quote_command(first.raw if first is not None else ""), "", text]
    if parsed.ignored:
        shown = parsed.ignored[:MAX_IGNORED_SHOWN]
        more = len(parsed.ignored) - len(shown)
        lines = [
            "",
            "Only the first command of a comment runs; "
            + ("this one was" if len(parsed.ignored) == 1 else "these were")
            + " ignored (write each in its own comment):",
            "",
            *(quote_command(raw) + "  " for raw in shown),
        ]
        if more:
            lines.append(f"> …and {more} more")
        parts += lines
    parts += ["", OUTCOME_MARKER.format(outcome=outcome)]
    return "\n".join(parts)


def _commands_block(minimum: str) -> str:
    return f"Commands (write them at the start of a line in a comment; **{minimum}** access or more):\n\n{HELP_COMMANDS}"


def unknown_text(cmd: Unknown, minimum: str) -> str:
    return (
        f"😕 {inline(cmd.word)} is not a command I know. Did you mean `/report {cmd.suggestion}`?\n\n"
        f"{_commands_block(minimum)}"
    )


def invalid_text(cmd: Invalid, minimum: str) -> str:
    return f"😕 That command cannot run: {cmd.reason}.\n\n{_commands_block(minimum)}"


def refusal_text(minimum: str, level: str) -> str:
    have = "no access" if level == "none" else f"**{level}** access"
    return (
        f"Sorry, only people with **{minimum}** access to this repository (or more) can run `/report` "
        f"commands here, and you have {have}. Ask someone in your group who can write to the repository "
        "(or your teacher) to run it. The bot still checks the report on every push.\n\n"
        "<sub>You will not get this message again in this conversation.</sub>"
    )


def missing_ref_text(command: str, ref: str, a: Asked) -> str:
    default = "this pull request's head" if a.pr else f"the default branch `{a.default_branch}`"
    return (
        f"😕 {inline(ref)} is not a branch, tag or commit of this repository, so there is nothing to "
        f"{'check' if command == 'check' else 'render'}.\n\n"
        "Check the spelling (branch and tag names are case-sensitive), push the branch first if it is only "
        f"on your computer, or leave the ref out to use {default}: `/report {command}`."
    )


def _failing_table(body: str) -> str:
    """The failing-questions table of a verdict's Markdown (empty when every question passes)."""
    lines = body.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.startswith("| # | Topic |") and "What to do" in line), None
    )
    if start is None:
        return ""
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end])


def check_text(checked: Checked, ref: str | None, where: str | None) -> str:
    v, sha = checked.verdict, checked.head.sha
    what = f"{inline(ref)} (commit `{sha[:7]}`)" if ref is not None else f"commit `{sha[:7]}`"
    if v is None:
        return f"Checked {what}.\n\n{checked.body}"
    if where is None:
        return f"Checked {what}:\n\n{checked.body}"
    table = _failing_table(checked.body)
    parts = [f"### {feedback.headline(v)}", "", f"Checked {what}."]
    if table:
        parts += ["", table]
    parts += ["", f"Everything the check found, line by line, is in {where} (refreshed now)."]
    return "\n".join(parts)


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _span(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hours"


def html_text(
    checked: Checked, url: str, expires_at: datetime, now: datetime, ref: str | None, *, renders_left: int
) -> str:
    v, sha = checked.verdict, checked.head.sha
    assert v is not None
    of = f"{inline(ref)} (commit `{sha[:7]}`)" if ref is not None else f"commit `{sha[:7]}`"
    return "\n".join(
        [
            f"📄 **[Your report as a web page]({url})**, {of}: the page a grader reads, with the check's "
            "verdict on every question.",
            "",
            f"**Verdict:** {feedback.headline(v)}",
            "",
            f"The link works until {_when(expires_at)} (in {_span(expires_at - now)}). Anyone with the link "
            f"can open it: share it only with your group. <sub>Renders left this hour: {renders_left}.</sub>",
        ]
    )


def render_limit_text(limit: int, oldest: datetime | None, now: datetime) -> str:
    if limit == 0:
        return "😕 Rendering pages is turned off for this repository (`renders_per_hour: 0` in the config)."
    next_at = (oldest or now) + RENDER_WINDOW
    return (
        f"😕 This repository has used its {limit} page render{'s' if limit != 1 else ''} of the last hour. "
        f"The next one is possible at "
        f"{_when(next_at)} (in {_span(next_at - now)}); ask again then. `/report check` has no such limit."
    )


def help_text(
    loaded: LoadedConfig,
    *,
    rules: tuple[str, str] | None,
    rule_notes: list[str],
    issue: int | None,
    default_branch: str,
    render_limit: int,
    ttl: timedelta,
) -> str:
    cfg = loaded.config
    path = inline(cfg.report_path)
    out = [
        f"**report-bot** checks this repository's exam report, {path}, against the course's rules (words "
        "and screenshots per question, placeholders left in, images that are not in the repository, ...) "
        f"every time it changes on `{feedback.escape(default_branch)}`, and answers in the pinned "
        "**Report check** issue, in a comment on each pull request that changes the report, and in a "
        "**Report check** check run.",
        "",
        _commands_block(cfg.command_permission),
        f"At most {render_limit} `/report html` per hour in this repository; a page link works for "
        f"{_span(ttl)}.",
        "",
    ]
    if issue is not None:
        out.append(f"**Report check issue:** #{issue}")
    else:
        out.append(
            f"**Report check issue:** not made yet; it appears with the first check of `{feedback.escape(default_branch)}` "
            "(a push that changes the report, or `/report check`)."
        )
    if rules is not None:
        out.append(f"**Rule set:** {inline(rules[0])} ({feedback.escape(rules[1])})")
    else:
        out.append(
            f"**Rule set:** none yet: there is no report at {path} on `{feedback.escape(default_branch)}`."
        )
    out += rule_notes
    if loaded.source is None:
        out.append(
            f"**Settings:** the defaults (no `{CONFIG_PATH}` in this repository or in the organisation's "
            "`.github` repository)."
        )
    else:
        out.append(f"**Settings:** from {inline(loaded.source)}.")
    if loaded.error:
        out.append(f"⚠️ That file could not be used, the defaults apply: {code(loaded.error, 300)}")
    dump = yaml.safe_dump(cfg.model_dump(), sort_keys=False, allow_unicode=True)
    fence = "`" * max(3, _longest_backticks(dump) + 1)
    out += [
        "",
        "<details><summary>Current settings</summary>",
        "",
        f"{fence}yaml",
        dump.rstrip(),
        fence,
        "",
        "</details>",
    ]
    return "\n".join(out)


def _longest_backticks(text: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    return longest
