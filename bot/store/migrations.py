"""Ordered schema migrations recorded in `schema_version`.

A fresh database gets `create_all` of the current models and is stamped with the latest version; an
existing one runs the steps after its recorded version, in order, each step once. The whole run holds the
database's write lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), so a web process and a worker
starting together do not race.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import Connection

from bot.store import backfill as _backfill_model  # noqa: F401  (its table is part of Base.metadata)
from bot.store import summaries as _summaries_model  # noqa: F401  (its tables are part of Base.metadata)
from bot.store import write_pacing as _pacing_model  # noqa: F401  (its tables are part of Base.metadata)
from bot.store.models import Base, SchemaVersion, schema_version_table

_PG_MIGRATION_LOCK = 0x5242_0001  # arbitrary advisory-lock id owned by report-bot migrations


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial_schema(conn: Connection) -> None:
    Base.metadata.create_all(conn, checkfirst=True)


def _backfills(conn: Connection) -> None:
    from bot.store.backfill import backfills_table

    backfills_table.create(conn, checkfirst=True)


def _summaries(conn: Connection) -> None:
    from bot.store.summaries import overview_edits_table, summaries_table

    summaries_table.create(conn, checkfirst=True)
    overview_edits_table.create(conn, checkfirst=True)


def _written_hashes_and_pacing(conn: Connection) -> None:
    from sqlalchemy import text

    from bot.store.write_pacing import write_lanes_table, write_starts_table

    if "body_hash" not in {c["name"] for c in inspect(conn).get_columns("replies")}:
        conn.execute(text("ALTER TABLE replies ADD COLUMN body_hash VARCHAR(64)"))
    write_lanes_table.create(conn, checkfirst=True)
    write_starts_table.create(conn, checkfirst=True)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _initial_schema),
    Migration(2, "org-wide backfill progress (issue 15)", _backfills),
    Migration(3, "class overview: repository summaries, overview issue edits (issue 15)", _summaries),
    Migration(
        4,
        "hash of the last written reply; write pacing across processes (issue 16)",
        _written_hashes_and_pacing,
    ),
)


def migrate(engine: Engine, steps: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database to the last of `steps`; returns the version it is at afterwards."""
    versions = [s.version for s in steps]
    if versions != sorted(set(versions)) or not versions or versions[0] < 1:
        raise ValueError("migration versions must be unique, ascending and start at 1 or more")
    latest = versions[-1]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
        inspector = inspect(conn)
        if not inspector.has_table(SchemaVersion.__tablename__):
            fresh = not any(inspector.has_table(t) for t in Base.metadata.tables)
            Base.metadata.create_all(conn, tables=[schema_version_table])
            conn.execute(schema_version_table.insert().values(id=1, version=0))
            if fresh:
                Base.metadata.create_all(conn)
                _stamp(conn, latest)
                return latest
        current = conn.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar_one()
        for step in steps:
            if step.version > current:
                step.apply(conn)
                _stamp(conn, step.version)
                current = step.version
        return current


def _stamp(conn: Connection, version: int) -> None:
    conn.execute(schema_version_table.update().where(SchemaVersion.id == 1).values(version=version))
