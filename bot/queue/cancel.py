"""Cancel the waiting jobs of repositories or an installation the app left (`Queue.cancel_in`), on each
backend, inside the caller's transaction (the delivery that says so). Running jobs finish: they find the
repository gone (a 404 ends them) or write nothing the uninstall has not deleted after them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, text, update
from sqlalchemy.engine import Connection

from bot.store.models import jobs_table
from bot.store.types import utcnow


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern matching what starts with `prefix` (its own `%`, `_` and `\\` taken literally)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def cancel_embedded(conn: Connection, installation_id: int | None, key_prefixes: Sequence[str]) -> int:
    """The embedded table: waiting jobs become `superseded` with the reason; returns how many."""
    matches = [jobs_table.c.key.startswith(p, autoescape=True) for p in key_prefixes]
    if installation_id is not None:
        matches.append(jobs_table.c.installation_id == installation_id)
    if not matches:
        return 0
    reason = "installation deleted" if installation_id is not None else "repository removed"
    stmt = (
        update(jobs_table)
        .where(jobs_table.c.status == "waiting", or_(*matches))
        .values(status="superseded", finished_at=utcnow(), last_error=reason)
    )
    return int(conn.execute(stmt).rowcount)


_CANCEL_PROCRASTINATE = text(
    "UPDATE procrastinate_jobs SET status = 'cancelled' WHERE status = 'todo' AND task_name = :task AND ("
    "queueing_lock LIKE ANY (CAST(:patterns AS text[])) OR "
    "(CAST(:installation AS bigint) IS NOT NULL AND args->>'installation_id' = CAST(:installation AS text)))"
)


def cancel_procrastinate(
    conn: Connection, task: str, installation_id: int | None, key_prefixes: Sequence[str]
) -> int:
    """procrastinate's table: waiting (`todo`) jobs of the task become `cancelled`; returns how many."""
    if installation_id is None and not key_prefixes:
        return 0
    params = {
        "task": task,
        "patterns": [_like_prefix(p) for p in key_prefixes],
        "installation": installation_id,
    }
    return int(conn.execute(_CANCEL_PROCRASTINATE, params).rowcount)
