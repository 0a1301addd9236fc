"""The check job: a push to a branch (the pinned issue on the default branch) or a pull request (its sticky
comment), with a check run for the commit, and a comment when the verdict changes.

One writer per place: the pinned issue or sticky comment of one place is written by one job at a time,
command or push (`Bot.exclusive`)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta

from bot.github.replies import Place, check_run, comment_on_change, upsert_issue, upsert_pr_comment
from bot.github.stats import RepoStats, file_measures, repo_stats
from bot.jobs.context import Bot
from bot.jobs.overview import schedule
from bot.jobs.read import Checked, Skip, read_and_check
from bot.queue import Job, Superseded
from bot.queue.pacing import Unless
from bot.report import deadline as deadline_text
from bot.report import feedback
from bot.report.summary import summarise
from bot.store import summaries

log = logging.getLogger(__name__)
STATS_TTL = timedelta(minutes=15)
"""The repository's counts (contributors, commits, pull requests, Actions) are read again at a check at most
this often; a burst of pushes reuses them."""


async def check_job(bot: Bot, job: Job) -> None:
    p = bot.place(job)
    payload = job.payload
    if payload.get("pr") is not None:
        await check_pr(bot, p, int(payload["pr"]))
    else:
        pushed = payload.get("pushed_at")
        when = datetime.fromtimestamp(float(pushed), UTC) if isinstance(pushed, int | float) else None
        await check_branch(bot, p, str(payload["branch"]), pushed_at=when)


async def check_branch(
    bot: Bot, p: Place, branch: str, *, pushed_at: datetime | None = None
) -> tuple[Checked, int | None]:
    """Check a branch; on the default branch refresh the pinned issue (its number is returned).
    `pushed_at`: when GitHub received the push that asked for it (held against the deadline)."""
    async with bot.exclusive(f"{p.full_name}:branch:{branch}".lower()):
        return await _check_branch(bot, p, branch, pushed_at)


def with_deadline(checked: Checked, now: datetime, pushed_at: datetime | None) -> Checked:
    """The body with the deadline's line first: the time left before it, after it whether this push is late."""
    due = checked.config.config.deadline
    if due is None:
        return checked
    if pushed_at is not None and deadline_text.is_late(due, pushed_at):
        line = deadline_text.late_note(due, pushed_at)
    else:
        line = deadline_text.countdown(due, now)
    return dataclasses.replace(checked, body=f"{line}\n\n{checked.body}")


NEWER_PUSH_RECHECKS = 3
"""How often a branch job checks again when a newer push landed while it waited for its write turn."""


async def _check_branch(
    bot: Bot, p: Place, branch: str, pushed_at: datetime | None
) -> tuple[Checked, int | None]:
    for attempt in range(NEWER_PUSH_RECHECKS + 1):
        checked = await read_and_check(bot, p, f"refs/heads/{branch}")
        cfg = checked.config.config
        if branch != checked.head.default_branch:
            return checked, None  # only the default branch has the pinned issue; others are checked in PRs
        checked = with_deadline(checked, bot.clock(), pushed_at)
        title = cfg.issue_title
        moved = _moved(p, branch, checked.head.sha) if attempt < NEWER_PUSH_RECHECKS else None
        try:
            number, created, pin_note = await upsert_issue(
                p, title, checked.body, pin=cfg.pin_issue, unless=moved
            )
            break
        except Superseded:
            # The newest push first: write what the branch holds now, not what it held when the job began
            # (the newer push's own job then finds it written and writes nothing). Its push time is not
            # known here: a push after a late one is late too; otherwise it is not counted as late.
            log.info("%s: %s moved while waiting to write, checking its new head", p.full_name, branch)
            due = cfg.deadline
            if pushed_at is not None and not (due is not None and deadline_text.is_late(due, pushed_at)):
                pushed_at = None
    else:  # pragma: no cover - the last attempt never asks
        raise AssertionError("unreachable")
    if pin_note:
        await upsert_issue(p, title, f"> {pin_note}\n\n{checked.body}", pin=False)
    scope = f"branch:{branch}"
    await record_and_notify(bot, p, scope, number, checked, notify=cfg.comment_on_change and not created)
    if cfg.check_runs and checked.verdict is not None:
        await post_check_run(bot, p, checked)
    await record_summary(bot, p, checked, pushed_at)
    await schedule(bot, p.installation_id, p.owner)
    return checked, number


