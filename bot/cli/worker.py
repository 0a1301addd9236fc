"""`report-bot worker [--concurrency N]`: procrastinate workers on PostgreSQL running the job bodies
(`bot.jobs.handle`, the same as `serve`'s embedded worker) until SIGTERM or SIGINT. Running jobs then get
REPORT_BOT_WORKER_SHUTDOWN_GRACE_SECONDS to finish; the rest are given back to the queue."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import signal
from typing import TYPE_CHECKING

from bot.errors import BadInput

if TYPE_CHECKING:
    from bot.jobs import Bot
    from bot.queue import Queue
    from bot.settings import Settings
    from bot.web.metrics import Metrics

log = logging.getLogger("bot.cli.worker")


def run_worker(args: argparse.Namespace) -> int:
    from bot.cli.wiring import is_postgres, load_settings
    from bot.settings import missing_for_serve

    settings = load_settings()
    if not is_postgres(settings):
        raise BadInput(
            "needs PostgreSQL (REPORT_BOT_DATABASE_URL=postgresql://...); with SQLite, "
            "`report-bot serve` runs the jobs itself"
        )
    missing = missing_for_serve(settings, insecure_no_secret=True)  # a worker never sees a webhook
    if missing:
        raise BadInput("missing settings: " + ", ".join(missing) + " (environment variables, or a .env file)")
    concurrency = args.concurrency or settings.worker_concurrency
    if concurrency < 1:
        raise BadInput("--concurrency must be at least 1")
    try:
        key = settings.private_key_pem()
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if key is None:
        raise BadInput("missing settings: REPORT_BOT_PRIVATE_KEY or REPORT_BOT_PRIVATE_KEY_PATH")
    from bot.artifacts import LocalArtifactStore
    from bot.cli.startup import check_app, configure_logging, open_database, safe_url
    from bot.cli.wiring import github_app_factory, make_bot, make_queue
    from bot.github.client import CredentialsError, check_private_key
    from bot.store import Store
    from bot.web.metrics import Metrics

    try:
        check_private_key(key)
    except CredentialsError as exc:
        raise BadInput(str(exc)) from None
    configure_logging(settings.log_level)
    engine = open_database(settings.database_url)
    store = Store(engine)
    queue = make_queue(settings, engine)
    metrics = Metrics()
    assert settings.app_id is not None  # missing_for_serve
    gh = github_app_factory(settings, metrics, engine)(settings.app_id, key)
    check_app(gh, settings.public_url)  # a refused App id or key stops the start here
    artifacts = LocalArtifactStore(settings.artifact_dir, settings.public_url)
    bot = make_bot(settings, gh, store, artifacts, queue)
    log.info(
        "report-bot worker: %d job(s) at once, database %s", concurrency, safe_url(settings.database_url)
    )
    asyncio.run(work(queue, bot, settings, concurrency, metrics, health=(args.host, args.port)))
    return 0


async def work(
    queue: Queue,
    bot: Bot,
    settings: Settings,
    concurrency: int,
    metrics: Metrics,
    *,
    health: tuple[str, int | None] = ("127.0.0.1", None),
) -> None:
    """Run the queue's worker until SIGTERM/SIGINT; then let running jobs finish (or give them back). With a
    health port, `GET /healthz` answers there meanwhile."""
    from bot.cli.worker_health import serve_health
    from bot.jobs import cpu, handle

    host, port = health
    server = None if port is None else await serve_health(host, port, queue.counts)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await queue.run(
            metrics.timed(functools.partial(handle, bot)),
            stop,
            concurrency=concurrency,
            per_installation=settings.installation_concurrency,
            shutdown_grace=settings.worker_shutdown_grace_seconds,
        )
    finally:
        if server is not None:
            server.close()
        cpu.pool().close()
        log.info("report-bot worker stopped")
