"""Webhook deliveries -> jobs. Pure: no GitHub call, no database (the web layer stores and enqueues).

Events from any bot (this app included) never trigger work. A push concerns the report when it is on the
default branch and touches the report's folder or the bot's config (or GitHub left its file lists out); a
pull request when it is opened, updated or reopened (the job then looks whether it touches the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.github.commands import is_bot_sender
from bot.github.config import CONFIG_PATH

PR_ACTIONS = {"opened", "synchronize", "reopened", "ready_for_review"}
MAX_LISTED_COMMITS = 2048  # GitHub lists at most this many commits in a push payload


@dataclass(frozen=True)
class Enqueue:
    kind: str
    key: str
    payload: dict[str, Any]
    installation_id: int | None


def _repo(payload: dict[str, Any]) -> tuple[str, str, str] | None:
    repo = payload.get("repository")
    if not isinstance(repo, dict):
        return None
    owner = (repo.get("owner") or {}).get("login") or (repo.get("owner") or {}).get("name")
    name = repo.get("name")
    if not isinstance(owner, str) or not isinstance(name, str):
        return None
    return owner, name, str(repo.get("default_branch") or "main")


def _installation(payload: dict[str, Any]) -> int | None:
    inst = payload.get("installation")
    if isinstance(inst, dict) and isinstance(inst.get("id"), int):
        return int(inst["id"])
    return None


def touches(payload: dict[str, Any], report_dir: str) -> bool:
    """Does a push touch `report_dir` (or the config)? True when GitHub did not list every change."""
    commits = payload.get("commits")
    if not isinstance(commits, list) or not commits or len(commits) >= MAX_LISTED_COMMITS:
        # A force push to an older commit, a new branch or a huge push: the lists say nothing reliable.
        return True
    prefix = report_dir.strip("/") + "/" if report_dir.strip("/") else ""
    for c in commits:
        if not isinstance(c, dict):
            return True
        for kind in ("added", "modified", "removed"):
            paths = c.get(kind)
            if not isinstance(paths, list):
                return True
            for path in paths:
                if not isinstance(path, str):
                    continue
                if path == CONFIG_PATH or (path.startswith(prefix) if prefix else path.endswith(".md")):
                    return True
    return False


def check_key(owner: str, repo: str, scope: str) -> str:
    return f"check:{owner}/{repo}:{scope}".lower()


def decide(event: str, payload: dict[str, Any], report_dir: str = "reports") -> list[Enqueue]:
    """The jobs a delivery asks for (none for most events)."""
    if not isinstance(payload, dict):
        return []
    sender = payload.get("sender")
    if isinstance(sender, dict) and is_bot_sender(sender):
        return []
    installation = _installation(payload)
    repo = _repo(payload)
    if repo is None or installation is None:
        return []
    owner, name, default_branch = repo
    base = {"owner": owner, "repo": name, "installation_id": installation}
    if event == "push":
        ref = payload.get("ref")
        if payload.get("deleted") or not isinstance(ref, str) or not ref.startswith("refs/heads/"):
            return []
        branch = ref.removeprefix("refs/heads/")
        if branch != default_branch or not touches(payload, report_dir):
            return []
        return [
            Enqueue(
                "check", check_key(owner, name, f"branch:{branch}"), {**base, "branch": branch}, installation
            )
        ]
    if event == "pull_request":
        pr = payload.get("pull_request")
        if payload.get("action") not in PR_ACTIONS or not isinstance(pr, dict) or pr.get("state") == "closed":
            return []
        number = payload.get("number", pr.get("number"))
        if not isinstance(number, int):
            return []
        return [
            Enqueue("check", check_key(owner, name, f"pr:{number}"), {**base, "pr": number}, installation)
        ]
    return []
