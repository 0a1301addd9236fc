"""`report-bot serve`: the webhook server, with the job worker in the same process.

SQLite (the embedded deployment): always with its worker. PostgreSQL: the web only (it verifies, records and
defers; `report-bot worker` processes run the jobs), unless `--with-worker` (one machine)."""

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
    from bot.cli.wiring import load_settings
    from bot.settings import missing_for_serve

    settings = load_settings()
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

    with_worker = bool(getattr(args, "with_worker", False))
    app = build_app(settings, key or "", insecure_no_secret=args.insecure_no_secret, with_worker=with_worker)
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
    with_worker: bool = False,
) -> FastAPI:
    """The FastAPI app with its store, artifact store and (SQLite, or `with_worker`) its worker, wired from
    settings. Without an App (`needs_setup`), it serves the setup page and becomes the App it registers,
    without a restart."""
    from bot.artifacts import LocalArtifactStore
    from bot.cli.startup import check_app, open_database
    from bot.cli.wiring import github_app_factory, is_postgres, make_bot, make_queue
    from bot.jobs import cpu, handle
    from bot.store import Store, utcnow
    from bot.web import WebhookContext, create_app
    from bot.web.artifacts import artifact_router, sweep_forever
    from bot.web.intake import BodyBudget
    from bot.web.metrics import Metrics
    from bot.web.status import StatusSources

    engine = open_database(settings.database_url)
    store = Store(engine)
    queue = make_queue(settings, engine)
    run_worker = with_worker or not is_postgres(settings)
    artifacts = LocalArtifactStore(settings.artifact_dir, settings.public_url)
    metrics = Metrics()
    github_app = github_app_factory(settings, metrics, engine)
    gh = github_app(settings.app_id or 0, private_key)
    if identity is None and not needs_setup(settings):
        identity = check_app(gh, settings.public_url)  # a refused App id or key stops the start here
    bot = make_bot(settings, gh, store, artifacts, queue)
    secret = None
    setup = needs_setup(settings)
    if setup:
        secret = secrets.token_hex(32)  # nobody can sign a delivery until the App exists
    elif not insecure_no_secret:
        assert settings.webhook_secret is not None  # missing_for_serve refused to start without it
        secret = settings.webhook_secret.get_secret_value()
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
        recovered = await asyncio.to_thread(queue.recover) if run_worker else 0
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
            asyncio.create_task(sweep_forever(artifacts, 600, stop)),
            asyncio.create_task(housekeeping()),
        ]
        if run_worker:
            job_handler = metrics.timed(functools.partial(handle, bot))
            tasks.append(
                asyncio.create_task(
                    queue.run(
                        job_handler,
                        stop,
                        concurrency=settings.worker_concurrency,
                        per_installation=settings.installation_concurrency,
                        shutdown_grace=settings.worker_shutdown_grace_seconds,
                    )
                )
            )
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
