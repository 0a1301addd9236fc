"""A job context (`Bot`) on a fresh SQLite database, talking to the GitHub double, with a clock the test
moves: for tests that run job bodies in-process with time in them (the deadline, the overview's pace)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from github_double import GitHubDouble
from github_double.fixtures import AppKey

from bot.github.client import GitHubApp
from bot.jobs import Bot
from bot.queue import WritePacer
from bot.store import Store, init_db, make_engine


class Clock:
    """Now, as the test sets it (`now = ...`, `advance(seconds)`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@contextmanager
def job_bot(double: GitHubDouble, app_key: AppKey, tmp_path: Path, clock: Clock) -> Iterator[Bot]:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    init_db(engine)
    app = GitHubApp(double.app_id, app_key.private_pem, api_url=double.url, timeout=3, pacer=WritePacer(0))
    try:
        yield Bot(app, Store(engine), clock=clock)
    finally:
        engine.dispose()
