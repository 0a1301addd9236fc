"""`setup_schema`: every table of the bot and of its queue, in one step (startup, `report-bot migrate`);
`open_queue`: the backend the database URL asks for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from bot.queue.contract import Queue
from bot.store import init_db, make_engine

_SCHEMA_LOCK = 0x5242_0051  # serialises concurrent setups (two workers starting at once)


def setup_schema(engine_or_url: Engine | str) -> None:
    """Create what is missing: the store's tables (`init_db`) and, on PostgreSQL, procrastinate's tables and
    functions in the connection's schema (its `search_path`). Safe to run from several processes at once."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        init_db(engine)
        if engine.dialect.name == "postgresql":
            _procrastinate_schema(engine)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


def _procrastinate_schema(engine: Engine) -> None:
    from procrastinate.schema import SchemaManager

    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar_one() is not None:
            return
        driver: Any = conn.connection.driver_connection
        driver.execute(SchemaManager.get_schema())  # no parameters: psycopg leaves its % signs alone


def open_queue(
    engine: Engine,
    *,
    max_attempts: int = 6,
    retry_base: float = 2.0,
    retry_max: float = 600.0,
    lease_seconds: float = 60.0,
) -> Queue:
    """PostgreSQL: procrastinate (`ProcrastinateQueue`); SQLite: the embedded `JobQueue`."""
    options: dict[str, Any] = {
        "max_attempts": max_attempts,
        "retry_base": retry_base,
        "retry_max": retry_max,
        "lease_seconds": lease_seconds,
    }
    if engine.dialect.name == "postgresql":
        from bot.queue.procrastinate_queue import ProcrastinateQueue

        return ProcrastinateQueue(engine, **options)
    from bot.queue.worker import JobQueue

    return JobQueue(engine, **options)
