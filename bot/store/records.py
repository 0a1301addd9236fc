"""Plain frozen values the Store returns (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ReplyKind = Literal["issue", "pr_comment", "check_run"]


@dataclass(frozen=True)
class Installation:
    id: int
    account_login: str
    account_type: str
    suspended_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Repository:
    id: int
    installation_id: int
    full_name: str
    default_branch: str


@dataclass(frozen=True)
class Reply:
    repo: str
    kind: str
    scope: str
    github_id: int
    number: int | None
    node_id: str | None
    updated_at: datetime
    body_hash: str | None = None
    """SHA-256 of what the bot last wrote to this reply (None: not known)."""


@dataclass(frozen=True)
class VerdictRow:
    repo: str
    scope: str
    sha: str
    passed: bool
    total: int
    failing: list[str]
    error: str | None
    updated_at: datetime
