"""Shared fixtures: where `../shared` is, and PostgreSQL when it runs.

Tests that need `../shared` or PostgreSQL skip when it is absent; CI sets REPORT_BOT_REQUIRE_SHARED=1 and
REPORT_BOT_REQUIRE_POSTGRES=1, which turn those skips into failures.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["github_double.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REPORT_BOT_SHARED", ROOT.parent / "shared"))
REPORTS = SHARED / "reports"
POSTGRES_URL = os.environ.get(
    "REPORT_BOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _missing(what: str, flag: str) -> None:
    if os.environ.get(flag) == "1":
        pytest.fail(f"{what} is required here ({flag}=1) but is not available")
    pytest.skip(f"{what} is not available")


def require_shared() -> Path:
    if not (REPORTS / "golden-2026.json").is_file():
        _missing(f"{SHARED} (the shared reports)", "REPORT_BOT_REQUIRE_SHARED")
    return SHARED


@pytest.fixture(scope="session")
def shared() -> Path:
    return require_shared()


@pytest.fixture(scope="session")
def graphql_schema() -> Any:
    """GitHub's GraphQL schema from ../shared/github-graphql/schema.graphql, built once per run: the GitHub
    double answers GraphQL against it, so tests that send GraphQL through the double use this too."""
    from github_double.graphql_schema_load import SCHEMA_PATH, build_seconds, load_schema, schema_available

    if not schema_available():
        _missing(f"{SCHEMA_PATH} (GitHub's GraphQL schema)", "REPORT_BOT_REQUIRE_SHARED")
    schema = load_schema()
    print(f"GitHub's GraphQL schema built in {build_seconds():.2f} s")
    return schema


@pytest.fixture(scope="session")
def manifest(shared: Path) -> dict[str, dict[str, Any]]:
    """corpus/manifest.json by file name: repo, commit, figures (every image file at that commit)."""
    data = json.loads((shared / "reports" / "corpus" / "manifest.json").read_text("utf-8"))
    return {e["file"]: e for e in data}


def report_files() -> list[Path]:
    """Every report in seeds/, corpus/ and templates/ (empty without ../shared)."""
    return sorted(p for d in ("seeds", "corpus", "templates") for p in (REPORTS / d).glob("*.md"))


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not _postgres_available():
        _missing("PostgreSQL at 127.0.0.1:5432", "REPORT_BOT_REQUIRE_POSTGRES")
    return POSTGRES_URL
