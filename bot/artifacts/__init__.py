"""Artifact storage: rendered pages behind capability links (`base`: the contract; `local`: a folder).

May import: the standard library only (no web, GitHub, store or report code)."""

from bot.artifacts.base import (
    TOKEN_PATTERN,
    Artifact,
    ArtifactExpired,
    ArtifactStore,
<<<<<<< HEAD
=======
    StoredArtifact,
    artifact_url,
    check_content_type,
    new_token,
>>>>>>> issue-14
    safe_filename,
    valid_token,
)
from bot.artifacts.local import LocalArtifactStore

__all__ = [
    "TOKEN_PATTERN",
    "Artifact",
    "ArtifactExpired",
    "ArtifactStore",
    "LocalArtifactStore",
<<<<<<< HEAD
=======
    "StoredArtifact",
    "artifact_url",
    "check_content_type",
    "new_token",
>>>>>>> issue-14
    "safe_filename",
    "valid_token",
]
