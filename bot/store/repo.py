"""`Store`: the bot's small state (deliveries, installations, replies, verdicts, renders) over one Engine.

Every method is synchronous and short (call it directly or through `asyncio.to_thread`), opens its own
transaction and returns plain frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import Connection, Row

from bot.store.engine import reader
from bot.store.limits import check_id, check_text
from bot.store.models import (
    REPLY_KINDS,
    deliveries_table,
    installations_table,
    renders_table,
    replies_table,
    repositories_table,
    verdicts_table,
)
from bot.store.records import Installation, Reply, Repository, VerdictRow
from bot.store.sql import upsert_insert
from bot.store.types import utcnow

_installations = installations_table
_repositories = repositories_table
_deliveries = deliveries_table
_replies = replies_table
_verdicts = verdicts_table
_renders = renders_table


class _InTransaction:
    """Stands in for the Engine inside one open transaction: `begin()` and `connect()` give its connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect

    def begin(self) -> Any:
        return nullcontext(self.conn)

    connect = begin

    def execution_options(self, **_options: Any) -> _InTransaction:
        return self


class Store:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self._reader = reader(engine) if isinstance(engine, Engine) else engine
        self._clock = clock

    @contextmanager
    def transaction(self) -> Iterator[tuple[Store, Connection]]:
        """One transaction for several changes: a Store whose methods all run in it, and its connection
        (for the job queue's `enqueue_in`). Committed at the end, rolled back on an exception."""
        with self.engine.begin() as conn:
            yield Store(_InTransaction(conn), clock=self._clock), conn  # type: ignore[arg-type]

    # -- webhook deliveries -------------------------------------------------------------------------
    def record_delivery(self, guid: str, event: str, action: str | None = None) -> bool:
        """Remember a delivery id; True the first time it is seen (atomic across threads and processes)."""
        check_text("delivery id", guid, 128)
        check_text("event", event, 64)
        if action is not None:
            check_text("action", action, 64)
        with self.engine.begin() as conn:
            stmt = (
                upsert_insert(conn, _deliveries)
                .values(guid=guid, event=event, action=action, received_at=self._clock())
                .on_conflict_do_nothing(index_elements=["guid"])
                .returning(_deliveries.c.guid)
            )
            return conn.execute(stmt).first() is not None

    def forget_delivery(self, guid: str) -> bool:
        """Drop a recorded delivery (its processing failed: a redelivery must be handled again)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(_deliveries).where(_deliveries.c.guid == guid)).rowcount > 0

    def prune_deliveries(self, older_than: datetime) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(_deliveries).where(_deliveries.c.received_at < older_than)).rowcount

    # -- installations and repositories -------------------------------------------------------------
    def upsert_installation(
        self, id: int, account_login: str, account_type: str, suspended_at: datetime | None = None
    ) -> None:
        check_id("installation id", id)
        check_text("account login", account_login, 255)
        check_text("account type", account_type, 32)
        with self.engine.begin() as conn:
            stmt = upsert_insert(conn, _installations).values(
                id=id,
                account_login=account_login,
                account_type=account_type,
                suspended_at=suspended_at,
                created_at=self._clock(),
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"],
                    set_={
                        "account_login": stmt.excluded.account_login,
                        "account_type": stmt.excluded.account_type,
                        "suspended_at": stmt.excluded.suspended_at,
                    },
                )
            )

    def set_installation_suspended(self, id: int, suspended_at: datetime | None) -> bool:
        """Mark an installation suspended (a datetime) or active again (None); False if unknown."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(_installations).where(_installations.c.id == id).values(suspended_at=suspended_at)
            )
            return result.rowcount > 0

    def remove_installation(self, id: int) -> bool:
        """Forget an installation and its repositories; False if it was unknown."""
        with self.engine.begin() as conn:
            conn.execute(delete(_repositories).where(_repositories.c.installation_id == id))
            return conn.execute(delete(_installations).where(_installations.c.id == id)).rowcount > 0

    def get_installation(self, id: int) -> Installation | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(_installations).where(_installations.c.id == id)).first()
        return None if row is None else Installation(**row._asdict())

    def upsert_repository(self, id: int, installation_id: int, full_name: str, default_branch: str) -> None:
        """Record a repository. An installation not seen yet gets a placeholder row (login = the owner,
        type = "") that `upsert_installation` fills in later."""
        check_id("repository id", id)
        check_id("installation id", installation_id)
        check_text("repository name", full_name, 255)
        check_text("default branch", default_branch, 255)
        with self.engine.begin() as conn:
            placeholder = upsert_insert(conn, _installations).values(
                id=installation_id,
                account_login=full_name.split("/", 1)[0],
                account_type="",
                suspended_at=None,
                created_at=self._clock(),
            )
            conn.execute(placeholder.on_conflict_do_nothing(index_elements=["id"]))
            stmt = upsert_insert(conn, _repositories).values(
                id=id, installation_id=installation_id, full_name=full_name, default_branch=default_branch
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"],
                    set_={
                        "installation_id": stmt.excluded.installation_id,
                        "full_name": stmt.excluded.full_name,
                        "default_branch": stmt.excluded.default_branch,
                    },
                )
            )

    def remove_repository(self, id: int) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(delete(_repositories).where(_repositories.c.id == id)).rowcount > 0

    def list_repositories(self, installation_id: int) -> list[Repository]:
        with self._reader.connect() as conn:
            rows = conn.execute(
                select(_repositories)
                .where(_repositories.c.installation_id == installation_id)
                .order_by(_repositories.c.full_name)
            ).all()
        return [Repository(**row._asdict()) for row in rows]

    # -- replies (the one issue / comment / check run per place) -----------------------------------
    def get_reply(self, repo: str, kind: str, scope: str) -> Reply | None:
        _check_kind(kind)
        with self._reader.connect() as conn:
            row = conn.execute(
                select(_replies).where(
                    _replies.c.repo == repo, _replies.c.kind == kind, _replies.c.scope == scope
                )
            ).first()
        return None if row is None else _reply(row)

    def set_reply(
        self,
        repo: str,
        kind: str,
        scope: str,
        github_id: int,
        number: int | None = None,
        node_id: str | None = None,
        body_hash: str | None = None,
    ) -> Reply:
        """Record a reply; `body_hash` is what was written to it (None: not known, the next write is sent)."""
        _check_kind(kind)
        with self.engine.begin() as conn:
            stmt = upsert_insert(conn, _replies).values(
                repo=repo,
                kind=kind,
                scope=scope,
                github_id=github_id,
                number=number,
                node_id=node_id,
                updated_at=self._clock(),
                body_hash=body_hash,
            )
            row = conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["repo", "kind", "scope"],
                    set_={
                        "github_id": stmt.excluded.github_id,
                        "number": stmt.excluded.number,
                        "node_id": stmt.excluded.node_id,
                        "updated_at": stmt.excluded.updated_at,
                        "body_hash": stmt.excluded.body_hash,
                    },
                ).returning(*_replies.c)
            ).one()
        return _reply(row)

    def set_reply_hash(self, repo: str, kind: str, scope: str, body_hash: str | None) -> None:
        """What the bot has just written to an existing reply (None: unknown, e.g. the write failed)."""
        _check_kind(kind)
        with self.engine.begin() as conn:
            conn.execute(
                update(_replies)
                .where(_replies.c.repo == repo, _replies.c.kind == kind, _replies.c.scope == scope)
                .values(body_hash=body_hash, updated_at=self._clock())
            )

    def delete_reply(self, repo: str, kind: str, scope: str) -> bool:
        _check_kind(kind)
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(_replies).where(
                    _replies.c.repo == repo, _replies.c.kind == kind, _replies.c.scope == scope
                )
            )
            return result.rowcount > 0

    # -- verdicts (the last one per repo/branch or repo/PR) ----------------------------------------
    def last_verdict(self, repo: str, scope: str) -> VerdictRow | None:
        with self._reader.connect() as conn:
            row = conn.execute(
                select(_verdicts).where(_verdicts.c.repo == repo, _verdicts.c.scope == scope)
            ).first()
        return None if row is None else _verdict(row)

    def set_verdict(
        self,
        repo: str,
        scope: str,
        sha: str,
        passed: bool,
        total: int,
        failing: Sequence[str],
        error: str | None = None,
    ) -> VerdictRow:
        values = {
            "repo": repo,
            "scope": scope,
            "sha": sha,
            "passed": passed,
            "total": total,
            "failing": [str(f) for f in failing],
            "error": error,
            "updated_at": self._clock(),
        }
        with self.engine.begin() as conn:
            stmt = upsert_insert(conn, _verdicts).values(**values)
            row = conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["repo", "scope"],
                    set_={k: getattr(stmt.excluded, k) for k in values if k not in ("repo", "scope")},
                ).returning(*_verdicts.c)
            ).one()
        return _verdict(row)

    # -- renders (rate limit of `/report html`) ----------------------------------------------------
    def record_render(self, repo: str, at: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(_renders.insert().values(repo=repo, created_at=at or self._clock()))

    def count_renders(self, repo: str, since: datetime) -> int:
        with self._reader.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(_renders)
                .where(_renders.c.repo == repo, _renders.c.created_at >= since)
            ).scalar_one()

    def oldest_render_since(self, repo: str, since: datetime) -> datetime | None:
        with self._reader.connect() as conn:
            value: datetime | None = conn.execute(
                select(func.min(_renders.c.created_at)).where(
                    _renders.c.repo == repo, _renders.c.created_at >= since
                )
            ).scalar_one()
        return value

    def prune_renders(self, older_than: datetime) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(_renders).where(_renders.c.created_at < older_than)).rowcount


def _check_kind(kind: str) -> None:
    if kind not in REPLY_KINDS:
        raise ValueError(f"reply kind must be one of {REPLY_KINDS}, not {kind!r}")


def _reply(row: Row) -> Reply:
    data = row._asdict()
    data.pop("id")
    return Reply(**data)


def _verdict(row: Row) -> VerdictRow:
    data = row._asdict()
    data["failing"] = list(data["failing"] or [])
    return VerdictRow(**data)
