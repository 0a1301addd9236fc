"""`POST /webhook`: the one route GitHub calls.

A delivery is verified (constant time), recorded (a redelivery is answered 200 and dropped), turned into
jobs and enqueued; the answer is 202 in milliseconds. No GitHub call and no checking happen here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from githubkit import webhooks

from bot.github import installations
from bot.github.events import decide
from bot.queue import JobQueue
from bot.store import Store

log = logging.getLogger(__name__)
MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB


@dataclass
class WebhookContext:
    store: Store
    queue: JobQueue
    secret: str | None
    """None only with --insecure-no-secret (local experiments)."""
    report_dir: Callable[[str], str] = lambda _full_name: "reports"


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY (checked before and while reading)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _verified(secret: str | None, body: bytes, signature: str | None) -> bool:
    if secret is None:
        return True
    if not signature or not signature.startswith("sha256="):
        return False  # only X-Hub-Signature-256: never fall back to SHA-1
    return webhooks.verify(secret, body, signature)


def webhook_router(ctx: WebhookContext) -> APIRouter:
    router = APIRouter()

    @router.post("/webhook", include_in_schema=False)
    async def webhook(request: Request) -> JSONResponse:
        body = await _read_body(request)
        if body is None:
            return _answer(413, "payload too large")
        if not _verified(ctx.secret, body, request.headers.get("x-hub-signature-256")):
            return _answer(401, "bad or missing X-Hub-Signature-256")
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _answer(400, "the body is not JSON")
        if not isinstance(payload, dict) or not event or not delivery or len(delivery) > 100:
            return _answer(400, "not a GitHub webhook delivery")
        action = payload.get("action") if isinstance(payload.get("action"), str) else None
        if event == "ping":
            log.info("delivery %s: ping from hook %s", delivery, payload.get("hook_id"))
            return _answer(200, "pong")
        if not await asyncio.to_thread(ctx.store.record_delivery, delivery, event, action):
            return _answer(200, "delivery seen before")
        try:
            repo = payload.get("repository") or {}
            full_name = str(repo.get("full_name", "")) if isinstance(repo, dict) else ""
            await asyncio.to_thread(installations.apply, ctx.store, event, payload)
            jobs = decide(event, payload, ctx.report_dir(full_name))
            for job in jobs:
                await ctx.queue.enqueue_async(job.kind, job.key, job.payload, job.installation_id)
        except Exception:
            # Nothing may be lost: forget the delivery so that GitHub's redelivery is not ignored.
            await asyncio.to_thread(ctx.store.forget_delivery, delivery)
            log.exception("could not enqueue delivery %s (%s)", delivery, event)
            return _answer(500, "could not enqueue; redeliver later")
        log.info("delivery %s: %s%s -> %d job(s)", delivery, event, f".{action}" if action else "", len(jobs))
        return _answer(202, f"{len(jobs)} job(s) queued")

    return router
