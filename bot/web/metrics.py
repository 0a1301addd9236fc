"""`GET /metrics` (Prometheus text, `prometheus_client`) and the counts the status page shows.

One `Metrics` per process, on its own registry (tests build many apps). Deliveries are counted by an ASGI
middleware around `POST /webhook` (event and outcome, read from the answer's status: nothing in the
webhook's own code), jobs by a wrapper around the job handler (kind, outcome, duration), GitHub requests by
the clients' response hook (endpoint group, status); the rate limit per installation and the queue depth
are read when scraped."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client import Counter as PromCounter

from bot.github.ratelimit import RateBook
from bot.queue import Job, RetryLater

WINDOW = 3600.0
DELIVERY_OUTCOMES = {
    202: "queued",
    200: "ignored",  # a ping or a redelivery
    400: "malformed",
    401: "bad_signature",
    413: "too_large",
    500: "error",
    503: "not_set_up",
}


class Metrics:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self.clock = clock
        r = self.registry
        self.deliveries = PromCounter(
            "report_bot_deliveries", "Webhook deliveries", ["event", "outcome"], registry=r
        )
        self.jobs = PromCounter("report_bot_jobs", "Jobs run", ["kind", "outcome"], registry=r)
        self.job_seconds = Histogram(
            "report_bot_job_duration_seconds",
            "Time a job took",
            ["kind"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.github = PromCounter(
            "report_bot_github_requests", "GitHub API answers", ["endpoint", "status"], registry=r
        )
        self.ratelimit = Gauge(
            "report_bot_github_ratelimit_remaining",
            "x-ratelimit-remaining of the latest answer",
            ["installation"],
            registry=r,
        )
        self.queue_depth = Gauge("report_bot_queue_jobs", "Jobs in the queue", ["status"], registry=r)
        self._recent: deque[tuple[float, str]] = deque()

    def delivery(self, event: str, status: int) -> None:
        outcome = DELIVERY_OUTCOMES.get(status, f"http_{status}")
        self.deliveries.labels(event=event or "none", outcome=outcome).inc()
        now = self.clock()
        self._recent.append((now, outcome))
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._recent and now - self._recent[0][0] > WINDOW:
            self._recent.popleft()

    def last_hour(self) -> dict[str, int]:
        """Deliveries of the last hour by outcome."""
        self._trim(self.clock())
        return dict(Counter(outcome for _, outcome in self._recent))

    def github_answer(self, _installation: int | None, group: str, status: int) -> None:
        self.github.labels(endpoint=group, status=str(status)).inc()

    def timed(self, handler: Callable[[Job], Awaitable[None]]) -> Callable[[Job], Awaitable[None]]:
        """The job handler, counting each job by kind and outcome (ok, retry, failed) and timing it."""

        async def run(job: Job) -> None:
            start = time.perf_counter()
            outcome = "failed"
            try:
                await handler(job)
                outcome = "ok"
            except RetryLater:
                outcome = "retry"
                raise
            finally:
                self.jobs.labels(kind=job.kind, outcome=outcome).inc()
                self.job_seconds.labels(kind=job.kind).observe(time.perf_counter() - start)

        return run

    def render(self, queue_counts: dict[str, int], rates: RateBook | None) -> bytes:
        for status in ("waiting", "running", "done", "failed", *queue_counts):
            self.queue_depth.labels(status=status).set(queue_counts.get(status, 0))
        if rates is not None:
            for inst, state in rates.all().items():
                if inst is not None:
                    self.ratelimit.labels(installation=str(inst)).set(state.remaining)
        return generate_latest(self.registry)


class DeliveryCounter:
    """ASGI middleware: counts each `POST /webhook` answer by event (the header) and status."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path") != "/webhook" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        event = headers.get(b"x-github-event", b"").decode("latin-1")[:64]

        async def observe(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                self.metrics.delivery(event, int(message.get("status", 0)))
            await send(message)

        await self.app(scope, receive, observe)


def metrics_router(
    metrics: Metrics, queue_counts: Callable[[], dict[str, int]], rates: Callable[[], RateBook | None]
) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        counts = await asyncio.to_thread(queue_counts)
        return Response(metrics.render(counts, rates()), media_type=CONTENT_TYPE_LATEST)

    return router
