"""What the class overview shows per repository (`repo_summaries`: the last default-branch check's summary,
the repository's measures and its pushes after the deadline) and when each installation's live overview
issue was last edited (`overview_edits`).

Written by the check job, read by `report-bot overview` and the overview job. The JSON columns hold the
pure summaries' `to_json()` (bot.report.summary, bot.github.stats): the store does not interpret them.

May import: the store's models and types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Engine, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, _table
from bot.store.sql import upsert_insert
from bot.store.types import UTCDateTime


class SummaryRecord(Base):
    __tablename__ = "repo_summaries"

    repo: Mapped[str] = mapped_column(String(255), primary_key=True)
    installation_id: Mapped[int] = mapped_column(BigInteger, index=True)
    sha: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """`ReportSummary.to_json()`; None when there is no report (see `problem`)."""
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Why there is no summary: no report, not a text file, out of time."""
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """`RepoStats.to_json()`; None when they could not be read."""
    late_pushes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Pushes to the default branch after the deadline (None: no deadline set)."""
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OverviewEditRecord(Base):
    __tablename__ = "overview_edits"

    installation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    repo: Mapped[str] = mapped_column(String(255))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    digest: Mapped[str] = mapped_column(String(64))
    """sha256 of the body last written (an unchanged table is not written again)."""


summaries_table = _table(SummaryRecord)
overview_edits_table = _table(OverviewEditRecord)


@dataclass(frozen=True)
class Summary:
    repo: str
    installation_id: int
    sha: str
    checked_at: datetime
    report: dict[str, Any] | None
    problem: str | None
    stats: dict[str, Any] | None
    late_pushes: int | None
    deadline: datetime | None


@dataclass(frozen=True)
class OverviewEdit:
    installation_id: int
    repo: str
    edited_at: datetime
    digest: str


def set_summary(engine: Engine, s: Summary) -> None:
    values = {k: getattr(s, k) for k in Summary.__dataclass_fields__}
    with engine.begin() as conn:
        stmt = upsert_insert(conn, summaries_table).values(**values)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["repo"],
                set_={k: getattr(stmt.excluded, k) for k in values if k != "repo"},
            )
        )


def get_summary(engine: Engine, repo: str) -> Summary | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(summaries_table).where(func.lower(summaries_table.c.repo) == repo.lower())
        ).first()
    return None if row is None else Summary(**row._asdict())


def list_summaries(
    engine: Engine, *, installation_id: int | None = None, owner: str | None = None
) -> list[Summary]:
    """Every stored summary (of one installation, or of the repositories of `owner`), by repository name."""
    query = select(summaries_table).order_by(func.lower(summaries_table.c.repo))
    if installation_id is not None:
        query = query.where(summaries_table.c.installation_id == installation_id)
    if owner is not None:
        query = query.where(
            func.lower(summaries_table.c.repo).startswith(owner.lower() + "/", autoescape=True)
        )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [Summary(**row._asdict()) for row in rows]


def installations_of(engine: Engine, owner: str) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(summaries_table.c.installation_id)
            .where(func.lower(summaries_table.c.repo).startswith(owner.lower() + "/", autoescape=True))
            .distinct()
        ).all()
    return sorted(int(r[0]) for r in rows)


def last_overview_edit(engine: Engine, installation_id: int) -> OverviewEdit | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(overview_edits_table).where(overview_edits_table.c.installation_id == installation_id)
        ).first()
    return None if row is None else OverviewEdit(**row._asdict())


def record_overview_edit(engine: Engine, installation_id: int, repo: str, at: datetime, digest: str) -> None:
    values = {"installation_id": installation_id, "repo": repo, "edited_at": at, "digest": digest}
    with engine.begin() as conn:
        stmt = upsert_insert(conn, overview_edits_table).values(**values)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["installation_id"],
                set_={k: getattr(stmt.excluded, k) for k in values if k != "installation_id"},
            )
        )
