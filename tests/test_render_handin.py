"""The hand-in: `render --official` byte for byte against the official `report.py html` (run in-process as
the oracle), the page's hand-in view, and the `handin-*` diagnostics (made-up and real reports)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.cli import render as render_cli
from bot.commands.texts import handin_line
from bot.report import handin
from bot.report.check import check
from bot.report.handin_diff import KINDS, diagnostics, signature, views
from bot.report.parse import parse
from bot.report.render import render_page
from bot.report.rules import builtin, detect_year
from tests.conftest import REPORTS, report_files, require_shared
from tests.fake_images import no_files
from tests.page_dom import Node, inert_problems, parse_page
from tests.xss_payloads import PAYLOADS, hostile_report

YEARS = {2024: "report-2024-11-21.py", 2025: "report-2025-01-24.py", 2026: "report-2026-01-09.py"}
LEAK = "http://127.0.0.1:9/leak"
_modules: dict[int, Any] = {}


def _official_module(year: int) -> Any:
    if year not in _modules:
        path = REPORTS / "official" / YEARS[year]
        spec = importlib.util.spec_from_file_location(f"official_html_{year}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # test oracle only: the bot never runs a report.py
        _modules[year] = module
    return _modules[year]


def official_html_bytes(year: int, readme: bytes, where: Path) -> bytes:
    """Run the official script's `html` in-process in `where` on `readme`; the bytes of its report.html."""
    module = _official_module(year)
    where.mkdir(parents=True, exist_ok=True)
    (where / "README.md").write_bytes(readme)
    cwd = os.getcwd()
    os.chdir(where)
    try:
        fn = module.html.callback if year == 2024 else module.html  # click command / plain typer function
        fn()
    finally:
        os.chdir(cwd)
    return (where / "report.html").read_bytes()


def ours_official(readme: Path, out: Path) -> bytes:
    parser = argparse.ArgumentParser()
    render_cli.add_arguments(parser)
    assert render_cli.main(parser.parse_args([str(readme), "--official", "-o", str(out)])) == 0
    return out.read_bytes()


