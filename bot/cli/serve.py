"""`report-bot serve`: the webhook server and the job worker in one process (the embedded deployment)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.errors import BadInput

if TYPE_CHECKING:
    from fastapi import FastAPI

    from bot.settings import Settings


def run_serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.settings import Settings, missing_for_serve

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"REPORT_BOT_{str(first['loc'][0]).upper()}: {first['msg']}") from None
    missing = missing_for_serve(settings, args.insecure_no_secret)
    if missing:
        raise BadInput("missing settings: " + ", ".join(missing) + " (environment variables, or a .env file)")
    try:
        key = settings.private_key_pem()
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import uvicorn

    app = build_app(settings, key or "", insecure_no_secret=args.insecure_no_secret)
    from bot.web.http import header_deadline_protocol

    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        http=header_deadline_protocol(settings.webhook_read_timeout_seconds),
    )
    return 0


def build_app(settings: Settings, private_key: str, *, insecure_no_secret: bool = False) -> FastAPI:
    """The FastAPI app with its worker, store and artifact store, wired from settings."""
    from bot.artifacts import LocalArtifactStore
    from bot.github.client import GitHubApp
    from bot.jobs import Bot, cpu, handle
    from bot.queue import JobQueue, WritePacer
    from bot.store import Store, init_db, make_engine, utcnow
    from bot.web import WebhookContext, create_app
    from bot.web.artifacts import artifact_router, sweep_forever
    from bot.web.intake import BodyBudget

    engine = make_engine(settings.database_url)
    init_db(engine)
    store = Store(engine)
    queue = JobQueue(
        engine,
        max_attempts=settings.max_attempts,
        retry_base=settings.retry_base_seconds,
        retry_max=settings.retry_max_seconds,
        lease_seconds=settings.job_lease_seconds,
    )
    artifacts = LocalArtifactStore(settings.artifact_dir, settings.public_url)
    gh = GitHubApp(
        settings.app_id or 0,
        private_key,
        api_url=settings.github_api_url,
        timeout=settings.request_timeout_seconds,
        pacer=WritePacer(settings.write_interval_seconds),
    )
    bot = Bot(
        gh,
        store,
        public_url=settings.public_url,
        artifacts=artifacts,
        artifact_ttl=timedelta(hours=settings.artifact_ttl_hours),
        render_limit=settings.render_limit_per_hour,
        render_limits=settings.render_limits(),
        max_attempts=settings.max_attempts,
    )
    secret = None
    if not insecure_no_secret:
        assert settings.webhook_secret is not None  # missing_for_serve refused to start without it
        secret = settings.webhook_secret.get_secret_value()
    cpu.configure(settings.check_processes, settings.check_time_budget_seconds)
    ctx = WebhookContext(
        store,
        queue,
        secret,
        report_dir=bot.report_dir,
        read_timeout=settings.webhook_read_timeout_seconds,
        budget=BodyBudget(int(settings.webhook_unverified_max_mb * 1024 * 1024)),
    )
    app = create_app(ctx, extra_routers=[artifact_router(artifacts)])
    log = logging.getLogger("bot.cli.serve")

    @contextlib.asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        recovered = await asyncio.to_thread(queue.recover)
        if recovered:
            log.info("%d job(s) left running by a previous process will run again", recovered)
        stop = asyncio.Event()

        async def housekeeping() -> None:
            while not stop.is_set():
                cutoff = utcnow() - timedelta(days=settings.delivery_retention_days)
                await asyncio.to_thread(store.prune_deliveries, cutoff)
                await asyncio.to_thread(queue.prune, cutoff)
                await asyncio.to_thread(store.prune_renders, utcnow() - timedelta(days=1))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=3600)

        tasks = [
            asyncio.create_task(
                queue.run(
                    functools.partial(handle, bot),
                    stop,
                    concurrency=settings.worker_concurrency,
                    per_installation=settings.installation_concurrency,
                )
            ),
            asyncio.create_task(sweep_forever(artifacts, 600, stop)),
            asyncio.create_task(housekeeping()),
        ]
        app.state.bot, app.state.queue, app.state.store = bot, queue, store
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            cpu.pool().close()  # no check process outlives the server

    app.router.lifespan_context = lifespan
    return app
