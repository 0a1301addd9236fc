"""The org-wide backfill: after `installation.created` or `installation_repositories.added`, every repository
of the installation that has the report file is checked and gets its pinned issue — without waiting for
the groups' next push.

- **Paced**: it never spends more than `share` of the installation's rate limit. Before each repository it
  reads the latest `x-ratelimit-remaining`/`limit`/`reset` of each budget (REST and GraphQL, recorded by
  the clients' response hook) and, when what is left would drop below `(1 - share) × limit` after one more
  repository (the costliest repository so far, in requests), it sleeps until the window resets.
- **Resumable**: repositories are walked by ascending id and the last one done is stored
  (`bot.store.backfill`), so a restart (the queue runs the job again) carries on where it stopped.
- **One per installation**: the job's key is `backfill:<installation>`; the queue holds at most one
  waiting and one running job per key, and a new event while it runs just queues one more pass, which
  finds nothing left to do (a finished backfill starts again from the top only for `added` events).
- It stops at once when the installation is deleted meanwhile.

May import: github, queue, store, report (never web or cli)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.github.fetch import NotFound
from bot.github.ratelimit import RateBook
from bot.github.replies import Place
from bot.jobs.check import check_branch
from bot.jobs.context import Bot
from bot.jobs.overview import schedule
from bot.jobs.read import read_head
from bot.queue import Job
from bot.store import backfill as progress

log = logging.getLogger(__name__)
FIRST_COST_GUESS = 25
"""Requests one repository may cost before any has been measured (a check with a new pinned issue)."""
PER_PAGE = 100


@dataclass
class Pacer:
    """Keeps the installation's spending within `share` of each rate-limit budget."""

    book: RateBook
    installation_id: int
    share: float
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    cost: int = FIRST_COST_GUESS
    waited: float = 0.0

    measured: bool = False

    def spent(self) -> dict[str, tuple[float, int]]:
        """(window reset, remaining) per budget, to measure what one repository cost."""
        return {res: (st.reset, st.remaining) for res, st in self.book.budgets(self.installation_id).items()}

    def measure(self, before: dict[str, tuple[float, int]]) -> None:
        """What one repository cost since `before` (summed over budgets); the margin is the largest."""
        cost = 0
        for res, (reset, remaining) in self.spent().items():
            old = before.get(res)
            if old is not None and old[0] == reset:
                cost += max(old[1] - remaining, 0)
        if cost > 0:
            self.cost = max(self.cost, cost) if self.measured else cost
            self.measured = True

    async def wait_for_budget(self) -> None:
        """Sleep until every budget can pay one more repository without dropping below its floor."""
        while True:
            late = 0.0
            for state in self.book.budgets(self.installation_id).values():
                floor = state.limit * (1 - self.share)
                if state.remaining - self.cost < floor:
                    late = max(late, state.reset - time.time() + 1.0)
            if late <= 0:
                return
            log.info(
                "backfill of installation %d: pausing %.0f s to stay within %.0f%% of its rate limit",
                self.installation_id,
                late,
                self.share * 100,
            )
            self.waited += late
            await self.sleep(late)


async def list_repositories(bot: Bot, installation_id: int) -> list[dict[str, Any]]:
    """Every repository the installation can see (all pages), by ascending id."""
    gh = bot.app.installation(installation_id)
    found: dict[int, dict[str, Any]] = {}
    page = 1
    while True:
        resp = await gh.arequest(
            "GET", "/installation/repositories", params={"per_page": PER_PAGE, "page": page}
        )
        data = resp.json()
        repos = data.get("repositories") or []
        for r in repos:
            found[int(r["id"])] = r
        if len(repos) < PER_PAGE or len(found) >= int(data.get("total_count", 0)):
            break
        page += 1
    return [found[k] for k in sorted(found)]


async def backfill_job(bot: Bot, job: Job) -> None:
    inst = int(job.payload["installation_id"])
    if bot.store.get_installation(inst) is None:
        log.info("backfill of installation %d: it is gone, nothing to do", inst)
        return
    engine = bot.store.engine
    state = await asyncio.to_thread(progress.start, engine, inst, restart=bool(job.payload.get("restart")))
    if state.state == "done":
        return
    repos = await list_repositories(bot, inst)
    for r in repos:
        await asyncio.to_thread(
            bot.store.upsert_repository,
            int(r["id"]),
            inst,
            str(r["full_name"]),
            str(r.get("default_branch") or ""),
        )
    pacer = Pacer(bot.app.ratelimits, inst, bot.backfill_share)
    for r in repos:
        repo_id = int(r["id"])
        if repo_id <= state.cursor:
            continue
        if await asyncio.to_thread(bot.store.get_installation, inst) is None:
            log.info("backfill of installation %d: uninstalled meanwhile, stopping", inst)
            return
        await pacer.wait_for_budget()
        before = pacer.spent()
        had_report = await _one(bot, inst, r)
        pacer.measure(before)
        await asyncio.to_thread(
            progress.advance, engine, inst, repo_id, checked=had_report, repositories=len(repos)
        )
    await asyncio.to_thread(progress.finish, engine, inst)
    if repos:
        await schedule(bot, inst, str(repos[0]["owner"]["login"]))  # the overview, once more at the end
    done = progress.get(engine, inst)
    log.info(
        "backfill of installation %d done: %d repositories, %d checked, %d without a report (waited %.0f s)",
        inst,
        len(repos),
        done.checked if done else 0,
        done.skipped if done else 0,
        pacer.waited,
    )


async def _one(bot: Bot, inst: int, r: dict[str, Any]) -> bool:
    """Check one repository when it has the report file; True when it did."""
    if r.get("archived") or r.get("disabled"):
        return False
    owner, name = str(r["owner"]["login"]), str(r["name"])
    branch = str(r.get("default_branch") or "main")
    p = Place(bot.app, bot.app.installation(inst), inst, owner, name, bot.store, True)
    try:
        _reader, head, _loaded = await read_head(bot, p, f"refs/heads/{branch}")
    except NotFound:
        return False  # an empty repository, or one that went away
    if head.report is None:
        return False
    await check_branch(bot, p, branch)
    return True
