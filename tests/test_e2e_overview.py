"""End to end: the installation of the backfill e2e (150 repositories, 120 with real reports from
../shared/reports) with `overview: {repo: class-overview}` and a past deadline in the organisation's
config → `report-bot overview` prints its 120 rows in all four formats; the live overview issue is one
issue, edited in place at most once a minute, with no comments; pushes after the deadline are counted."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT
from e2e_harness import BotServer, push_payload, wait_until
from github_double import GitHubDouble
from test_e2e_backfill import INSTALLATION, ORG, _installed, _progress, _seed_org

from bot.report.overview_table import KEYS

pytestmark = [pytest.mark.usefixtures("graphql_schema"), pytest.mark.shared]
ORG_CONFIG = "overview: {repo: class-overview}\ndeadline: 2026-01-16T23:59:00+01:00\n"


@pytest.fixture
def double(app_key) -> GitHubDouble:  # type: ignore[no-untyped-def]
    with GitHubDouble(public_key=app_key.public_pem, rate_limit=100_000, rate_window=60) as d:
        d.add_installation(INSTALLATION, ORG)
        yield d


def overview(db: Path, *args: str) -> str:
    env = {**os.environ, "REPORT_BOT_DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "overview", *args],
        env=env, cwd=db.parent, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _checked_sha(db: Path, repo: str) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT sha FROM repo_summaries WHERE repo = ?", (f"{ORG}/{repo}",)).fetchone()
    return str(row[0]) if row else None


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows = 0
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rows += tag == "tr"
        if tag == "script":
            self.scripts.append(dict(attrs))


def test_overview_of_the_backfilled_installation_in_four_formats_and_live(
    double: GitHubDouble, app_key, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    d = double
    with_report, without = _seed_org(d)
    d.add_repo(ORG, ".github", {".github/report-bot.yml": ORG_CONFIG})
    d.add_repo(ORG, "class-overview", {"README.md": "# course staff\n"})
    names = [*with_report, *without, ".github", "class-overview"]
    db = tmp_path / "bot.db"
    server = BotServer(d, app_key.private_pem, tmp_path).start()
    try:
        assert server.send("installation", _installed(d, names)).status_code == 202
        wait_until(lambda: (_progress(db) or ("", 0, 0))[0] == "done", timeout=400)
        # Two pushes of one group after the deadline (GitHub's push time: now), one of another.
        for repo, pushes in ((with_report[0], 2), (with_report[1], 1)):
            for i in range(pushes):
                before, after = d.push(ORG, repo, "main", {"reports/notes.md": f"late {i}\n"})
                payload = push_payload(d, ORG, repo, before, after, ["reports/notes.md"])
                assert server.send("push", payload).status_code == 202
                # one check per push (a burst would coalesce into one): wait for this one's row
                wait_until(lambda r=repo, a=after: _checked_sha(db, r) == a, timeout=60)  # type: ignore[misc]
        server.idle(timeout=180)  # the overview's last edit may wait for its minute
    finally:
        server.stop()

    # report-bot overview, every format, from the database alone
    md = overview(db, "--installation", str(INSTALLATION))
    assert md.count(f"| {ORG}/group-") == 120
    assert all(f"| {ORG}/{n} |" in md for n in with_report) and not any(f"{ORG}/{n} " in md for n in without)
    table = list(csv.DictReader(io.StringIO(overview(db, "--org", ORG, "--format", "csv"))))
    assert len(table) == 120 and list(table[0]) == list(KEYS)
    items = json.loads(overview(db, "--installation", str(INSTALLATION), "--format", "json"))
    assert [i["repo"] for i in items] == sorted(f"{ORG}/{n}" for n in with_report)
    by_repo = {i["repo"]: i for i in items}
    assert by_repo[f"{ORG}/{with_report[0]}"]["late_pushes"] == 2
    assert by_repo[f"{ORG}/{with_report[1]}"]["late_pushes"] == 1
    assert sum(i["late_pushes"] for i in items) == 3
    assert all(i["total"] and (i["passed"] is not None or i["crash"]) for i in items)
    assert all(i["commits"] and i["contributors"] == 1 and i["ci"] == "none" for i in items)
    # the checklist held against each repository's files (README, report and src/train.py here: most ticks
    # are not backed)
    assert all(
        i["evidenced"] is not None and i["evidenced"] + i["not_evidenced"] <= i["ticked"] for i in items
    )
    assert sum(i["not_evidenced"] for i in items) > 0
    page = overview(db, "--org", ORG, "--format", "html")
    kept = ROOT / "test-artifacts" / "overview.html"  # for a look (scripts/screenshots.py --overview)
    kept.parent.mkdir(exist_ok=True)
    kept.write_text(page, "utf-8")
    parsed = _Rows()
    parsed.feed(page)
    assert parsed.rows == 121 and parsed.scripts == [{}]  # header + rows; one inline script, no src
    assert overview(db, "--org", "someone-else", "--format", "json") == "[]\n"

    # the live overview: ONE issue, edited in place at most once a minute, never a comment
    (issue,) = d.issues(ORG, "class-overview")
    assert (issue.body or "").count(f"| {ORG}/group-") == 120  # the last edit came after the last check
    assert d.comments(ORG, "class-overview", issue.number) == []
    edits = sorted(r.time for r in d.requests("PATCH", f"/repos/{ORG}/class-overview/issues/{issue.number}"))
    created = [r.time for r in d.requests("POST", f"/repos/{ORG}/class-overview/issues")]
    assert len(created) == 1
    times = [*created, *edits]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    print(f"overview issue: made, then {len(edits)} edits; the shortest gap {min(gaps, default=0):.1f} s")
    assert all(g >= 59.0 for g in gaps), gaps
