"""The class overview table (bot/report/overview_table.py, pure): hostile cells escaped in every format,
sorting keys, CSV quoting, the JSON shape, the issue body's limit; and the per-repository summary
(bot/report/summary.py) of a real verdict."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from bot.report import overview_table as ot

HOSTILE = 'evil/<script>alert(1)</script>|@everyone "x",y'


def _row(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {k: None for k in ot.KEYS}
    base.update(
        repo="org/group-1",
        sha="0123456789abcdef",
        checked_at=datetime(2027, 1, 10, 12, 0, tzinfo=UTC),
        passed=21,
        total=31,
        errors=15,
        warnings=1,
        placeholders=10,
        missing_images=2,
        handin_differences=3,
        ticked=34,
        late_pushes=0,
        contributors=4,
        commits=120,
        pull_requests=17,
        dockerfiles=2,
        workflows=3,
        requirements=True,
        pyproject=False,
        cloudbuild=True,
        dvc=False,
        ci="success",
    )
    base.update(kw)
    return base


def test_markdown_rows_escape_pings_and_pipes() -> None:
    md = ot.markdown([_row(repo=HOSTILE, crash="Number of answers | @team differ", passed=None)])
    lines = md.splitlines()
    header = next(line for line in lines if line.startswith("| Repository"))
    (row,) = [line for line in lines if "script" in line]
    cells = re.split(r"(?<!\\)\|", row)
    assert len(cells) == len(header.split("|"))  # no cell broke out of its column
    assert "<script>" not in row
    assert "@everyone" not in row and "@team" not in row  # no mention pings
    assert "official script crashes" in row
    assert "21/31" in ot.markdown([_row()])
    assert "34 / ? / ?" in ot.markdown([_row()])  # the checklist's evidence: not known yet


def test_markdown_is_cut_to_the_limit_with_a_clear_note() -> None:
    rows = [_row(repo=f"org/group-{i:03d}") for i in range(1000)]
    md = ot.markdown(rows, limit=ot.MD_LIMIT)
    assert len(md) <= ot.MD_LIMIT
    shown = md.count("| org/group-")
    assert 0 < shown < 1000
    assert f"**{1000 - shown} more repositories are not shown**" in md
    assert "report-bot overview --format html" in md
    assert "not shown" not in ot.markdown(rows[:3])


def test_csv_quotes_and_defuses_formulas() -> None:
    text = ot.to_csv([_row(repo=HOSTILE), _row(repo='=HYPERLINK("http://x")', crash="-1+1")])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(ot.KEYS)
    assert rows[1][0] == HOSTILE  # the comma and quotes survive a round trip
    assert rows[2][0].startswith("'=") and rows[2][ot.KEYS.index("crash")] == "'-1+1"
    assert rows[1][ot.KEYS.index("requirements")] == "yes" and rows[1][ot.KEYS.index("evidenced")] == ""


def test_json_shape() -> None:
    (item,) = json.loads(ot.to_json([_row()]))
    assert list(item) == list(ot.KEYS)
    assert item["passed"] == 21 and item["evidenced"] is None and item["requirements"] is True
    assert item["checked_at"] == "2027-01-10T12:00:00+00:00"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[str] = []
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_td = tag == "td"
        if self._in_td:
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_td = self._in_td and tag != "td"

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.cells[-1] += data


def test_html_is_one_self_contained_page_with_every_cell_escaped() -> None:
    page = ot.to_html([_row(repo=HOSTILE, crash="<img src=x onerror=alert(1)>")], title="<b>t</b>")
    parsed = _Page()
    parsed.feed(page)
    names = [t for t, _ in parsed.tags]
    assert names.count("script") == 1 and names.count("img") == 0 and "b" not in names
    assert all("src" not in attrs and "href" not in attrs for _, attrs in parsed.tags)  # nothing external
    assert HOSTILE in parsed.cells and "<img src=x onerror=alert(1)>" in parsed.cells
    assert "default-src 'none'" in page


def test_sort_keys_numbers_as_numbers_unknown_last() -> None:
    rows = [_row(errors=10), _row(errors=9), _row(errors=None), _row(errors=100)]
    ordered = sorted(rows, key=lambda r: ot.sort_key(r, "errors"))
    assert [r["errors"] for r in ordered] == [9, 10, 100, None]
    names = sorted([_row(repo="b"), _row(repo="A"), _row(repo="c")], key=lambda r: ot.sort_key(r, "repo"))
    assert [r["repo"] for r in names] == ["A", "b", "c"]
    page = ot.to_html(rows)
    assert re.findall(
        r'data-sort="(\d*)">\d*</td><td data-sort="\d*">\d+</td><td data-sort="\d*">1</td>', page
    )


def test_summary_of_a_real_verdict() -> None:
    from conftest import require_shared

    from bot.report import evidence
    from bot.report.check import check
    from bot.report.rules import resolve
    from bot.report.summary import ReportSummary, summarise

    require_shared()
    from e2e_harness import seed

    text = seed("000_8087f8353d4a158a.md")
    rules, reason = resolve("auto", text)
    v = check(text, rules, files=["reports/README.md"], reason=reason)
    s = summarise(v)
    assert (s.passed, s.total, s.crash) == (v.official.passed, v.official.total, None)
    assert s.errors == v.errors and s.errors + s.warnings <= len(v.diagnostics)
    assert s.placeholders == sum(d.code in ("RB001", "RB002", "RB003") for d in v.diagnostics) > 0
    assert s.missing_images == sum(d.code == "RB020" for d in v.diagnostics) > 0  # no figures in this repo
    assert s.checklist.ticked == v.checklist.ticked and s.checklist.evidenced is None
    assert ReportSummary.from_json(json.loads(json.dumps(s.to_json()))) == s

    # given the repository's files, the checklist's ticks are held against them
    files = ["reports/README.md", "Dockerfile", ".pre-commit-config.yaml", "tests/test_data.py"]
    v = check(text, rules, files=files, reason=reason, contents={})
    s = summarise(v)
    c = evidence.counts(v)
    assert (s.checklist.evidenced, s.checklist.not_evidenced) == (c.evidenced, c.not_evidenced)
    assert c.evidenced > 0 and c.not_evidenced > 0


def test_the_readme_example_has_the_real_columns() -> None:
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    assert "| " + " | ".join(ot.MD_HEADERS) + " |" in readme
