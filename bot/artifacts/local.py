"""The local-folder artifact backend: `<token>.data` + `<token>.json` in one directory.

See `bot.artifacts.base` for the contract (tokens, expiry, tombstones)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.artifacts.base import (
    STALE_AFTER,
    Artifact,
    ArtifactExpired,
    ArtifactStore,
    StoredArtifact,
    artifact_url,
    check_content_type,
    new_token,
    safe_filename,
    valid_token,
)

log = logging.getLogger(__name__)


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

    def put(
        self, data: bytes, filename: str, content_type: str, ttl: timedelta, *, repo: str | None = None
    ) -> Artifact:
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
            "repo": repo.lower() if repo else None,
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

    def delete_repositories(self, full_names: Iterable[str]) -> int:
        names = {n.lower() for n in full_names if n}
        removed = 0
        if not names:
            return 0
        for meta_path in self.directory.glob("*.json"):
            token = meta_path.stem
            meta = self._meta(meta_path) if valid_token(token) else None
            if meta is not None and meta.get("repo") in names and self.delete(token):
                removed += 1
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
        cutoff = time.time() - STALE_AFTER.total_seconds()
        for path in self.directory.iterdir():
            orphan = path.suffix == ".data" and not path.with_suffix(".json").exists()
            if not (path.name.startswith(".tmp-") or orphan):
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                pass
