"""The tables of report-bot (SQLAlchemy 2 declarative). Store and JobQueue read them with Core statements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.types import UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

REPLY_KINDS = ("issue", "pr_comment", "check_run")
JOB_STATUSES = ("waiting", "running", "done", "failed", "superseded")


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    __tablename__ = "schema_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)


class InstallationRecord(Base):
    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_login: Mapped[str] = mapped_column(String(255))
    account_type: Mapped[str] = mapped_column(String(32))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RepositoryRecord(Base):
    __tablename__ = "repositories"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    installation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(255), index=True)
    default_branch: Mapped[str] = mapped_column(String(255))


class DeliveryRecord(Base):
    __tablename__ = "deliveries"

    guid: Mapped[str] = mapped_column(String(128), primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ReplyRecord(Base):
    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("repo", "kind", "scope", name="uq_replies_repo_kind_scope"),
        CheckConstraint("kind IN ('issue', 'pr_comment', 'check_run')", name="ck_replies_kind"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    repo: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(300))
    github_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    node_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """SHA-256 of what the bot last wrote there (None: unknown), so an unchanged write is not sent."""


class VerdictRecord(Base):
    __tablename__ = "verdicts"

    repo: Mapped[str] = mapped_column(String(255), primary_key=True)
    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    sha: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    total: Mapped[int] = mapped_column(Integer)
    failing: Mapped[list[Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RenderRecord(Base):
    __tablename__ = "renders"
    __table_args__ = (Index("ix_renders_repo_created", "repo", "created_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    repo: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRecord(Base):
    """A durable job; partial unique indexes allow at most one `waiting` and one `running` row per key."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_waiting_key",
            "key",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        Index(
            "uq_jobs_running_key",
            "key",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index(
            "ix_jobs_waiting_order",
            "run_after",
            "id",
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
        Index("ix_jobs_installation_status", "installation_id", "status"),
        CheckConstraint(
            "status IN ('waiting', 'running', 'done', 'failed', 'superseded')", name="ck_jobs_status"
        ),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    installation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


schema_version_table = _table(SchemaVersion)
installations_table = _table(InstallationRecord)
repositories_table = _table(RepositoryRecord)
deliveries_table = _table(DeliveryRecord)
replies_table = _table(ReplyRecord)
verdicts_table = _table(VerdictRecord)
renders_table = _table(RenderRecord)
jobs_table = _table(JobRecord)
