"""`create_app`: the FastAPI application of one web process: the webhook, health, and extra routers
(the artifact pages). No GitHub call and no checking happen in the web process's event loop."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from bot.web.status import status_router
from bot.web.webhook import WebhookContext, webhook_router


def create_app(ctx: WebhookContext, *, extra_routers: list[Any] | None = None) -> FastAPI:
    app = FastAPI(title="report-bot", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(webhook_router(ctx))
    app.include_router(status_router(ctx.queue))
    for router in extra_routers or []:
        app.include_router(router)
    return app
