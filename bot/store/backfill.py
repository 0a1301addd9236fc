"""Backfill progress per installation (where an org-wide backfill got to, so a restart resumes it) and
forgetting repositories (an uninstall or a removed repository: their replies, verdicts, renders, summaries, the
installation's rate-limit record and their waiting jobs go).

May import: the store's models and types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Engine, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, _table, renders_table, replies_table, verdicts_table
from bot.store.summaries import overview_edits_table, summaries_table
from bot.store.types import UTCDateTime, utcnow


class BackfillRecord(Base):
    __tablename__ = "backfills"

    installation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Repositories are walked by ascending id; every id up to this one is done."""
    state: Mapped[str] = mapped_column(String(16))
    """running | done"""
    repositories: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    """Repositories with a report (checked, pinned issue made)."""
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


backfills_table = _table(BackfillRecord)


@dataclass(frozen=True)
class Progress:
    installation_id: int
    cursor: int
    state: str
    repositories: int
    checked: int
    skipped: int


def start(engine: Engine, installation_id: int, *, restart: bool) -> Progress:
    """The installation's progress; a new (or, with `restart`, a finished) backfill starts at the top."""
    now = utcnow()
    with engine.begin() as conn:
        row = conn.execute(
            select(backfills_table).where(backfills_table.c.installation_id == installation_id)
        ).first()
        if row is None:
            conn.execute(
                backfills_table.insert().values(
                    installation_id=installation_id,
                    cursor=0,
                    state="running",
                    repositories=0,
                    checked=0,
                    skipped=0,
                    started_at=now,
                    updated_at=now,
                )
            )
        elif row.state == "done" and restart:
            conn.execute(
                update(backfills_table)
                .where(backfills_table.c.installation_id == installation_id)
                .values(cursor=0, state="running", checked=0, skipped=0, started_at=now, updated_at=now)
            )
    found = get(engine, installation_id)
    assert found is not None
    return found


def get(engine: Engine, installation_id: int) -> Progress | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(backfills_table).where(backfills_table.c.installation_id == installation_id)
        ).first()
    if row is None:
        return None
    return Progress(row.installation_id, row.cursor, row.state, row.repositories, row.checked, row.skipped)


def advance(engine: Engine, installation_id: int, cursor: int, *, checked: bool, repositories: int) -> None:
    """Repository `cursor` is done (checked when it had a report, else skipped)."""
    col = backfills_table.c.checked if checked else backfills_table.c.skipped
    with engine.begin() as conn:
        conn.execute(
            update(backfills_table)
            .where(backfills_table.c.installation_id == installation_id)
            .values({col: col + 1, "cursor": cursor, "repositories": repositories, "updated_at": utcnow()})
        )


def finish(engine: Engine, installation_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(backfills_table)
            .where(backfills_table.c.installation_id == installation_id)
            .values(state="done", updated_at=utcnow())
        )


def forget_repositories(engine: Engine, full_names: Iterable[str]) -> int:
    """Delete what is stored about these repositories; rows deleted. (Their waiting jobs are the queue's to
    cancel: `Queue.cancel_in`, in the same delivery.)"""
    names = sorted({n for n in full_names if n})
    if not names:
        return 0
    lowered = [n.lower() for n in names]
    deleted = 0
    with engine.begin() as conn:
        for table in (replies_table, verdicts_table, renders_table, summaries_table):
            deleted += conn.execute(delete(table).where(func.lower(table.c.repo).in_(lowered))).rowcount
    return deleted


def forget_installation(engine: Engine, installation_id: int) -> None:
    """Drop the installation's backfill progress and overview (its waiting jobs: `Queue.cancel_in`)."""
    with engine.begin() as conn:
        conn.execute(delete(backfills_table).where(backfills_table.c.installation_id == installation_id))
        conn.execute(delete(summaries_table).where(summaries_table.c.installation_id == installation_id))
        conn.execute(
            delete(overview_edits_table).where(overview_edits_table.c.installation_id == installation_id)
        )
