"""`create_app`: the FastAPI application of one web process: the webhook, `/` and `/healthz`, `/metrics`,
and extra routers (the artifact pages, the setup flow). No GitHub call and no checking happen in the web
process's event loop."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from bot.web.metrics import DeliveryCounter, Metrics, metrics_router
from bot.web.status import StatusSources, status_router
from bot.web.webhook import WebhookContext, webhook_router


def create_app(
    ctx: WebhookContext,
    *,
    extra_routers: list[Any] | None = None,
    status: StatusSources | None = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    app = FastAPI(title="report-bot", docs_url=None, redoc_url=None, openapi_url=None)
    metrics = metrics or (status.metrics if status else None) or Metrics()
    status = status or StatusSources(ctx.store, ctx.queue)
    status.metrics = status.metrics or metrics
    app.include_router(webhook_router(ctx))
    app.include_router(status_router(status))
    app.include_router(metrics_router(metrics, ctx.queue.counts, status.rates))
    for router in extra_routers or []:
        app.include_router(router)
    app.add_middleware(DeliveryCounter, metrics=metrics)
    app.state.metrics, app.state.status = metrics, status
    return app
