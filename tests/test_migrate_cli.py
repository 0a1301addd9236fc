"""`report-bot migrate`: makes the tables of REPORT_BOT_DATABASE_URL on a fresh database, brings an older
one to the latest schema without losing rows, is harmless run twice, runs the queue backend's own schema
set-up on PostgreSQL when there is one, and says in one line (exit 2) why a database cannot be opened."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from db_backends import *  # noqa: F403 - the fixture `fresh_db_url`
from sqlalchemy import Engine, inspect, select

from bot.cli.main import main
from bot.store import Store, make_engine
from bot.store.migrations import MIGRATIONS, migrate
from bot.store.models import Base, SchemaVersion

LATEST = MIGRATIONS[-1].version


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No REPORT_BOT_* of the caller's shell, and no `.env` of the caller's directory."""
    for name in list(os.environ):
        if name.startswith("REPORT_BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def migrate_cli(monkeypatch: pytest.MonkeyPatch, url: str) -> int:
    monkeypatch.setenv("REPORT_BOT_DATABASE_URL", url)
    return main(["migrate"])


def version_and_tables(engine: Engine) -> tuple[int, set[str]]:
    with engine.connect() as conn:
        version = conn.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar_one()
        return version, set(inspect(conn).get_table_names())


def test_a_fresh_database_gets_every_table_at_the_latest_version(
    fresh_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrate_cli(monkeypatch, fresh_db_url) == 0
    engine = make_engine(fresh_db_url)
    try:
        version, tables = version_and_tables(engine)
    finally:
        engine.dispose()
    assert version == LATEST
    assert set(Base.metadata.tables) <= tables
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and f"schema version {LATEST}" in out[0]


def test_an_older_database_is_upgraded_and_keeps_its_rows(
    fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(fresh_db_url)
    try:
        assert migrate(engine, MIGRATIONS[:1]) == 1  # as a database made before migration 2 was
        Store(engine).upsert_installation(7, "course-org", "Organization")
        assert migrate_cli(monkeypatch, fresh_db_url) == 0
        version, tables = version_and_tables(engine)
        assert version == LATEST and set(Base.metadata.tables) <= tables
        assert migrate_cli(monkeypatch, fresh_db_url) == 0  # a second run changes nothing
        assert version_and_tables(engine)[0] == LATEST
        installation = Store(engine).get_installation(7)
        assert installation is not None and installation.account_login == "course-org"
    finally:
        engine.dispose()


def test_the_queue_tables_are_made_on_postgresql_only(
    fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the queue is procrastinate's: `migrate` makes its tables too (`bot.queue.setup_schema`);
    SQLite has only the embedded job table, part of the store's schema."""
    assert migrate_cli(monkeypatch, fresh_db_url) == 0
    engine = make_engine(fresh_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "jobs" in tables
    assert ("procrastinate_jobs" in tables) == fresh_db_url.startswith("postgresql")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("nosuchdb://x", ["REPORT_BOT_DATABASE_URL", "nosuchdb"]),
        ("not a url at all", ["REPORT_BOT_DATABASE_URL"]),
        ("postgresql://postgres:hunter2@127.0.0.1:9/report", ["REPORT_BOT_DATABASE_URL", "cannot open"]),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_line_and_exit_2(
    tmp_path: Path, url: str, words: list[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_BOT_")}
    env.update(REPORT_BOT_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("report-bot migrate: error: ")
    assert all(word in lines[0] for word in words)
    assert "hunter2" not in lines[0]
