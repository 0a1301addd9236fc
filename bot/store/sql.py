"""Dialect helpers: an INSERT that supports ON CONFLICT on both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def upsert_insert(bind: Connection | Engine, table: Table) -> Any:
    """`INSERT` for `table` with `.on_conflict_do_nothing/update` in the dialect of `bind`."""
    name = bind.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database {name!r}")
