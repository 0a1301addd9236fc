"""The class overview: its rows from the store, and the job that keeps the live overview issue.

After every default-branch check (and at the end of a backfill) `schedule` queues the keyed job
`overview:<installation>`: a burst of checks coalesces into one waiting job. The job reads the
organisation's `.github/report-bot.yml`; when it names `overview: {repo: NAME}`, the issue there gets the
Markdown table as its body — edited in place, at most once a minute per installation: a run less than
`INTERVAL` after the last edit raises the queue's `RetryLater` with the time left, so the queue runs it
again then (with whatever changed meanwhile). An unchanged table is not written again.

May import: github, queue, store, report (never web or cli)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from bot.github import config as config_mod
from bot.github.fetch import RepoReader
from bot.github.overview_issue import upsert_overview_issue
from bot.github.replies import Place
from bot.github.stats import RepoStats
from bot.jobs.context import Bot
from bot.queue import Job, JobQueue, Queue, RetryLater
from bot.report import overview_table
from bot.report.summary import ReportSummary
from bot.store import summaries
from bot.store.summaries import Summary

log = logging.getLogger(__name__)
INTERVAL = 60.0
"""Seconds between two edits of one installation's overview issue."""
_queues: dict[int, JobQueue] = {}


def overview_key(installation_id: int) -> str:
    return f"overview:{installation_id}"


def row(s: Summary) -> dict[str, Any]:
    """The flat row of `bot.report.overview_table` for a stored summary."""
    out: dict[str, Any] = {k: None for k in overview_table.KEYS}
    out.update(repo=s.repo, sha=s.sha, checked_at=s.checked_at, problem=s.problem, late_pushes=s.late_pushes)
    if s.report is not None:
        r = ReportSummary.from_json(s.report)
        out.update(
            passed=r.passed,
            total=r.total,
            crash=r.crash,
            errors=r.errors,
            warnings=r.warnings,
            placeholders=r.placeholders,
            missing_images=r.missing_images,
            handin_differences=r.handin_differences,
            ticked=r.checklist.ticked,
            evidenced=r.checklist.evidenced,
            not_evidenced=r.checklist.not_evidenced,
        )
    if s.stats is not None:
        st = RepoStats.from_json(s.stats)
        out.update(
            contributors=st.contributors,
            commits=st.commits,
            pull_requests=st.pull_requests,
            ci=st.ci,
            dockerfiles=st.files.dockerfiles,
            workflows=st.files.workflows,
            requirements=st.files.requirements,
            pyproject=st.files.pyproject,
            cloudbuild=st.files.cloudbuild,
            dvc=st.files.dvc,
        )
    return out


def rows(
    engine: Any, *, installation_id: int | None = None, owner: str | None = None
) -> list[dict[str, Any]]:
    return [row(s) for s in summaries.list_summaries(engine, installation_id=installation_id, owner=owner)]


async def schedule(bot: Bot, installation_id: int, owner: str) -> None:
    """Queue the refresh of the installation's overview (coalesced with one already waiting)."""
    queue: Queue | None = bot.queue  # the queue that runs this job (embedded or procrastinate)
    if queue is None:  # a job run alone (tests): the embedded table of the store's database
        engine = bot.store.engine
        cached = _queues.get(id(engine))
        if cached is None or cached.engine is not engine:
            cached = _queues[id(engine)] = JobQueue(engine)
        queue = cached
    payload = {"installation_id": installation_id, "owner": owner}
    await queue.enqueue_async("overview", overview_key(installation_id), payload, installation_id)


async def overview_job(bot: Bot, job: Job) -> None:
    inst, owner = int(job.payload["installation_id"]), str(job.payload["owner"])
    gh = bot.app.installation(inst)
    reader = RepoReader(gh, owner, ".github", bot.blobs)

    async def fetch(o: str, r: str, path: str) -> str | None:
        return await bot.org_config(reader, o, r, path)

    loaded = await config_mod.load(owner, ".github", fetch)  # the organisation's own file only
    target = loaded.config.overview
    if target is None:
        return
    engine = bot.store.engine
    last = await asyncio.to_thread(summaries.last_overview_edit, engine, inst)
    now = bot.clock()
    if last is not None:
        wait = INTERVAL - (now - last.edited_at).total_seconds()
        if wait > 0:
            raise RetryLater(f"the overview issue was edited {INTERVAL - wait:.0f} s ago", retry_after=wait)
    table = await asyncio.to_thread(rows, engine, installation_id=inst)
    body = overview_table.markdown(table, limit=overview_table.MD_LIMIT - 100, title=target.title)
    digest = hashlib.sha256(body.encode()).hexdigest()
    full = f"{owner}/{target.repo}"
    if last is not None and last.digest == digest and last.repo.lower() == full.lower():
        return
    p = Place(bot.app, gh, inst, owner, target.repo, bot.store, job.attempts > 1)
    number, created = await upsert_overview_issue(p, target.title, body)
    await asyncio.to_thread(summaries.record_overview_edit, engine, inst, full, bot.clock(), digest)
    log.info(
        "overview of installation %d: issue #%d of %s %s", inst, number, full, "made" if created else "edited"
    )
