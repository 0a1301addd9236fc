"""End to end: installing the App on an organisation of 150 repositories (120 with real reports from
../shared/reports) backfills them — each of the 120 gets its pinned issue, the other 30 nothing — within
the configured share of the installation's rate limit (the double enforces the limit, and every window's
spending is asserted), resuming after a kill in the middle; uninstalling removes their data."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import report_files
from e2e_harness import PAYLOADS, BotServer, wait_until
from github_double import GitHubDouble

pytestmark = [pytest.mark.usefixtures("graphql_schema"), pytest.mark.shared]
ORG = "course-org"
INSTALLATION = 100
LIMIT, WINDOW, SHARE = 200, 5, 0.5
# Unpaced, this backfill makes 130-150 requests a window here: over the share, so the pacer must pause.


@pytest.fixture
def double(app_key) -> GitHubDouble:  # type: ignore[no-untyped-def]
    with GitHubDouble(public_key=app_key.public_pem, rate_limit=LIMIT, rate_window=WINDOW) as d:
        d.add_installation(INSTALLATION, ORG)
        yield d


def _seed_org(d: GitHubDouble) -> tuple[list[str], list[str]]:
    reports = [p for p in report_files() if "templates" not in p.parts]
    assert len(reports) >= 40
    with_report, without = [], []
    for i in range(150):
        name = f"group-{i:03d}"
        if i % 5 == 4:  # 30 repositories without a report (a project's code only)
            d.add_repo(ORG, name, {"README.md": f"# group {i}\n", "src/train.py": "print(1)\n"})
            without.append(name)
        else:
            text = reports[len(with_report) % len(reports)].read_text("utf-8")
            d.add_repo(ORG, name, {"README.md": "# project\n", "reports/README.md": text})
            with_report.append(name)
    return with_report, without


def _installed(d: GitHubDouble, names: list[str]) -> dict[str, object]:
    payload = json.loads((PAYLOADS / "installation" / "created.payload.json").read_text())
    payload["installation"]["id"] = INSTALLATION
    payload["installation"]["account"]["login"] = ORG
    payload["repositories"] = [
        {"id": d.json_repo(ORG, n)["id"], "name": n, "full_name": f"{ORG}/{n}", "private": True}
        for n in names
    ]
    return payload


def _progress(db: Path) -> tuple[str, int, int] | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT state, checked, skipped FROM backfills").fetchone()
    return (str(row[0]), int(row[1]), int(row[2])) if row else None


def test_org_backfill_paced_resumable_and_uninstall_forgets(
    double: GitHubDouble, app_key, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    d = double
    with_report, without = _seed_org(d)
    names = with_report + without
    env = {"REPORT_BOT_BACKFILL_RATE_SHARE": str(SHARE), "REPORT_BOT_JOB_LEASE_SECONDS": "3"}
    db = tmp_path / "bot.db"
    started = time.monotonic()
    server = BotServer(d, app_key.private_pem, tmp_path, **env).start()
    try:
        assert server.send("installation", _installed(d, names)).status_code == 202
        wait_until(lambda: (_progress(db) or ("", 0, 0))[1] >= 30, timeout=120)
        server.stop(kill=True)  # in the middle: the next process must carry on, not start over
        halfway = _progress(db)
        assert halfway is not None and halfway[0] == "running" and halfway[1] < 120
        server = BotServer(d, app_key.private_pem, tmp_path, **env)
        server.start()
        wait_until(lambda: (_progress(db) or ("", 0, 0))[0] == "done", timeout=300)
        server.idle(timeout=60)
    finally:
        server.stop()
    elapsed = time.monotonic() - started

    assert _progress(db) == ("done", 120, 30)
    for name in with_report:
        issues = d.issues(ORG, name)
        assert len(issues) == 1, f"{name}: {len(issues)} issues"  # resumed, not duplicated
        assert issues[0].pinned and "official check" in issues[0].body
    for name in without:
        assert d.issues(ORG, name) == []

    windows = d.rate_usage(f"installation:{INSTALLATION}")
    spent = sum(used for _, _, used in windows)
    worst = max(used for _, _, used in windows)
    print(
        f"backfill of 150 repositories: {spent} requests in {len(windows)} rate-limit windows of {WINDOW} s "
        f"(limit {LIMIT}); the most in one window {worst} = {worst / LIMIT:.0%}; {elapsed:.0f} s"
    )
    assert "to stay within 50% of its rate limit" in server.log.read_text()  # the pacer did pause
    assert worst > 0.8 * SHARE * LIMIT  # ... and used its share, not a trickle
    assert worst <= SHARE * LIMIT, windows  # the share was kept in every window, for REST and GraphQL

    # Uninstall: their replies, verdicts and progress go, and nothing of them is left queued.
    server = BotServer(d, app_key.private_pem, tmp_path, **env).start()
    try:
        deleted = json.loads((PAYLOADS / "installation" / "deleted.payload.json").read_text())
        deleted["installation"]["id"] = INSTALLATION
        deleted["installation"]["account"]["login"] = ORG
        assert server.send("installation", deleted).status_code == 202
        server.idle()
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        for table in ("replies", "verdicts", "renders", "repositories", "installations", "backfills"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        assert conn.execute("SELECT count(*) FROM jobs WHERE status = 'waiting'").fetchone()[0] == 0
