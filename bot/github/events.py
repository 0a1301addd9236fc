"""Webhook deliveries -> jobs. Pure: no GitHub call, no database (the web layer stores and enqueues).

Events from any bot (this app included) never trigger work. A push concerns the report when it is on the
default branch and touches the report's folder or the bot's config (or GitHub left its file lists out); a
pull request when it is opened, updated or reopened (the job then looks whether it touches the report).

An issue or pull-request comment (`issue_comment`) becomes a `command` job when it holds a `/report`
command line (see `bot.commands.grammar`), keyed per comment. An edited comment becomes a job only when the
edit changed what its first command asks for, under its own key (`...:edit`: it must not replace a created
comment's job still waiting, since edits run only when the repository's config says so, which the job
reads). Comments written by a bot or through an app never become jobs; review comments on a diff
(`pull_request_review_comment`) are not commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.commands.grammar import meaning, parse_comment, parsed_to_payload
from bot.commands.permissions import is_bot_sender
from bot.github.config import CONFIG_PATH
from bot.github.installations import backfill_jobs

PR_ACTIONS = {"opened", "synchronize", "reopened", "ready_for_review"}
MAX_LISTED_COMMITS = 2048  # GitHub lists at most this many commits in a push payload
COMMENT_ACTIONS = {"created", "edited"}


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


def pushed_at(payload: dict[str, Any]) -> float | None:
    """When GitHub received a push (`repository.pushed_at`, seconds since the epoch in push payloads): the
    deadline is held against this, not the commit's own time, which the committer's clock sets."""
    repo = payload.get("repository")
    value = repo.get("pushed_at") if isinstance(repo, dict) else None
    if isinstance(value, str):  # other events spell it as an ISO 8601 time
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
        return when.timestamp() if when.tzinfo is not None else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def check_key(owner: str, repo: str, scope: str) -> str:
    return f"check:{owner}/{repo}:{scope}".lower()


def command_key(owner: str, repo: str, comment_id: int, *, edited: bool = False) -> str:
    key = f"command:{owner}/{repo}:comment:{comment_id}".lower()
    return key + ":edit" if edited else key


def _comment_job(payload: dict[str, Any], base: dict[str, Any], default_branch: str) -> list[Enqueue]:
    action = payload.get("action")
    comment, issue, sender = payload.get("comment"), payload.get("issue"), payload.get("sender")
    if action not in COMMENT_ACTIONS or not isinstance(comment, dict) or not isinstance(issue, dict):
        return []
    comment_id, number, body = comment.get("id"), issue.get("number"), comment.get("body")
    if not isinstance(comment_id, int) or not isinstance(number, int) or not isinstance(body, str):
        return []
    author = comment.get("user")
    if not isinstance(author, dict) or is_bot_sender(author) or comment.get("performed_via_github_app"):
        return []
    if not isinstance(sender, dict) or not isinstance(sender.get("login"), str):
        return []
    parsed = parse_comment(body)
    if parsed.first is None:
        return []
    edited = action == "edited"
    if edited:
        before = ((payload.get("changes") or {}).get("body") or {}).get("from")
        if isinstance(before, str) and meaning(parse_comment(before).first) == meaning(parsed.first):
            return []  # the edit left the command as it was
    created_at = comment.get("created_at")
    job = {
        **base,
        "default_branch": default_branch,
        "number": number,
        "pr": isinstance(issue.get("pull_request"), dict),
        "issue_url": str(issue.get("html_url") or ""),
        "comment_id": comment_id,
        "comment_created_at": created_at if isinstance(created_at, str) else None,
        "sender": sender["login"],
        "action": action,
        "command": parsed_to_payload(parsed),
    }
    key = command_key(base["owner"], base["repo"], comment_id, edited=edited)
    return [Enqueue("command", key, job, base["installation_id"])]


def decide(event: str, payload: dict[str, Any], report_dir: str = "reports") -> list[Enqueue]:
    """The jobs a delivery asks for (none for most events)."""
    if not isinstance(payload, dict):
        return []
    sender = payload.get("sender")
    if isinstance(sender, dict) and is_bot_sender(sender):
        return []
    installation = _installation(payload)
    if event in ("installation", "installation_repositories"):
        return [Enqueue("backfill", key, job, inst) for key, job, inst in backfill_jobs(event, payload)]
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
        job = {**base, "branch": branch, "pushed_at": pushed_at(payload)}
        return [Enqueue("check", check_key(owner, name, f"branch:{branch}"), job, installation)]
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
    if event == "issue_comment":
        return _comment_job(payload, base, default_branch)
    return []
