"""The job bodies, run by the queue's worker: `check` (push / pull request), `command` (/report ...),
`backfill` (an installation's repositories) and `overview` (the live class overview issue).

Layout: `context` (Bot: clients, store, caches) ← `read` (read a ref, check its report) ← `check`,
`command`, `html`; `handle` here dispatches a job by kind. GitHub failures that are transient become the
queue's `RetryLater`; everything else fails the job with a one-line reason.

May import: github, commands, queue, store, artifacts, report (never web or cli)."""

from __future__ import annotations

import logging

from githubkit.exception import GitHubException

from bot.github.client import as_retry, describe
from bot.github.fetch import NotFound
from bot.jobs.backfill import backfill_job
from bot.jobs.check import check_job
from bot.jobs.command import run_command
from bot.jobs.context import Bot, JobFailed
from bot.jobs.forget import forget_job
from bot.jobs.overview import overview_job
from bot.queue import Job, RetryLater

__all__ = ["Bot", "JobFailed", "handle"]
log = logging.getLogger(__name__)


async def handle(bot: Bot, job: Job) -> None:
    try:
        if job.kind == "check":
            await check_job(bot, job)
        elif job.kind == "command":
            await run_command(bot, job)
        elif job.kind == "backfill":
            await backfill_job(bot, job)
        elif job.kind == "forget":
            await forget_job(bot, job)
        elif job.kind == "overview":
            await overview_job(bot, job)
        else:
            raise JobFailed(f"unknown job kind {job.kind!r}")
    except RetryLater:
        raise
    except NotFound as exc:
        raise JobFailed(str(exc)) from None
    except (GitHubException, OSError) as exc:
        retry = as_retry(exc)
        if retry is not None:
            log.warning("job %s: %s", job.id, describe(exc))  # GitHub's status and own message
            raise retry from None
        raise JobFailed(describe(exc)) from None
