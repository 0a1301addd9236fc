"""What `serve` and `worker` build alike from settings: settings themselves, the queue, the GitHub App client
and the job context (`Bot`), so that both run the same job bodies with the same knobs."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.errors import BadInput

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from bot.artifacts import LocalArtifactStore
    from bot.github.client import GitHubApp
    from bot.jobs import Bot
    from bot.queue import Queue
    from bot.settings import Settings
    from bot.store import Store
    from bot.web.metrics import Metrics


def load_settings() -> Settings:
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"REPORT_BOT_{str(first['loc'][0]).upper()}: {first['msg']}") from None


def is_postgres(settings: Settings) -> bool:
    return settings.database_url.startswith("postgresql")


def make_queue(settings: Settings, engine: Engine) -> Queue:
    """PostgreSQL: procrastinate; SQLite: the embedded queue."""
    from bot.queue import open_queue

    return open_queue(
        engine,
        max_attempts=settings.max_attempts,
        retry_base=settings.retry_base_seconds,
        retry_max=settings.retry_max_seconds,
        lease_seconds=settings.job_lease_seconds,
    )


def write_lease(request_timeout: float) -> float:
    """How long the write slot of a process that died mid-write stays taken (seconds)."""
    return 2 * request_timeout + 5


def github_app_factory(
    settings: Settings, metrics: Metrics, engine: Engine
) -> Callable[[int, str], GitHubApp]:
    """The App client's maker; every client it makes shares ONE write pacer (on PostgreSQL, the pacing holds
    across every process of the database: `bot.queue.make_pacer`)."""
    from bot.github.client import GitHubApp
    from bot.queue import make_pacer

    # A write is one request: a process killed in the middle of one frees the installation's slot once that
    # request would have timed out (twice, for a token fetched on the way), not a minute later.
    pacer = make_pacer(
        engine,
        settings.writes_per_minute,
        settings.writes_per_hour,
        settings.write_interval_seconds,
        lease=write_lease(settings.request_timeout_seconds),
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

    return github_app


def make_bot(
    settings: Settings, gh: GitHubApp, store: Store, artifacts: LocalArtifactStore, queue: Queue
) -> Bot:
    from bot.jobs import Bot, cpu

    cpu.configure(settings.check_processes, settings.check_time_budget_seconds)
    return Bot(
        gh,
        store,
        public_url=settings.public_url,
        artifacts=artifacts,
        artifact_ttl=timedelta(hours=settings.artifact_ttl_hours),
        render_limit=settings.render_limit_per_hour,
        render_limits=settings.render_limits(),
        max_attempts=settings.max_attempts,
        backfill_share=settings.backfill_rate_share,
        evidence_max_blobs=settings.evidence_max_blobs,
        queue=queue,
    )
