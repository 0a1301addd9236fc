"""Persistent state of report-bot: engine and schema set-up, the tables, and the `Store` over them.

May import: settings (the database URL's normal form) and the standard library."""

from bot.store.engine import init_db, make_engine, reader
from bot.store.limits import InvalidRecord
from bot.store.records import Installation, Reply, ReplyKind, Repository, VerdictRow
from bot.store.repo import Store
from bot.store.types import utcnow

__all__ = [
    "Installation",
    "InvalidRecord",
    "Reply",
    "ReplyKind",
    "Repository",
    "Store",
    "VerdictRow",
    "init_db",
    "make_engine",
    "reader",
    "utcnow",
]
