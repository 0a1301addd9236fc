"""`Bot`: what every job needs — the GitHub App's clients, the store, the artifact store, caches — and the
few things all jobs do with them (one place's writer lock, the place of a job, the repository's config).

May import: github, queue, store, artifacts, report (never web or cli, never another jobs module)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.artifacts import ArtifactStore
from bot.github import config as config_mod
from bot.github.client import GitHubApp
from bot.github.config import BotConfig, LoadedConfig
from bot.github.fetch import BlobCache, Head, RepoReader
from bot.github.permissions import PermissionCache
from bot.github.replies import Place
from bot.queue import Job, Queue
from bot.report.render import RenderLimits
from bot.store import Store, utcnow
from bot.store.locks import place_lock

ORG_CONFIG_TTL = 300.0


class JobFailed(Exception):
    """A job that cannot succeed (bad input, missing repository): fails at once with this reason."""


@dataclass
class Bot:
    """Everything a job needs: GitHub clients, the store, caches."""

    app: GitHubApp
    store: Store
    public_url: str = "http://localhost:8000"
    artifacts: ArtifactStore | None = None
    """Where `/report html` keeps rendered pages (None: rendering is not set up)."""
    artifact_ttl: timedelta = timedelta(hours=72)
    render_limit: int = 20
    """`/report html` renders per repository and hour, unless the repository's config says otherwise."""
    render_limits: RenderLimits = field(default_factory=RenderLimits)
    """Hard limits of a rendered page (report size, images, page size)."""
    max_attempts: int = 6
    """The queue's attempts per job: a command answers on its last one even when GitHub keeps failing."""
    backfill_share: float = 0.5
    """The share of an installation's rate limit an org-wide backfill may spend (REPORT_BOT_BACKFILL_RATE_SHARE)."""
    clock: Callable[[], datetime] = utcnow
    """Now (the deadline's countdown, the overview issue's pace): injectable in tests."""
    evidence_max_blobs: int = 20
    """Files whose text one check reads at most for the checklist's evidence (REPORT_BOT_EVIDENCE_MAX_BLOBS)."""
    queue: Queue | None = None
    """Where job bodies queue follow-up jobs (`enqueue_async(..., delay=)`), the same queue that runs them
    (embedded or procrastinate); None when a job runs alone (tests)."""
    blobs: BlobCache = field(default_factory=BlobCache)
    permissions: PermissionCache = field(default_factory=PermissionCache)
    _org_configs: dict[str, tuple[float, str | None]] = field(default_factory=dict)
    _report_paths: dict[str, str] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock(self, key: str) -> asyncio.Lock:
        """One lock per key (e.g. a repository's pinned issue) for the jobs of this process."""
        found = self._locks.get(key)
        if found is None:
            found = self._locks[key] = asyncio.Lock()
        return found

    @asynccontextmanager
    async def exclusive(self, key: str) -> AsyncIterator[None]:
        """One writer for `key` in this process and, on PostgreSQL, across replicas."""
        async with self.lock(key), place_lock(self.store.engine, key):
            yield

    def report_path(self, full_name: str) -> str:
        """The report's path in a repository, as its config last said."""
        return self._report_paths.get(full_name, BotConfig().report_path)

    def remember_report_path(self, full_name: str, path: str) -> None:
        self._report_paths[full_name] = path

    def report_dir(self, full_name: str) -> str:
        """The report's folder in a repository, as its config last said (the web layer filters pushes by it)."""
        return self.report_path(full_name).rpartition("/")[0]

    def place(self, job: Job) -> Place:
        p = job.payload
        gh = self.app.installation(int(p["installation_id"]))
        return Place(
            self.app, gh, int(p["installation_id"]), p["owner"], p["repo"], self.store, job.attempts > 1
        )

    async def org_config(self, reader: RepoReader, owner: str, repo: str, path: str) -> str | None:
        """A config file of another repository (the owner's `.github`, or an `_extends` target), cached."""
        key = f"{owner}/{repo}:{path}"
        hit = self._org_configs.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < ORG_CONFIG_TTL:
            return hit[1]
        text = await reader.file_on_default_branch(owner, repo, path)
        self._org_configs[key] = (now, text)
        return text

    async def load_config(self, reader: RepoReader, head: Head) -> LoadedConfig:
        own = (reader.owner, reader.repo, config_mod.CONFIG_PATH)

        async def fetch(owner: str, repo: str, path: str) -> str | None:
            if (owner, repo, path) == own:
                return head.config
            return await self.org_config(reader, owner, repo, path)

        return await config_mod.load(reader.owner, reader.repo, fetch)
