"""`GET /healthz`: the process and its queue are reachable (later also `/`, the status page)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from bot.queue import JobQueue


def status_router(queue: JobQueue) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        counts = await asyncio.to_thread(queue.counts)
        return {"ok": True, "jobs": counts}

    return router
