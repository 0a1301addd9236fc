"""A pytest plugin for CI (`.ci/run` loads it with `-p no_skips`): a run with any skipped test fails, so
that nothing CI should have tested was quietly left out. (xfail with strict=True is not a skip.)"""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped and exitstatus == 0:
        if reporter is not None:
            reporter.write_line(
                f"no_skips: {skipped} test(s) skipped, which CI counts as a failure", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
