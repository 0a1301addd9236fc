"""The artifact contract: rendered pages kept behind unguessable, expiring capability URLs.

`ArtifactStore` is the contract (a local folder today, `bot.artifacts.local`; an object store later). An artifact is addressed only by its token (`secrets.token_urlsafe(32)`, 256 bits); the
token is checked against a strict pattern before it touches a path, and the user-supplied file name lives
only in the metadata, reduced to a safe charset.

`get` returns None for a token it does not know and raises `ArtifactExpired` for one whose time is up.
`sweep` deletes the data of expired artifacts and keeps a small tombstone (so the link answers "expired"
rather than "unknown") until `tombstone_for` has passed too.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
"""`secrets.token_urlsafe(32)`: 43 URL-safe base64 characters."""
_CONTENT_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]*(?:; ?charset=[A-Za-z0-9_-]+)?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_FILENAME = 100
STALE_AFTER = timedelta(hours=1)
"""Half-written files (a crash mid-`put`) older than this are removed by `sweep`."""


class ArtifactExpired(Exception):
    """The token is known but its artifact has expired (it may already be swept)."""

    def __init__(self, token: str, filename: str, expired_at: datetime) -> None:
        super().__init__(f"artifact expired at {expired_at.isoformat()}")
        self.token, self.filename, self.expired_at = token, filename, expired_at


@dataclass(frozen=True)
class Artifact:
    token: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class StoredArtifact:
    token: str
    filename: str
    content_type: str
    data: bytes
    created_at: datetime
    expires_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(32)


def valid_token(token: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(token))


def safe_filename(name: str) -> str:
    """A file name reduced to `[A-Za-z0-9._-]`, no leading dot, at most 100 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("-", base).strip(".-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    if len(cleaned) > _MAX_FILENAME:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (
            (stem[: _MAX_FILENAME - len(ext) - 1] + dot + ext)
            if dot and len(ext) <= 10
            else cleaned[:_MAX_FILENAME]
        )
    return cleaned or "artifact"


def check_content_type(content_type: str) -> str:
    value = content_type.strip()
    if not _CONTENT_TYPE.fullmatch(value):
        raise ValueError(f"unsupported content type {content_type[:60]!r}")
    return value


def artifact_url(public_url: str, token: str, filename: str) -> str:
    return f"{public_url.rstrip('/')}/artifacts/{token}/{filename}"


class ArtifactStore(ABC):
    """Where artifacts live. Implementations are synchronous (the web layer calls them in a thread)."""

    @abstractmethod
    def put(
        self, data: bytes, filename: str, content_type: str, ttl: timedelta, *, repo: str | None = None
    ) -> Artifact:
        """Store `data` for `ttl`; `filename` is sanitised with `safe_filename`. `repo` (owner/name) is the
        repository the page was made from, so that `delete_repositories` finds it when the app leaves it."""

    @abstractmethod
    def get(self, token: str) -> StoredArtifact | None:
        """The artifact, or None for an unknown (or malformed) token. Raises `ArtifactExpired`."""

    @abstractmethod
    def delete(self, token: str) -> bool:
        """Remove an artifact and its tombstone now; True when something was removed."""

    @abstractmethod
    def delete_repositories(self, full_names: Iterable[str]) -> int:
        """Remove every artifact made from these repositories (names compared case-insensitively), tombstones
        included: the app was uninstalled from them. Returns how many were removed."""

    @abstractmethod
    def sweep(self, now: datetime) -> int:
        """Delete the data of every artifact expired at `now`; returns how many were deleted."""
