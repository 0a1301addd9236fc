"""The double's records: plain dataclasses, mutated only under `GitHubState.lock`."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from .git import ObjectStore

ROLES = ("admin", "maintain", "write", "triage", "read", "none")
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def make_node_id(prefix: str, number: int) -> str:
    return prefix + "_kwDO" + base64.urlsafe_b64encode(number.to_bytes(8, "big")).decode().rstrip("=")


@dataclass
class User:
    login: str
    id: int
    node_id: str
    type: str = "User"  # "User" | "Bot" | "Organization"


@dataclass
class AppInfo:
    id: int
    slug: str
    name: str
    owner: User
    node_id: str
    created_at: datetime


@dataclass
class Installation:
    id: int
    account: User
    created_at: datetime
    repository_selection: str = "all"


@dataclass
class Token:
    value: str
    expires_at: datetime
    installation_id: int | None = None  # an installation access token ...
    user: User | None = None  # ... or a person's token (simulating users over HTTP)


@dataclass
class Reaction:
    id: int
    node_id: str
    user: User
    content: str
    created_at: datetime


@dataclass
class PullInfo:
    head_ref: str
    base_ref: str
    head_sha: str  # last known head; follows the branch while it exists
    base_sha: str
    draft: bool = False
    merged: bool = False


@dataclass
class Issue:
    number: int
    id: int
    node_id: str
    title: str
    body: str | None
    user: User
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: User | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    locked: bool = False
    pinned: bool = False
    deleted: bool = False
    reactions: list[Reaction] = field(default_factory=list)
    pull: PullInfo | None = None


@dataclass
class Comment:
    id: int
    node_id: str
    issue_number: int
    body: str
    user: User
    created_at: datetime
    updated_at: datetime
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class Annotation:
    path: str
    start_line: int
    end_line: int
    annotation_level: str
    message: str
    start_column: int | None = None
    end_column: int | None = None
    title: str | None = None
    raw_details: str | None = None


@dataclass
class CheckRun:
    id: int
    node_id: str
    name: str
    head_sha: str
    app_id: int
    check_suite_id: int
    status: str = "queued"
    conclusion: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    details_url: str | None = None
    external_id: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class Repo:
    id: int
    node_id: str
    owner: User
    name: str
    default_branch: str
    private: bool
    installation_id: int | None
    created_at: datetime
    pushed_at: datetime
    objects: ObjectStore = field(default_factory=ObjectStore)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # lower-case login -> role
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"
