"""The `forget` job: the app left some repositories (uninstalled, or repositories removed from the
installation). The database rows went in the delivery's own transaction; this deletes what lives outside it,
the rendered pages (artifacts) made from those repositories. No GitHub call: the app may no longer have access."""

from __future__ import annotations

import asyncio
import logging

from bot.jobs.context import Bot
from bot.queue import Job

log = logging.getLogger(__name__)


async def forget_job(bot: Bot, job: Job) -> None:
    names = [str(n) for n in job.payload.get("repos", []) if isinstance(n, str)]
    if bot.artifacts is None or not names:
        return
    removed = await asyncio.to_thread(bot.artifacts.delete_repositories, names)
    log.info("forgot %d rendered page(s) of %d repositories the app left", removed, len(names))
