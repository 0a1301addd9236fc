"""GitHub's published GraphQL schema, built once per process from `../shared/github-graphql/schema.graphql`.

The SDL is 1.2 MB; `graphql.build_schema` takes about a second, so it is built on first use and kept (see
`build_seconds()`), never per request. `REPORT_BOT_SHARED` moves `../shared` as it does for the other tests.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from graphql import GraphQLSchema, build_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = (
    Path(os.environ.get("REPORT_BOT_SHARED", ROOT.parent / "shared")) / "github-graphql" / "schema.graphql"
)

_lock = threading.Lock()
_built: dict[Path, tuple[GraphQLSchema, float]] = {}


class SchemaMissing(Exception):
    """The SDL file is not there (no `../shared`)."""


def schema_available(path: Path = SCHEMA_PATH) -> bool:
    return path.is_file()


def load_schema(path: Path = SCHEMA_PATH) -> GraphQLSchema:
    """The schema built from `path`, built on the first call only (thread-safe)."""
    with _lock:
        if path not in _built:
            if not path.is_file():
                raise SchemaMissing(f"GitHub's GraphQL schema is not at {path}")
            started = time.perf_counter()
            # the published SDL repeats two fields of EnterpriseOwnerInfo and has deprecated implementations
            # of interface fields, which GitHub itself accepts: skip SDL validation as its README says
            schema = build_schema(path.read_text("utf-8"), assume_valid_sdl=True, assume_valid=True)
            _built[path] = (schema, time.perf_counter() - started)
        return _built[path][0]


def build_seconds(path: Path = SCHEMA_PATH) -> float | None:
    """How long building the schema took, None if it was not built in this process."""
    with _lock:
        built = _built.get(path)
    return None if built is None else built[1]
