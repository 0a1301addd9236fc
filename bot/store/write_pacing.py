"""The tables behind the PostgreSQL write pacer (`bot.queue.pacing_pg`): one row per installation (when its
last write started, whether one is in flight, until when GitHub asked it to pause) and the start time of
each write of the last hour (GitHub's hourly content-creation limit is a sliding count).

Times are Unix seconds of the database's clock, so that every process measures them alike.

May import: the store's models."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import AutoId, Base, _table


class WriteLaneRecord(Base):
    __tablename__ = "write_lanes"

    installation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_start: Mapped[float] = mapped_column(Float, default=0.0)
    busy_until: Mapped[float] = mapped_column(Float, default=0.0)
    """A write is in flight until then (a lease: a process killed mid-write frees it when it ends)."""
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)
    """GitHub answered 403/429 with Retry-After (or no rate limit left): no write before then."""


class WriteStartRecord(Base):
    __tablename__ = "write_starts"
    __table_args__ = (Index("ix_write_starts_installation_at", "installation_id", "at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[float] = mapped_column(Float)


write_lanes_table = _table(WriteLaneRecord)
write_starts_table = _table(WriteStartRecord)
