"""Installation events -> the store: which organisations installed the app and which repositories it sees.
Database only, no GitHub call: the web layer applies these while answering the delivery."""

from __future__ import annotations

from typing import Any

from bot.store import Store, utcnow
from bot.store import backfill as backfills


def _repos(items: Any) -> list[tuple[int, str]]:
    if not isinstance(items, list):
        return []
    return [
        (int(r["id"]), str(r["full_name"]))
        for r in items
        if isinstance(r, dict) and "id" in r and "full_name" in r
    ]


def apply(store: Store, event: str, payload: dict[str, Any]) -> bool:
    """Record an `installation` or `installation_repositories` event; True when it was one."""
    if event not in ("installation", "installation_repositories"):
        return False
    inst = payload.get("installation")
    if not isinstance(inst, dict) or not isinstance(inst.get("id"), int):
        return False
    inst_id = int(inst["id"])
    account = inst.get("account") or {}
    action = payload.get("action")
    gone = removed_repositories(store, event, payload)  # read before the repositories are removed below
    if event == "installation" and action == "deleted":
        backfills.forget_repositories(store.engine, gone)
        backfills.forget_installation(store.engine, inst_id)
        store.remove_installation(inst_id)
        return True
    store.upsert_installation(inst_id, str(account.get("login", "")), str(account.get("type", "")))
    if event == "installation":
        if action == "suspend":
            store.set_installation_suspended(inst_id, utcnow())
        elif action == "unsuspend":
            store.set_installation_suspended(inst_id, None)
        added, removed = _repos(payload.get("repositories")), []
    else:
        added, removed = (
            _repos(payload.get("repositories_added")),
            _repos(payload.get("repositories_removed")),
        )
    for repo_id, full_name in added:
        store.upsert_repository(repo_id, inst_id, full_name, "")
    for repo_id, _ in removed:
        store.remove_repository(repo_id)
    backfills.forget_repositories(store.engine, gone)
    return True


def removed_repositories(store: Store, event: str, payload: dict[str, Any]) -> list[str]:
    """The repositories an installation event takes the app away from (read BEFORE `apply` forgets them):
    every repository of a deleted installation, the `repositories_removed` of `installation_repositories`."""
    inst = payload.get("installation")
    if not isinstance(inst, dict) or not isinstance(inst.get("id"), int):
        return []
    if event == "installation" and payload.get("action") == "deleted":
        names = [r.full_name for r in store.list_repositories(int(inst["id"]))]
        names += [name for _, name in _repos(payload.get("repositories"))]
    elif event == "installation_repositories":
        names = [name for _, name in _repos(payload.get("repositories_removed"))]
    else:
        return []
    return sorted({n.lower() for n in names if n})


def job_prefixes(names: list[str]) -> list[str]:
    """The key prefixes of a repository's jobs (keys spell it in lower case: check:owner/repo:...)."""
    return [f"{kind}:{name.lower()}:" for name in names for kind in ("check", "command")]


def forget_job(delivery: str, names: list[str], installation_id: int) -> tuple[str, dict[str, Any], int]:
    """(key, payload, installation) of the job that deletes what lives outside the database (rendered pages)
    for repositories the app left; keyed by delivery, so two removals never coalesce into one."""
    return f"forget:{delivery}", {"repos": names}, installation_id


def backfill_jobs(event: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any], int]]:
    """(key, payload, installation) of the backfill an installation event asks for: `installation.created`
    and `installation_repositories.added` (which walks the installation again from the top)."""
    inst = payload.get("installation")
    if not isinstance(inst, dict) or not isinstance(inst.get("id"), int):
        return []
    action = payload.get("action")
    if (event, action) not in (("installation", "created"), ("installation_repositories", "added")):
        return []
    inst_id = int(inst["id"])
    job = {"installation_id": inst_id, "restart": event == "installation_repositories"}
    return [(f"backfill:{inst_id}", job, inst_id)]
