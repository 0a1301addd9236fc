"""Every GraphQL document the bot can send validates against GitHub's published schema (no double involved):
the head query of `bot/github/fetch.py` with and without its pull-request part, and the pin mutation of
`bot/github/replies.py`."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse, validate

from bot.github import fetch, replies

HEAD_VARIANTS = {
    "push": fetch.head_query(with_pr=False),
    "pull request": fetch.head_query(with_pr=True),
}


def errors_of(schema: Any, document: str) -> list[str]:
    return [e.message for e in validate(schema, parse(document))]


@pytest.mark.parametrize("variant", sorted(HEAD_VARIANTS))
def test_head_query_is_valid(graphql_schema: Any, variant: str) -> None:
    assert errors_of(graphql_schema, HEAD_VARIANTS[variant]) == []


def test_pin_mutation_is_valid(graphql_schema: Any) -> None:
    assert errors_of(graphql_schema, replies._PIN) == []


def test_the_schema_refuses_what_github_refuses(graphql_schema: Any) -> None:
    """The check is not vacuous: a misspelt field, a wrong argument and a missing variable fail."""
    broken = fetch.head_query(with_pr=False).replace("defaultBranchRef { name }", "defaultBranchRef { nam }")
    assert any("nam" in m for m in errors_of(graphql_schema, broken))
    undeclared = fetch.head_query(with_pr=True).replace(", $pr: Int!", "")
    assert errors_of(graphql_schema, undeclared)  # $pr used, not declared
    assert errors_of(graphql_schema, replies._PIN.replace("issueId", "issue"))


def test_repo_stats_query_is_valid(graphql_schema: Any) -> None:
    from bot.github import stats

    assert errors_of(graphql_schema, stats.STATS_QUERY) == []