@pytest.mark.shared
@pytest.mark.parametrize("year", list(YEARS))
@pytest.mark.parametrize("path", report_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_render_official_is_byte_for_byte_report_py_html(year: int, path: Path, tmp_path: Path) -> None:
    require_shared()
    expected = official_html_bytes(year, path.read_bytes(), tmp_path / "official")
    assert ours_official(path, tmp_path / "ours.html") == expected


MADE_UP = {
    "bom": "\ufeff---\nlayout: default\nnav_exclude: true\n---\n# Title\n\ntext\n",
    "crlf": "---\r\nlayout: default\r\nnav_exclude: true\r\n---\r\n\r\n# Title\r\n\r\n```\r\ncode\r\n```\r\n",
    "cr": "---\rlayout: default\rnav_exclude: true\r---\r\r# Title\r\rtext\r",
    "short": "# Tiny",
    "non-ascii in the cut": "# Ærø æøå — “quotes” ☃☃☃ and more words here\n\n| a | b |\n|---|---|\n",
    "html": "x" * 43 + "<details><summary>s</summary>\n\n- a\n- b\n</details>\n<script>alert(1)</script>\n",
}


@pytest.mark.shared
@pytest.mark.parametrize("name", list(MADE_UP))
def test_render_official_on_made_up_files(name: str, tmp_path: Path) -> None:
    require_shared()
    readme = tmp_path / "README.md"
    readme.write_bytes(MADE_UP[name].encode("utf-8"))
    assert ours_official(readme, tmp_path / "ours.html") == official_html_bytes(
        2026, readme.read_bytes(), tmp_path / "official"
    )


def test_render_official_refuses_text_that_is_not_utf8(tmp_path: Path, capsys: Any) -> None:
    readme = tmp_path / "README.md"
    readme.write_bytes(b"# caf\xe9\n")
    parser = argparse.ArgumentParser()
    render_cli.add_arguments(parser)
    assert render_cli.main(parser.parse_args([str(readme), "--official", "-o", str(tmp_path / "o")])) == 2
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.shared
@pytest.mark.parametrize("path", report_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_markers_change_nothing_but_where_sections_start(path: Path) -> None:
    """The marker characters put into question headings leave the official HTML exactly as it is."""
    report = parse(path.read_text("utf-8"))
    source, _ = handin.marked_source(report)
    assert handin._MARK.sub("", handin.budgeted(source)) == handin.official_html(
        handin.read_official(path.read_bytes())
    )


# --------------------------------------------------------------------------- the page's two views


def question(n: int, answer: str) -> str:
    return f"### Question {n}\n\n> **Prompt {n}**\n>\n> Answer:\n\n{answer}\n\n"


def report_of(*answers: str) -> str:
    return handin.FRONT_MATTER + "# Report\n\n" + "".join(question(n, a) for n, a in enumerate(answers, 1))


def view(page: str, name: str) -> Node:
    (node,) = parse_page(page).find_all("div", id=f"view-{name}")
    return node


def test_hand_in_view_comes_first_and_shows_what_graders_read() -> None:
    raw = report_of("Plain text answer.", "Run it:\n```bash\npip install x\n```\n")
    page = render_page(raw, no_files).html
    assert page.index('id="view-handin"') < page.index('id="view-github"')
    handin_view, github_view = view(page, "handin"), view(page, "github")
    (h2,) = handin_view.find_all("section", id="question-2")
    (g2,) = github_view.find_all("section", id="github-question-2")
    # the answer's block is one inline code starting with `bash` (a finding under it may quote the words too)
    (code,) = [c.text() for c in h2.find_all("code") if c.text().startswith("bash\npip install")]
    assert not h2.find_all("pre") and code == "bash\npip install x"
    assert g2.find_all("pre")
    assert h2.attrs["data-handin-differs"] == g2.attrs["data-handin-differs"] == "code"
    assert "rb-differs" in h2.attrs["class"] and "rb-differs" in g2.attrs["class"]
    (h1,) = handin_view.find_all("section", id="question-1")
    assert "data-handin-differs" not in h1.attrs and "rb-differs" not in h1.attrs["class"]
    # the switch works without JavaScript: two links, and CSS on :target
    links = [
        a.attrs["href"] for a in parse_page(page).find_all("a") if a.attrs.get("href", "").startswith("#view")
    ]
    assert links == ["#view-handin", "#view-github"]
    assert "#view-github:not(:target)" in page and "@media print" in page
    assert "<script" not in page.lower()
    # the badge is on every question in both views
    for node in (handin_view, github_view):
        assert [b.attrs["data-question"] for b in node.find_all("div", **{"data-status": None})] == ["1", "2"]


def test_hand_in_view_is_the_official_html_sanitised() -> None:
    raw = report_of("Some *text* and a list:\n- a\n- b\n", "| a | b |\n|---|---|\n| 1 | 2 |\n")
    page = render_page(raw, no_files, plain=True).html
    official = handin.official_html(raw)
    for piece in ("<em>text</em>", "| a | b |"):
        assert piece in official and piece in page
    assert "<table>" not in str(view(page, "handin").find_all("table"))
    assert view(page, "github").find_all("table")


def test_xss_payloads_are_inert_in_the_hand_in_view() -> None:
    """Python-Markdown passes raw HTML through: the sanitiser is all that stands in the way."""
    raw = hostile_report(LEAK)
    assert "<script" in handin.official_html(raw).lower()  # the reference is not sanitised
    page = render_page(raw, no_files).html
    assert inert_problems(page) == []
    hv = view(page, "handin")
    assert hv.find_all("section")  # the hand-in view is really there
    for node in hv.walk():
        assert node.tag not in ("script", "iframe", "object", "embed", "svg", "form", "style"), node.tag
        assert not [k for k in node.attrs if k.startswith("on")], node
        for key in ("href", "src"):
            assert not node.attrs.get(key, "").lower().lstrip().startswith(("javascript:", "data:text")), node


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_alone_is_inert_in_the_hand_in(payload: str) -> None:
    raw = report_of(payload.replace("LEAK", LEAK))
    page = render_page(raw, no_files).html
    assert inert_problems(page) == []
    assert view(page, "handin").find_all("section", id="question-1")


def test_python_markdown_past_its_budget_is_reported_not_waited_for() -> None:
    raw = report_of("- - -\n" * 30000)
    started = time.perf_counter()
    verdict = check(raw, builtin("dtu-mlops-2026"))
    assert time.perf_counter() - started < handin.BUDGET_SECONDS + 3
    (d,) = [d for d in verdict.diagnostics if d.code == "RB078"]
    assert d.name == "handin-not-compared" and "takes over" in d.message
    page = render_page(raw, no_files, verdict=verdict).html
    assert 'data-handin-unavailable="1"' in page
    assert "could not render" in handin_line(verdict)


def test_python_markdown_crash_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deeply nested lists make Python-Markdown recurse until it crashes (as `report.py html` does)."""

    class Crashing:
        def reset(self) -> Crashing:
            return self

        def convert(self, text: str) -> str:
            raise RecursionError

    monkeypatch.setattr(handin, "_converter", Crashing)
    with pytest.raises(handin.HandinUnavailable, match="crashes"):
        handin.budgeted("- a")


# --------------------------------------------------------------------------- the handin-* diagnostics


def handin_codes(raw: str) -> list[tuple[str, int | None, int | None]]:
    rules, _ = detect_year(raw)
    return [
        (d.code, d.question, d.line) for d in check(raw, rules).diagnostics if d.name.startswith("handin-")
    ]


def test_handin_code_block_names_the_fence_and_the_fix() -> None:
    raw = report_of("fine", "We ran:\n\n```bash\ndocker build .\n```\n")
    rules, _ = detect_year(raw)
    (d,) = [d for d in check(raw, rules).diagnostics if d.code == "RB070"]
    line = raw.split("\n").index("```bash") + 1
    assert (d.name, d.severity, d.question, d.line) == ("handin-code-block", "warning", 2, line)
    assert "`bash`" in d.message and "4 spaces" in d.hint and "blank line" in d.hint
    fixed = report_of("fine", "We ran:\n\n    docker build .\n")
    assert handin_codes(fixed) == []


def test_handin_table() -> None:
    raw = report_of("| metric | value |\n|---|---|\n| acc | 0.9 |\n")
    line = raw.split("\n").index("| metric | value |") + 1
    assert handin_codes(raw) == [("RB071", 1, line)]
    rules, _ = detect_year(raw)
    (d,) = [d for d in check(raw, rules).diagnostics if d.code == "RB071"]
    assert "list" in d.hint and "figures/" in d.hint


def test_handin_list_without_blank_line_and_shallow_nesting() -> None:
    raw = report_of("We used:\n- ruff\n- pytest\n", "Tools:\n\n- a\n  - nested by two\n")
    lines = raw.split("\n")
    assert handin_codes(raw) == [
        ("RB072", 1, lines.index("- ruff") + 1),
        ("RB072", 2, lines.index("  - nested by two") + 1),
    ]
    assert (
        handin_codes(report_of("We used:\n\n- ruff\n- pytest\n", "Tools:\n\n- a\n    - nested by four\n"))
        == []
    )


def test_handin_html_block() -> None:
    raw = report_of("<details>\n<summary>More</summary>\n\n- a\n- b\n\n</details>\n")
    codes = handin_codes(raw)
    assert ("RB073", 1, raw.split("\n").index("<details>") + 1) in codes


def test_handin_cut_names_the_lost_words_and_the_fix() -> None:
    raw = "# Group 42 report on a great MLOps project\n\nOur very first words.\n\n" + "".join(
        question(n, "x") for n in (1, 2)
    )
    rules, _ = detect_year(raw)
    (d,) = [d for d in check(raw, rules).diagnostics if d.code == "RB074"]
    assert d.name == "handin-cut" and d.line == 1
    assert "Group 42 report" in d.message and "front matter" in d.hint and "nav_exclude: true" in d.hint
    assert handin_codes(handin.FRONT_MATTER + raw) == []


def test_no_handin_diagnostic_where_both_views_agree() -> None:
    assert handin_codes(report_of("plain", "with *emphasis* and a [link](https://x.org)", "    code\n")) == []


@pytest.mark.shared
def test_real_cases_of_each_kind(shared: Path) -> None:
    """Real reports: a fenced block, a table, a list after a paragraph line."""
    found: Counter[str] = Counter()
    for path in report_files():
        for d in diagnostics(parse(path.read_text("utf-8"))):
            found[d.code] += 1
            assert d.hint and d.line
    for code in ("RB070", "RB071", "RB072", "RB073", "RB074"):
        assert found[code] >= 1, (code, found)


def _structure(section: Node) -> Counter[str]:
    """The section's structure counted from the page's DOM (independently of `handin_diff`)."""
    names = {
        "pre": "code",
        "table": "table",
        "li": "list",
        "ul": "list",
        "ol": "list",
        "img": "image",
        "a": "link",
        "details": "html",
    }
    names.update({f"h{n}": "heading" for n in range(1, 7)})
    got: Counter[str] = Counter()
    for node in section.walk():
        if node.tag in names and "rb-" not in node.attrs.get("class", ""):
            if node.tag == "a" and any(
                "rb-differs-note" in a.attrs.get("class", "") for a in node.ancestors()
            ):
                continue
            if node.tag == "img" or node.attrs.get("data-placeholder") is None:
                got[names[node.tag]] += 1
    for _box in section.find_all("span", **{"data-placeholder": None}):
        got["image"] += 1  # an image replaced by a placeholder box is still an image
    return got


@pytest.mark.shared
@pytest.mark.parametrize("path", report_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_handin_diagnostics_fire_exactly_where_the_views_differ(path: Path) -> None:
    raw = path.read_text("utf-8")
    rules, reason = detect_year(raw)
    verdict = check(raw, rules, None, "reports", reason)
    page = render_page(raw, no_files, verdict=verdict, plain=True).html
    hv, gv = view(page, "handin"), view(page, "github")
    differ: set[int] = set()
    for q in {q.number for q in verdict.report.questions}:
        (h,) = hv.find_all("section", id=f"question-{q}")
        (g,) = gv.find_all("section", id=f"github-question-{q}")
        if _structure(h) != _structure(g):
            differ.add(q)
    flagged = {d.question for d in verdict.diagnostics if d.name.startswith("handin-") and d.question}
    assert flagged == differ


def test_signature_counts_the_structure() -> None:
    got = signature(
        '<pre><code>x</code></pre><table></table><ul><li>a</li></ul><h3>t</h3><img src="x"><a href="y">'
    )
    assert [got[k] for k in KINDS] == [1, 1, 2, 1, 1, 1, 0]


@pytest.mark.shared
def test_measured_differing_answers(shared: Path, capsys: Any) -> None:
    """How many answers of the shared reports look different in the hand-in (the issue's figure)."""
    answers = reports = 0
    for path in report_files():
        v = views(parse(path.read_text("utf-8")))
        n = sum(bool(d) for d in v.differs)
        answers += n
        reports += bool(n)
    assert answers >= 100 and reports >= 25
    with capsys.disabled():
        print(f"\n{answers} answers in {reports} of {len(report_files())} reports differ in the hand-in")
