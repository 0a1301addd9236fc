"""Artifact storage: rendered pages behind capability links (`base`: the contract; `local`: a folder).

May import: the standard library only (no web, GitHub, store or report code)."""

from bot.artifacts.base import (
    TOKEN_PATTERN,
    Artifact,
    ArtifactExpired,
    ArtifactStore,
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
    "safe_filename",
    "valid_token",
]
