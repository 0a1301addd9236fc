"""`report-bot serve`: the webhook server and the job worker in one process (the embedded deployment)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import BadInput

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import APIRouter, FastAPI

    from bot.github.client import GitHubApp
    from bot.jobs import Bot
    from bot.settings import Settings
    from bot.web import WebhookContext
    from bot.web.status import AppIdentity, StatusSources

MANIFEST = Path(__file__).resolve().parent.parent.parent / "app.yml"


def run_serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.settings import Settings, missing_for_serve

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"REPORT_BOT_{str(first['loc'][0]).upper()}: {first['msg']}") from None
    key: str | None = None
    if not needs_setup(settings):
        missing = missing_for_serve(settings, args.insecure_no_secret)
        if missing:
            raise BadInput(
                "missing settings: " + ", ".join(missing) + " (environment variables, or a .env file)"
            )
        try:
            key = settings.private_key_pem()
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    from bot.cli.startup import configure_logging, safe_url
    from bot.github.client import CredentialsError, check_private_key

    if key is not None:
        try:
            check_private_key(key)
        except CredentialsError as exc:
            raise BadInput(str(exc)) from None
    configure_logging(settings.log_level)
    import uvicorn

    app = build_app(settings, key or "", insecure_no_secret=args.insecure_no_secret)
    logging.getLogger("bot.cli.serve").info(
        "report-bot serve on http://%s:%s, public URL %s, database %s",
        args.host, args.port, settings.public_url, safe_url(settings.database_url),
    )  # fmt: skip
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


def needs_setup(settings: Settings) -> bool:
    """No App at all yet: serve the setup page (the app-manifest flow) instead of refusing to start."""
    return settings.app_id is None and settings.private_key is None and settings.private_key_path is None


def build_app(
    settings: Settings,
    private_key: str,
    *,
    insecure_no_secret: bool = False,
    identity: AppIdentity | None = None,
) -> FastAPI:
    """The FastAPI app with its worker, store and artifact store, wired from settings. Without an App
    (`needs_setup`), it serves the setup page and becomes the App it registers, without a restart."""
    from bot.artifacts import LocalArtifactStore
    from bot.cli.startup import check_app, open_database
    from bot.github.client import GitHubApp
    from bot.jobs import Bot, cpu, handle
    from bot.queue import JobQueue, make_pacer
    from bot.store import Store, utcnow
    from bot.web import WebhookContext, create_app
    from bot.web.artifacts import artifact_router, sweep_forever
    from bot.web.intake import BodyBudget
    from bot.web.metrics import Metrics
    from bot.web.status import StatusSources

    engine = open_database(settings.database_url)
    store = Store(engine)
    queue = JobQueue(
        engine,
        max_attempts=settings.max_attempts,
        retry_base=settings.retry_base_seconds,
        retry_max=settings.retry_max_seconds,
        lease_seconds=settings.job_lease_seconds,
    )
    artifacts = LocalArtifactStore(settings.artifact_dir, settings.public_url)
    metrics = Metrics()
    pacer = make_pacer(
        engine, settings.writes_per_minute, settings.writes_per_hour, settings.write_interval_seconds
    )

    def github_app(app_id: int, key: str) -> GitHubApp:
        return GitHubApp(
            app_id,
            key,
            api_url=settings.github_api_url,
            timeout=settings.request_timeout_seconds,
            pacer=pacer,
            listener=metrics.github_answer,
        )

    gh = github_app(settings.app_id or 0, private_key)
    if identity is None and not needs_setup(settings):
        identity = check_app(gh, settings.public_url)  # a refused App id or key stops the start here
    bot = Bot(
        gh,
        store,
        public_url=settings.public_url,
        artifacts=artifacts,
        artifact_ttl=timedelta(hours=settings.artifact_ttl_hours),
        render_limit=settings.render_limit_per_hour,
        render_limits=settings.render_limits(),
        max_attempts=settings.max_attempts,
        backfill_share=settings.backfill_rate_share,
    )
    secret = None
    setup = needs_setup(settings)
    if setup:
        secret = secrets.token_hex(32)  # nobody can sign a delivery until the App exists
    elif not insecure_no_secret:
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
    status = StatusSources(store, queue, metrics, identity, rates=lambda: bot.app.ratelimits)
    routers = [artifact_router(artifacts)]
    if setup:
        routers.append(_setup_router(settings, status, ctx, bot, github_app))
    app = create_app(ctx, extra_routers=routers, status=status, metrics=metrics)
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
                    metrics.timed(functools.partial(handle, bot)),
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


def _setup_router(
    settings: Settings,
    status: StatusSources,
    ctx: WebhookContext,
    bot: Bot,
    github_app: Callable[[int, str], GitHubApp],
) -> APIRouter:
    """The app-manifest flow; registering switches this process to the new App (clients, webhook secret,
    the status page's identity) without a restart."""
    from bot.web.setup import AppCredentials, SetupFlow, load_manifest, setup_router
    from bot.web.status import AppIdentity

    async def activate(creds: AppCredentials) -> None:
        bot.app = github_app(creds.app_id, creds.pem)
        ctx.secret = creds.webhook_secret
        status.identity = AppIdentity(creds.app_id, creds.name, creds.slug, creds.html_url)
        logging.getLogger("bot.cli.serve").info("now serving as the new GitHub App %s", creds.slug)

    flow = SetupFlow(
        load_manifest(settings.manifest_path or MANIFEST, settings.public_url),
        Path(".env"),
        activate,
        api_url=settings.github_api_url,
        github_url=settings.github_url,
    )
    status.setup = flow
    return setup_router(flow)
