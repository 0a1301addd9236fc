"""`/report html`: render the checked commit's page (images from that commit only), store it behind a
capability link, point the check run at it, and answer with the link."""

from __future__ import annotations

import asyncio
from functools import partial

from bot.commands.texts import RENDER_WINDOW, Outcome, html_text, render_limit_text
from bot.github.config import LoadedConfig
from bot.github.fetch import RepoReader
from bot.github.replies import Place, set_details_url
from bot.jobs import cpu
from bot.jobs.check import post_check_run
from bot.jobs.context import Bot
from bot.jobs.conversation import Asked, RefMissing, missing_ref, post, read_ref
from bot.jobs.read import Checked, read_and_check
from bot.report import feedback
from bot.report.images import links, resolve
from bot.report.render import RenderedPage, RenderError
from bot.store import utcnow


async def html(bot: Bot, a: Asked, ref: str | None, loaded: LoadedConfig) -> Outcome:
    p = a.place
    store = bot.artifacts
    if store is None:
        return await post(a, "😕 Rendering pages is not set up on this server. Tell your teacher.", "failed")
    cfg = loaded.config
    limit = cfg.renders_per_hour if cfg.renders_per_hour is not None else bot.render_limit
    async with bot.exclusive(f"render:{p.full_name}".lower()):
        now = utcnow()
        used = p.store.count_renders(p.full_name, now - RENDER_WINDOW)
        if used >= limit:
            oldest = p.store.oldest_render_since(p.full_name, now - RENDER_WINDOW)
            return await post(a, render_limit_text(limit, oldest, now), "failed")
        on_pr_head = ref is None and a.pr
        try:
            if on_pr_head:
                checked = await read_and_check(bot, p, f"refs/pull/{a.number}/head", a.number, force=True)
            elif ref is None:
                checked = await read_and_check(bot, p, f"refs/heads/{a.default_branch}")
            else:
                checked = await read_ref(bot, p, ref)
        except RefMissing:
            assert ref is not None
            return await missing_ref(a, "html", ref)
        if checked.verdict is None:
            return await post(a, f"😕 There is nothing to render.\n\n{checked.body}", "failed")
        try:
            page = await render_checked(bot, p, checked)
        except RenderError as exc:
            text = (
                f"😕 The page could not be rendered: {feedback.escape(str(exc))}.\n\nMake the report or its "
                "images smaller (the limit is named above), push, and ask again."
            )
            return await post(a, text, "failed")
        except cpu.OutOfTime:
            text = (
                f"⏱️ The page could not be rendered within {cpu.pool().budget:.0f} s, so the bot stopped. "
                "Look for very long lines or thousands of repeated characters in the report, remove them, "
                "push, and ask again."
            )
            return await post(a, text, "failed")
        filename = f"{p.repo}-{checked.head.sha[:7]}.html"
        artifact = await asyncio.to_thread(
            partial(store.put, repo=p.full_name),
            page.html.encode("utf-8"),
            filename,
            "text/html; charset=utf-8",
            bot.artifact_ttl,
        )
        p.store.record_render(p.full_name)
    if on_pr_head and checked.config.config.check_runs:
        run = p.store.get_reply(p.full_name, "check_run", f"sha:{checked.head.sha}")
        if run is not None:
            await set_details_url(p, run.github_id, artifact.url)
        else:
            await post_check_run(bot, p, checked, details_url=artifact.url)
    assert checked.verdict is not None
    text = html_text(
        checked.verdict,
        checked.head.sha,
        artifact.url,
        artifact.expires_at,
        utcnow(),
        ref,
        renders_left=max(0, limit - used - 1),
    )
    return await post(a, text, "ok")


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
        page, missed = await cpu.pool().run(
            cpu.render_snapshot,
            report_text,
            fetched,
            snapshot.files,
            v,
            report_dir,
            head.sha,
            p.full_name,
            limits,
        )
        before = len(fetched)
        await fetch(missed)
        if len(fetched) == before:
            return page
