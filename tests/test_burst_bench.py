"""A small run of bench/burst.py (embedded `serve`, secondary limits enforced by the double): every
repository shows its last push and nothing is posted twice. Not a timed test: the full bench measures."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.usefixtures("graphql_schema", "shared")


def test_a_small_burst_shows_every_last_push_without_duplicates(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import burst
    finally:
        sys.path.remove(str(ROOT / "bench"))
    args = ["--repos", "20", "--pushes", "3", "--window", "3", "--latency", "0.02", "--per-minute", "600"]
    (result,) = burst.main([*args, "--concurrency", "8", "--per-installation", "8", "--timeout", "120"])
    assert result["done"], "some repository never showed its last push"
    assert result["pushes"] == 60
    assert result["duplicates"] == {"issues": 0, "comments": 0, "check runs": 0}
    assert result["kinds"]["limited"] == 0  # the pacer kept under the double's limit
    # one issue edit + one check run per repository, plus those of jobs that ran before a repository's
    # last push arrived: never a write per push
    assert 2.0 <= result["writes_per_repo"] < 6.0
    out = capsys.readouterr().out
    assert "time until every repository shows its last push" in out and "duplicates" in out
