"""Database fixtures for the store and queue tests: every test runs on SQLite and on PostgreSQL.

- `db_url` / `engine`: an initialised database with empty tables. SQLite: a new file per test. PostgreSQL: one
  schema per test session (created, initialised once, dropped at the end), its tables emptied before each test.
- `fresh_db_url`: an empty database (no tables): a new SQLite file, or a new PostgreSQL schema per test.

PostgreSQL variants skip when it is absent (and fail with REPORT_BOT_REQUIRE_POSTGRES=1, see conftest.py);
schemas have random names, so concurrent runs never see each other's rows.
Use: `from db_backends import *  # noqa: F403` (every fixture, with its helper `pg_session_url`), then ask for
`db_url`, `engine` or `fresh_db_url`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot.store import init_db, make_engine
from bot.store.models import Base

__all__ = [
    "db_url_fixture",
    "engine_fixture",
    "fresh_db_url_fixture",
    "pg_session_url_fixture",
]

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _pg_admin_dsn(url: str) -> str:
    u = make_url(url)
    parts = [f"host={u.host or '127.0.0.1'}", f"port={u.port or 5432}", f"user={u.username or 'postgres'}"]
    parts.append(f"dbname={u.database or 'postgres'}")
    if u.password:
        parts.append(f"password={u.password}")
    return " ".join(parts)


@contextmanager
def _pg_schema(base_url: str) -> Iterator[str]:
    """A new schema; yields a URL whose connections use it; drops it afterwards."""
    schema = f"rb_test_{uuid.uuid4().hex[:12]}"
    dsn = _pg_admin_dsn(base_url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(name="pg_session_url", scope="session")
def pg_session_url_fixture(postgres_url: str) -> Iterator[str]:
    with _pg_schema(postgres_url) as url:
        eng = make_engine(url)
        try:
            init_db(eng)
        finally:
            eng.dispose()
        yield url


@pytest.fixture(name="fresh_db_url", params=BACKENDS)
def fresh_db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'bot.db'}"
        return
    with _pg_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture(name="db_url", params=BACKENDS)
def db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db' / 'bot.db'}"
        eng = make_engine(url)
        init_db(eng)
        eng.dispose()
        return url
    url = request.getfixturevalue("pg_session_url")
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "schema_version")
    eng = make_engine(url)
    try:
        with eng.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        eng.dispose()
    return str(url)


@pytest.fixture(name="engine")
def engine_fixture(db_url: str) -> Iterator[Engine]:
    """An engine on `db_url` (initialised, empty tables)."""
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()
