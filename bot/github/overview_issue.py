"""The live class overview: ONE issue in the repository the organisation's config names, its body edited in
place (never a comment per change), found again by its stored number or a hidden marker (as the pinned
report issue is: a crash or a fresh database never makes a second one)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from githubkit.exception import RequestFailed

from bot.github.replies import Place

log = logging.getLogger(__name__)
OVERVIEW_MARKER = "<!-- report-bot:class-overview -->"
SCOPE = "overview"


async def _find(p: Place) -> int | None:
    pages: AsyncIterator[Any] = aiter(
        p.gh.rest.paginate(
            p.gh.rest.issues.async_list_for_repo, owner=p.owner, repo=p.repo, state="all", per_page=100
        )
    )
    async for issue in pages:
        if issue.pull_request or not issue.body or OVERVIEW_MARKER not in issue.body:
            continue
        if issue.user is not None and issue.user.type == "Bot":
            return int(issue.number)
    return None


async def upsert_overview_issue(p: Place, title: str, body: str) -> tuple[int, bool]:
    """Edit (or make) the overview issue; (number, created)."""
    body = f"{OVERVIEW_MARKER}\n{body}"
    stored = p.store.get_reply(p.full_name, "issue", SCOPE)
    number = stored.number if stored is not None else await _find(p)
    if number is not None:
        try:
            async with p.app.write(p.installation_id):
                await p.gh.rest.issues.async_update(p.owner, p.repo, number, body=body)
            if stored is None:
                p.store.set_reply(p.full_name, "issue", SCOPE, number, number=number)
            return number, False
        except RequestFailed as exc:
            if exc.response.status_code not in (404, 410):
                raise
            log.info("overview issue #%s of %s is gone: making a new one", number, p.full_name)
            p.store.delete_reply(p.full_name, "issue", SCOPE)
    async with p.app.write(p.installation_id):
        created = (await p.gh.rest.issues.async_create(p.owner, p.repo, title=title, body=body)).parsed_data
    p.store.set_reply(p.full_name, "issue", SCOPE, created.id, number=created.number, node_id=created.node_id)
    return created.number, True
