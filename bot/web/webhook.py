"""`POST /webhook`: the one route GitHub calls.

A delivery is verified while it streams in (constant time, at a bounded cost: see `intake`), parsed and
validated against what its event must contain (400 with the reason otherwise), turned into jobs, and
recorded with its jobs in one transaction (a redelivery is answered 200 and dropped); the answer is 202 in
milliseconds. Parsing and comment reading run in a thread, never on the event loop; no GitHub call and no
checking happen here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.github import installations
from bot.github.events import Enqueue, decide
from bot.github.payloads import problem
from bot.queue import Queue
from bot.store import InvalidRecord, Store
from bot.web.intake import MAX_BODY, BodyBudget, Refused, read_verified

__all__ = ["MAX_BODY", "WebhookContext", "accept", "webhook_router"]

log = logging.getLogger(__name__)


@dataclass
class WebhookContext:
    store: Store
    queue: Queue
    secret: str | None
    """None only with --insecure-no-secret (local experiments)."""
    report_dir: Callable[[str], str] = lambda _full_name: "reports"
    read_timeout: float = 15.0
    """Seconds a client has to send the whole body."""
    budget: BodyBudget = field(default_factory=lambda: BodyBudget(64 * 1024 * 1024))
    """Bytes buffered at once by requests whose signature is not checked yet."""
    _writer: threading.Lock = field(default_factory=threading.Lock)
    """SQLite has one writer at a time: threads of this process take turns here instead of in SQLite's
    busy handler (which sleeps up to tens of milliseconds between tries)."""


def _answer(status: int, message: str, retry_after: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"message": message}, status_code=status, headers=headers)


class BadDelivery(ValueError):
    """A signed delivery that is not what GitHub sends for its event (answered 400, nothing stored)."""


def _read(body: bytes, event: str, ctx: WebhookContext) -> tuple[dict[str, Any], list[Enqueue]]:
    """Parse, validate and decide (CPU work: runs in a thread, never on the event loop)."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadDelivery("the body is not JSON") from None
    except (RecursionError, ValueError) as exc:  # 100,000 nested brackets, a 5,000-digit integer
        raise BadDelivery(f"the body cannot be read: {type(exc).__name__}") from None
    reason = problem(event, payload)
    if reason is not None:
        raise BadDelivery(f"not a valid {event} delivery: {reason}")
    repo = payload.get("repository") or {}
    full_name = str(repo.get("full_name") or "") if isinstance(repo, dict) else ""
    return payload, decide(event, payload, ctx.report_dir(full_name))


def accept(
    ctx: WebhookContext,
    delivery: str,
    event: str,
    action: str | None,
    payload: dict[str, Any],
    jobs: list[Enqueue],
) -> bool:
    """Record the delivery, apply installation changes and enqueue its jobs in ONE transaction: a crash at
    any point leaves all of it or none of it. False when the delivery was seen before (nothing changed)."""
    serial = ctx._writer if ctx.store.engine.dialect.name == "sqlite" else contextlib.nullcontext()
    with serial, ctx.store.transaction() as (store, conn):
        if not store.record_delivery(delivery, event, action):
            return False
        gone = installations.removed_repositories(store, event, payload)
        installations.apply(store, event, payload)
        for job in jobs:
            ctx.queue.enqueue_in(conn, job.kind, job.key, job.payload, job.installation_id)
        if gone or (event, action) == ("installation", "deleted"):  # their waiting jobs go too
            deleted = payload["installation"]["id"] if action == "deleted" else None
            ctx.queue.cancel_in(conn, installation_id=deleted, key_prefixes=installations.job_prefixes(gone))
        if gone:  # rendered pages of those repositories live outside the database: a job deletes them
            key, job_payload, inst = installations.forget_job(delivery, gone, payload["installation"]["id"])
            ctx.queue.enqueue_in(conn, "forget", key, job_payload, inst)
    ctx.queue.wake()
    return True


def _read_and_accept(
    ctx: WebhookContext, body: bytes, event: str, delivery: str
) -> tuple[bool, str | None, list[Enqueue]]:
    payload, jobs = _read(body, event, ctx)
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    return accept(ctx, delivery, event, action, payload, jobs), action, jobs


def _hook_id(body: bytes) -> object:
    """The `hook_id` of a (signed) ping, for the log; None when the body is not the JSON it should be."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return payload.get("hook_id") if isinstance(payload, dict) else None


def webhook_router(ctx: WebhookContext) -> APIRouter:
    router = APIRouter()

    @router.post("/webhook", include_in_schema=False)
    async def webhook(request: Request) -> JSONResponse:
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        if not event or not delivery or len(delivery) > 100 or len(event) > 64:
            return _answer(400, "not a GitHub webhook delivery")
        body = await read_verified(request, ctx.secret, ctx.budget, ctx.read_timeout)
        if isinstance(body, Refused):
            return _answer(body.status, body.message, body.retry_after)
        if event == "ping":
            hook = await asyncio.to_thread(_hook_id, body)
            log.info("delivery %s: ping from hook %s", delivery, hook)
            return _answer(200, "pong")
        try:  # one hop to a thread: parsing, validation, comment reading and the transaction
            fresh, action, jobs = await asyncio.to_thread(_read_and_accept, ctx, body, event, delivery)
        except BadDelivery as exc:
            log.info("delivery %s (%s) refused: %s", delivery, event, exc)
            return _answer(400, str(exc))
        except InvalidRecord as exc:
            log.info("delivery %s (%s) refused: %s", delivery, event, exc)
            return _answer(400, f"not a valid {event} delivery: {exc}")
        except Exception:
            # Nothing was stored (one transaction): GitHub's redelivery is handled as new.
            log.exception("could not enqueue delivery %s (%s)", delivery, event)
            return _answer(500, "could not enqueue; redeliver later")
        if not fresh:
            return _answer(200, "delivery seen before")
        log.info("delivery %s: %s%s -> %d job(s)", delivery, event, f".{action}" if action else "", len(jobs))
        return _answer(202, f"{len(jobs)} job(s) queued")

    return router
