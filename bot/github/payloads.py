"""What each webhook event the bot handles must contain, as narrow pydantic models of GitHub's payloads.

A delivery that does not fit is answered 400 with the reason and nothing of it is stored; one that fits can
be read by `bot.github.events.decide` and `bot.github.installations.apply` without a type error. Only the
fields those read are described (GitHub sends many more, which are let through unread); ids are BIGINT
(1..2**63-1), names fit the tables' columns. Pure: no I/O.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_ID = 2**63 - 1
HANDLED = ("push", "pull_request", "issue_comment", "installation", "installation_repositories")

Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Number = Annotated[int, Field(strict=True, ge=0, le=MAX_ID)]
Name = Annotated[str, Field(strict=True, max_length=255)]
Short = Annotated[str, Field(strict=True, max_length=64)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Account(_Shape):
    login: Name | None = None
    name: Name | None = None
    type: Name | None = None


class Repository(_Shape):
    id: Id | None = None
    name: Name
    full_name: Name | None = None
    owner: Account
    default_branch: Name | None = None


class Installation(_Shape):
    id: Id
    account: Account | None = None


class Envelope(_Shape):
    """Every handled event: who, where, which installation."""

    action: Short | None = None
    sender: Account | None = None
    repository: Repository | None = None
    installation: Installation | None = None


class Commit(_Shape):
    added: list[str] | None = None
    modified: list[str] | None = None
    removed: list[str] | None = None


class Push(Envelope):
    ref: Annotated[str, Field(strict=True, max_length=1024)]
    deleted: bool | None = None
    commits: list[Commit] | None = None


class PullRequest(_Shape):
    number: Number | None = None
    state: Short | None = None


class PullRequestEvent(Envelope):
    number: Number | None = None
    pull_request: PullRequest


class Comment(_Shape):
    id: Id
    body: str | None = None
    user: Account | None = None
    created_at: str | None = None
    performed_via_github_app: dict[str, Any] | None = None


class Issue(_Shape):
    number: Number
    html_url: str | None = None
    pull_request: dict[str, Any] | None = None


class BodyChange(_Shape):
    from_: str | None = Field(default=None, alias="from")


class Changes(_Shape):
    body: BodyChange | None = None


class IssueComment(Envelope):
    comment: Comment
    issue: Issue
    changes: Changes | None = None


class RepositoryRef(_Shape):
    id: Id
    full_name: Name


class InstallationEvent(Envelope):
    installation: Installation
    repositories: list[RepositoryRef] | None = None


class InstallationRepositories(Envelope):
    installation: Installation
    repositories_added: list[RepositoryRef] | None = None
    repositories_removed: list[RepositoryRef] | None = None


MODELS: dict[str, type[Envelope]] = {
    "push": Push,
    "pull_request": PullRequestEvent,
    "issue_comment": IssueComment,
    "installation": InstallationEvent,
    "installation_repositories": InstallationRepositories,
}


def problem(event: str, payload: Any) -> str | None:
    """Why a delivery of `event` does not fit what the bot reads (one line), or None when it does. Events
    the bot does not handle only need a short `action`."""
    if not isinstance(payload, dict):
        return "the payload is not a JSON object"
    model = MODELS.get(event, Envelope)
    if event not in MODELS:
        action = payload.get("action")
        if action is not None and not (isinstance(action, str) and len(action) <= 64):
            return "action: must be a string of at most 64 characters"
        return None
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        return f"{where}: {first['msg']}"[:300]
    except RecursionError:
        return "the payload nests too deeply"
    return None