async def record_summary(bot: Bot, p: Place, checked: Checked, pushed_at: datetime | None) -> None:
    """The repository's row of the class overview: the verdict's summary, the repository's measures (two
    requests; the file measures come from the tree the check read) and its pushes after the deadline."""
    v = checked.verdict
    engine = bot.store.engine
    before = await asyncio.to_thread(summaries.get_summary, engine, p.full_name)
    due = checked.config.config.deadline
    late: int | None = None
    if due is not None:
        late = (before.late_pushes or 0) if before is not None and before.deadline == due else 0
        new_commit = before is None or before.sha != checked.head.sha
        if pushed_at is not None and deadline_text.is_late(due, pushed_at) and new_commit:
            late += 1
    files = list(checked.snapshot.files) if checked.snapshot is not None else []
    now = bot.clock()
    read_at = _read_at(before.stats if before is not None else None)
    if before is not None and before.stats is not None and read_at is not None and now - read_at < STATS_TTL:
        # A push soon after the last: the counts are kept (two requests saved), the files are current.
        stats = dataclasses.replace(RepoStats.from_json(before.stats), files=file_measures(files))
    else:
        stats, read_at = await repo_stats(p.gh, p.owner, p.repo, files), now
    problem = _no_verdict(checked)[0] if v is None else None
    row = summaries.Summary(
        repo=p.full_name,
        installation_id=p.installation_id,
        sha=checked.head.sha,
        checked_at=now,
        report=summarise(v).to_json() if v is not None else None,
        problem=problem,
        stats={**stats.to_json(), "read_at": read_at.isoformat()},
        late_pushes=late,
        deadline=due,
    )
    await asyncio.to_thread(summaries.set_summary, engine, row)


def _moved(p: Place, branch: str, sha: str) -> Unless:
    """True when `branch` no longer points at `sha` (one REST read; a failed read says False: write)."""

    async def moved() -> bool:
        try:
            ref = (await p.gh.rest.git.async_get_ref(p.owner, p.repo, f"heads/{branch}")).parsed_data
        except Exception as exc:  # the write goes ahead as it would have without the check
            log.info("%s: could not read the head of %s (%s)", p.full_name, branch, type(exc).__name__)
            return False
        return bool(ref.object_.sha != sha)

    return moved


async def check_pr(bot: Bot, p: Place, pr: int, *, force: bool = False) -> tuple[Checked, int | None] | None:
    """Check a pull request's head and refresh its sticky comment (whose id is returned) and check run.
    None when there was nothing to do (the PR does not touch the report, unless `force`)."""
    async with bot.exclusive(f"{p.full_name}:pr:{pr}".lower()):
        try:
            checked = await read_and_check(bot, p, f"refs/pull/{pr}/head", pr, force=force)
        except Skip as why:
            log.info("%s: nothing to do, %s", p.full_name, why)
            return None
        if checked.head.pr_state not in (None, "OPEN"):
            return checked, None  # closed or merged while the job waited: nothing is refreshed
        cfg = checked.config.config
        comment = await upsert_pr_comment(p, pr, checked.body) if cfg.pr_comments else None
        if cfg.check_runs and checked.verdict is not None:
            await post_check_run(bot, p, checked)
        await record_and_notify(bot, p, f"pr:{pr}", None, checked, notify=False)
        return checked, comment


async def post_check_run(bot: Bot, p: Place, checked: Checked, details_url: str | None = None) -> int:
    v = checked.verdict
    assert v is not None
    cfg = checked.config.config
    return await check_run(
        p,
        checked.head.sha,
        title=feedback.headline(v),
        summary=checked.body,
        success=v.ok,
        annotations=feedback.annotations(v, cfg.report_path),
        details_url=details_url,
    )


async def record_and_notify(
    bot: Bot, p: Place, scope: str, issue: int | None, checked: Checked, *, notify: bool
) -> None:
    v = checked.verdict
    failing = [str(n) for n in sorted(v.failing())] if v else []
    error, missing = (v.official.error, "") if v else _no_verdict(checked)
    total = v.official.total if v else 0
    before = bot.store.last_verdict(p.full_name, scope)
    changed = before is None or (before.failing, before.error, before.total) != (failing, error, total)
    if notify and changed and before is not None and issue is not None:
        headline = feedback.headline(v) if v else missing
        text = f"The verdict changed at commit `{checked.head.sha[:7]}`: **{headline}**. The issue above shows the details."
        await comment_on_change(p, issue, f"{scope}:{checked.head.sha}", text)
    bot.store.set_verdict(p.full_name, scope, checked.head.sha, bool(v and v.ok), total, failing, error)


def _no_verdict(checked: Checked) -> tuple[str, str]:
    """Why a check has no verdict: (what is stored, what the change comment says)."""
    if checked.head.report_binary:
        return "report not text", "The report file is not a text file"
    if checked.head.report is not None:  # there was a report: its check ran out of time
        return "could not be checked in time", "The report could not be checked in time"
    return "no report", "The report file is missing"


def _read_at(stats: dict[str, object] | None) -> datetime | None:
    """When the stored counts were read from GitHub."""
    value = (stats or {}).get("read_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
