"""`GET /` (the status page, or the setup page while the server has no App) and `GET /healthz`.

The status page has no login, so it shows counts only — the App's name and slug, installations,
repositories, queue depth, deliveries of the last hour by outcome, the rate limit left per installation —
and never a repository's name (they may be private). `/healthz` is 200 when the database and the queue
answer, 503 when not."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select

from bot.github.ratelimit import RateBook
from bot.queue import Queue
from bot.store import Store
from bot.store.models import InstallationRecord, RepositoryRecord
from bot.web.metrics import Metrics
from bot.web.setup import PAGE_CSP, SetupFlow, setup_page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppIdentity:
    app_id: int
    name: str
    slug: str
    html_url: str


@dataclass
class StatusSources:
    """What the status page reads; `identity` is set at start (or by the setup flow)."""

    store: Store
    queue: Queue
    metrics: Metrics | None = None
    identity: AppIdentity | None = None
    rates: Callable[[], RateBook | None] = lambda: None
    setup: SetupFlow | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def _counts(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        installs = conn.execute(
            select(InstallationRecord.id, InstallationRecord.account_login, InstallationRecord.suspended_at)
        ).all()
        repos = conn.execute(select(func.count()).select_from(RepositoryRecord)).scalar_one()
    return {
        "installations": [(int(i), str(login), s is not None) for i, login, s in installs],
        "repos": repos,
    }


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in pairs)


def _status_page(src: StatusSources, counts: dict[str, Any], queue: dict[str, int]) -> HTMLResponse:
    ident = src.identity
    app_line = (
        f'<a href="{html.escape(ident.html_url, quote=True)}">{html.escape(ident.name)}</a> '
        f"(<code>{html.escape(ident.slug)}</code>, id {ident.app_id})"
        if ident
        else "unknown"
    )
    rates = src.rates()
    inst_rows = []
    for inst_id, login, suspended in counts["installations"]:
        state = rates.get(inst_id) if rates else None
        left = f"{state.remaining} of {state.limit}" if state else "no request yet"
        inst_rows.append((f"{login or inst_id}{' (suspended)' if suspended else ''}", left))
    hour = src.metrics.last_hour() if src.metrics else {}
    body = (
        f"<p>GitHub App: {app_line}</p>"
        "<h2>Counts</h2><table>"
        + _rows(
            [
                ("installations", str(len(counts["installations"]))),
                ("repositories", str(counts["repos"])),
                *((f"jobs {k}", str(v)) for k, v in sorted(queue.items())),
            ]
        )
        + "</table><h2>Deliveries of the last hour</h2><table>"
        + (_rows([(k, str(v)) for k, v in sorted(hour.items())]) or "<tr><td>none</td></tr>")
        + "</table><h2>Rate limit left per installation</h2><table>"
        + (_rows(inst_rows) or "<tr><td>no installation yet</td></tr>")
        + "</table><p><a href=/metrics>/metrics</a> · <a href=/healthz>/healthz</a></p>"
    )
    doc = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>report-bot status</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}"
        "th{text-align:left;padding-right:2rem;font-weight:normal}td{font-variant-numeric:tabular-nums}"
        "</style></head><body><h1>report-bot</h1>" + body + "</body></html>"
    )
    return HTMLResponse(doc, headers={"content-security-policy": PAGE_CSP})


def status_router(src: StatusSources) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        try:
            counts = await asyncio.to_thread(src.queue.counts)
            await asyncio.to_thread(_counts, src.store)
        except Exception as exc:  # the database is down or unreadable
            log.warning("health check failed: %s", type(exc).__name__)
            return JSONResponse({"ok": False, "error": type(exc).__name__}, status_code=503)
        return JSONResponse({"ok": True, "jobs": counts, "set_up": src.identity is not None})

    @router.get("/", include_in_schema=False)
    async def index() -> Response:
        if src.identity is None and src.setup is not None:
            return setup_page(src.setup)
        counts = await asyncio.to_thread(_counts, src.store)
        queue = await asyncio.to_thread(src.queue.counts)
        return _status_page(src, counts, queue)

    return router
