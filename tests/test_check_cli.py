"""`report-bot check`: formats, exit statuses, bad input, repository root, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPORTS, require_shared
from reportgen import FIGURE, make_report

from bot.cli.main import main
from bot.report import feedback
from bot.report.check import check
from bot.report.rules import builtin

R26 = builtin("dtu-mlops-2026")


def repo(tmp_path: Path, text: str, figures: tuple[str, ...] = ("fig.png",)) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "reports" / "figures").mkdir(parents=True)
    for f in figures:
        (tmp_path / "reports" / "figures" / f).write_bytes(b"\x89PNG\r\n\x1a\n")
    path = tmp_path / "reports" / "README.md"
    path.write_text(text, "utf-8")
    return path


def test_passing_report_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo(tmp_path, make_report(R26))
    assert main(["check", str(path), "--rules", "dtu-mlops-2026"]) == 0
    out = capsys.readouterr().out
    assert "official check: 31/31 questions pass" in out and "0 errors, 0 warnings" in out
    assert "\033[" not in out  # no colour when not a tty


def test_missing_figure_found_through_the_git_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo(tmp_path, make_report(R26), figures=())
    assert main(["check", str(path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["official"]["passed"] == 31
    assert {d["code"] for d in data["diagnostics"]} == {"RB020"}
    assert data["rules"] == "dtu-mlops-2026" and data["rules_reason"].startswith("dtu-mlops-2026: ")


def test_repo_root_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo(tmp_path, make_report(R26), figures=())
    other = tmp_path / "elsewhere"
    (other / "reports" / "figures").mkdir(parents=True)
    (other / "reports" / "figures" / "fig.png").write_bytes(b"x")
    assert (
        main(["check", str(path), "--repo-root", str(other), "--format", "json"]) == 1
    )  # report dir is outside
    capsys.readouterr()


def test_markdown_is_exactly_the_posted_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = make_report(R26, {5: "too short"})
    path = repo(tmp_path, text)
    assert main(["check", str(path), "--format", "markdown", "--rules", "dtu-mlops-2026"]) == 1
    v = check(text, R26, [f"reports/{FIGURE}"], "reports", "dtu-mlops-2026 (asked for)")
    assert capsys.readouterr().out == feedback.render(v) + "\n"


def test_json_matches_the_issue_contract(capsys: pytest.CaptureFixture[str]) -> None:
    require_shared()
    assert main(["check", str(REPORTS / "seeds" / "000_8087f8353d4a158a.md"), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["rules"] == "dtu-mlops-2025"
    assert (
        data["official"]["error"] is None
        and data["official"]["passed"] == 21
        and data["official"]["total"] == 31
    )
    assert data["official"]["questions"][0] == {
        "number": 1,
        "words": 2,
        "images": 0,
        "passed": True,
        "failed": [],
    }
    assert data["checklist"]["ticked"] == 34 and data["checklist"]["total"] == 52
    d = next(d for d in data["diagnostics"] if d["question"] == 5)
    assert d == {
        "code": "RB010",
        "name": "too-few-words",
        "severity": "error",
        "question": 5,
        "line": 185,
        "message": "87 words short: 13 words, needs 100–200 words",
        "hint": "Add at least 87 words to the answer of question 5 (lines 185–187).",
    }


def test_crash_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo(tmp_path, make_report(R26, skip=(4,)))
    assert main(["check", str(path), "--format", "json", "--rules", "dtu-mlops-2026"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["official"]["error"].startswith("Number of answers are different")
    assert data["official"]["passed"] is None and data["official"]["questions"] is None
    assert "RB043" in {d["code"] for d in data["diagnostics"]}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no such report"),
        (lambda p: p.write_bytes(b"\xff\xfe bad"), "not UTF-8 text"),
        (lambda p: p.write_text("# Just a readme\n\nHello.\n"), "this is not a report from the template"),
        (lambda p: p.mkdir(), "is a directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, message
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "README.md"
    setup(path)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_malformed_rule_set_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo(tmp_path, make_report(R26))
    rules = tmp_path / "rules.yml"
    rules.write_text("name: x\nquestions:\n- number: 3\n")
    assert main(["check", str(path), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert f"{rules}: questions[0].number: expected 1" in err


def test_custom_rule_set_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo(tmp_path, "### Question 1\n> **Say hi**\n>\n> Answer:\n\nhello there\n")
    rules = tmp_path / "rules.yml"
    rules.write_text("name: tiny\nquestions:\n- number: 1\n  topic: Greeting\n  words: {min: 1, max: 5}\n")
    assert main(["check", str(path), "--rules", str(rules), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rules"] == "tiny" and data["official"]["passed"] == 1


def test_report_py_beside_the_report_is_read_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_shared()
    path = repo(tmp_path, make_report(builtin("dtu-mlops-2025")))
    src = (REPORTS / "official" / "report-2025-01-24.py").read_text("utf-8")
    (path.parent / "report.py").write_text("raise SystemExit('executed!')\n" + src)
    assert main(["check", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rules"] == "dtu-mlops-2025" and "report.py beside the report" in data["rules_reason"]


def test_check_does_not_import_the_web_or_github_stack() -> None:
    code = "import sys, bot.cli.main, bot.cli.check; bad = [m for m in ('fastapi', 'githubkit', 'uvicorn', 'sqlalchemy', 'httpx', 'markdown_it', 'yaml') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_console_script_runs(tmp_path: Path) -> None:
    path = repo(tmp_path, make_report(R26))
    exe = Path(sys.executable).parent / "report-bot"
    res = subprocess.run([str(exe), "check", str(path)], capture_output=True, text=True)
    assert res.returncode == 0 and "31/31" in res.stdout


def test_render_subcommand_through_the_main_cli(tmp_path: Path) -> None:
    path = repo(tmp_path, make_report(R26))
    out = tmp_path / "page.html"
    assert main(["render", str(path), "-o", str(out), "--rules", "dtu-mlops-2026"]) == 0
    page = out.read_text("utf-8")
    assert "<html" in page.lower() and "data:image/png;base64," in page
