"""Artifact store: rendered pages kept behind unguessable, expiring capability URLs.

`ArtifactStore` is the contract (a local folder today, an object store later); `LocalArtifactStore` is the
default backend. An artifact is addressed only by its token (`secrets.token_urlsafe(32)`, 256 bits); the
token is checked against a strict pattern before it touches a path, and the user-supplied file name lives
only in the metadata, reduced to a safe charset.

`get` returns None for a token it does not know and raises `ArtifactExpired` for one whose time is up.
`sweep` deletes the data of expired artifacts and keeps a small tombstone (so the link answers "expired"
rather than "unknown") until `tombstone_for` has passed too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
"""`secrets.token_urlsafe(32)`: 43 URL-safe base64 characters."""
_CONTENT_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]*(?:; ?charset=[A-Za-z0-9_-]+)?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_FILENAME = 100
_STALE = timedelta(hours=1)
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
    def put(self, data: bytes, filename: str, content_type: str, ttl: timedelta) -> Artifact:
        """Store `data` for `ttl`; `filename` is sanitised with `safe_filename`."""

    @abstractmethod
    def get(self, token: str) -> StoredArtifact | None:
        """The artifact, or None for an unknown (or malformed) token. Raises `ArtifactExpired`."""

    @abstractmethod
    def delete(self, token: str) -> bool:
        """Remove an artifact and its tombstone now; True when something was removed."""

    @abstractmethod
    def sweep(self, now: datetime) -> int:
        """Delete the data of every artifact expired at `now`; returns how many were deleted."""


class LocalArtifactStore(ArtifactStore):
    """Artifacts as `<token>.data` + `<token>.json` (metadata sidecar) in one folder."""

    def __init__(
        self,
        directory: Path,
        public_url: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tombstone_for: timedelta = timedelta(days=30),
    ) -> None:
        if not public_url.startswith(("http://", "https://")):
            raise ValueError(f"public_url must be an http(s) URL, got {public_url[:60]!r}")
        self.directory = Path(directory)
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.tombstone_for = tombstone_for
        self.directory.mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- paths (token validated first)

    def _paths(self, token: str) -> tuple[Path, Path]:
        if not valid_token(token):
            raise ValueError("malformed token")
        return self.directory / f"{token}.data", self.directory / f"{token}.json"

    def _write(self, target: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _meta(self, path: Path) -> dict[str, Any] | None:
        try:
            meta = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("unreadable artifact metadata %s", path.name)
            return None
        return meta if isinstance(meta, dict) else None

    # ---------------------------------------------------------------- the contract

    def put(self, data: bytes, filename: str, content_type: str, ttl: timedelta) -> Artifact:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        ctype = check_content_type(content_type)
        name = safe_filename(filename)
        token = new_token()
        data_path, meta_path = self._paths(token)
        now = self.clock()
        expires = now + ttl
        meta = {
            "version": 1,
            "filename": name,
            "content_type": ctype,
            "size": len(data),
            "created_at": now.isoformat(),
            "expires_at": expires.isoformat(),
            "expired": False,
        }
        self._write(data_path, data)
        self._write(
            meta_path, json.dumps(meta).encode("utf-8")
        )  # the sidecar last: it makes the artifact exist
        return Artifact(token, artifact_url(self.public_url, token, name), expires)

    def get(self, token: str) -> StoredArtifact | None:
        if not valid_token(token):
            return None
        data_path, meta_path = self._paths(token)
        meta = self._meta(meta_path)
        if meta is None:
            return None
        try:
            name, ctype = str(meta["filename"]), str(meta["content_type"])
            created, expires = (
                datetime.fromisoformat(meta["created_at"]),
                datetime.fromisoformat(meta["expires_at"]),
            )
        except (KeyError, TypeError, ValueError):
            log.warning("malformed artifact metadata %s", meta_path.name)
            return None
        if meta.get("expired") or expires <= self.clock():
            raise ArtifactExpired(token, name, expires)
        try:
            data = data_path.read_bytes()
        except FileNotFoundError:
            return None
        if len(data) != meta.get("size"):
            log.warning("artifact %s... has the wrong size, not served", token[:6])
            return None
        return StoredArtifact(token, name, ctype, data, created, expires)

    def delete(self, token: str) -> bool:
        if not valid_token(token):
            return False
        removed = False
        for path in self._paths(token):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed = True
        return removed

    def sweep(self, now: datetime) -> int:
        deleted = 0
        for meta_path in self.directory.glob("*.json"):
            token = meta_path.stem
            if not valid_token(token):
                continue
            meta = self._meta(meta_path)
            if meta is None:
                continue
            try:
                expires = datetime.fromisoformat(meta["expires_at"])
            except (KeyError, TypeError, ValueError):
                continue
            data_path = meta_path.with_suffix(".data")
            if not meta.get("expired") and expires <= now:
                meta["expired"] = True
                self._write(meta_path, json.dumps(meta).encode("utf-8"))
                data_path.unlink(missing_ok=True)
                deleted += 1
            elif meta.get("expired") and expires + self.tombstone_for <= now:
                meta_path.unlink(missing_ok=True)
        self._remove_stale()
        return deleted

    def _remove_stale(self) -> None:
        """Temp files and data without a sidecar, left by a crash in `put` (file times are wall-clock time)."""
        cutoff = time.time() - _STALE.total_seconds()
        for path in self.directory.iterdir():
            orphan = path.suffix == ".data" and not path.with_suffix(".json").exists()
            if not (path.name.startswith(".tmp-") or orphan):
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                pass
