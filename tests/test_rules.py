"""Rule sets: built-ins, YAML validation, report.py extraction with ast, and `auto`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import REPORTS, require_shared
from reportgen import make_report

from bot.report.rules import (
    BUILTIN,
    BUILTIN_DIR,
    Range,
    RuleSetError,
    builtin,
    detect_year,
    from_report_py,
    from_yaml,
    resolve,
)

TABLE_2026 = {
    3: (Range(0, 200), None),
    14: (Range(200, 300), Range(1, 3)),
    29: (Range(200, 400), Range(1, 1)),
}


def test_builtin_tables() -> None:
    r26, r25, r24 = (builtin(n) for n in BUILTIN)
    assert (r26.total, r25.total, r24.total) == (31, 31, 27)
    for n, (words, images) in TABLE_2026.items():
        assert (r26.rule(n).words, r26.rule(n).images) == (words, images)  # type: ignore[union-attr]
    assert r25.rule(3).words == Range(100, 200)  # type: ignore[union-attr]
    assert [(q.words, q.images) for q in r25.questions][3:] == [(q.words, q.images) for q in r26.questions][
        3:
    ]
    assert r24.official.skip_chars == 43 and r24.official.drop_preamble == "slice"
    assert r24.rule(24).words == Range(25, 100) and r24.rule(20).images == Range(1, 1)  # type: ignore[union-attr]
    assert r26.rule(1).words is None and r26.rule(1).images is None  # type: ignore[union-attr]


@pytest.mark.parametrize("name", BUILTIN)
def test_json_twin_equals_yaml(name: str) -> None:
    """`rules/NAME.json` (loaded for speed) must be the compiled `rules/NAME.yml`: run `python -m bot.report.rules`."""
    src = yaml.safe_load(Path(BUILTIN_DIR, f"{name}.yml").read_text("utf-8"))
    assert json.loads(Path(BUILTIN_DIR, f"{name}.json").read_text("utf-8")) == src


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nquestions: - a\n",
            "bad.yml: line 2: not valid YAML (block sequence entries are not allowed",
        ),
        ("- 1\n- 2\n", "bad.yml: (top level): expected a mapping with name and questions, got 'list'"),
        ("name: x\n", "bad.yml: questions: expected a non-empty list, got None"),
        (
            "name: x\nquestions:\n- number: 2\n",
            "bad.yml: questions[0].number: expected 1 (questions numbered 1, 2, ...), got 2",
        ),
        (
            "name: x\nquestions:\n- number: 1\n  words: {min: 10, max: 5}\n",
            "bad.yml: questions[0].words: expected min <= max, got 'min 10 > max 5'",
        ),
        (
            "name: x\nquestions:\n- number: 1\n  words: {min: -1, max: 5}\n",
            "bad.yml: questions[0].words.min: expected a whole number >= 0, got -1",
        ),
        (
            "name: x\nquestions:\n- number: 1\n  word: {min: 1, max: 5}\n",
            "bad.yml: questions[0]: expected only number, topic, prompt, words, images, expect, got ['word']",
        ),
        (
            "name: x\nofficial: {drop_preamble: nope}\nquestions:\n- number: 1\n",
            "bad.yml: official.drop_preamble: expected pop or slice, got 'nope'",
        ),
    ],
)
def test_malformed_rule_sets_are_refused_with_file_key_and_expectation(text: str, expected: str) -> None:
    with pytest.raises(RuleSetError) as err:
        from_yaml(text, "bad.yml")
    assert str(err.value).startswith(expected)


def test_custom_rule_set_from_yaml() -> None:
    text = """
name: another-course
questions:
  - number: 1
    topic: Names
  - number: 2
    topic: Method
    prompt: [Describe your method., Describe the method.]
    words: {min: 10, max: 20}
    images: {min: 1, max: 2}
"""
    r = from_yaml(text, "course.yml")
    assert r.name == "another-course" and r.total == 2
    assert r.rule(2).prompt == "Describe your method." and r.rule(2).variants == ("Describe the method.",)  # type: ignore[union-attr]
    assert r.official.error.startswith("Number of answers are different from the expected 2")


@pytest.mark.parametrize(
    ("script", "name"),
    [
        ("report-2026-01-09.py", "dtu-mlops-2026"),
        ("report-2025-01-24.py", "dtu-mlops-2025"),
        ("report-2024-11-21.py", "dtu-mlops-2024"),
    ],
)
def test_report_py_read_with_ast_equals_builtin(script: str, name: str) -> None:
    require_shared()
    r = from_report_py((REPORTS / "official" / script).read_text("utf-8"), "reports/report.py")
    b = builtin(name)
    assert r.name == name and r.source == "reports/report.py"
    assert [(q.words, q.images) for q in r.questions] == [(q.words, q.images) for q in b.questions]
    assert r.official == b.official


def test_next_years_report_py_works_without_a_release() -> None:
    require_shared()
    src = (REPORTS / "official" / "report-2026-01-09.py").read_text("utf-8")
    changed = src.replace(
        '"question_7": LengthConstraints(min_length=50, max_length=100)',
        '"question_7": LengthConstraints(min_length=60, max_length=120)',
    )
    r = from_report_py(changed, "report.py")
    assert r.name == "report.py" and r.rule(7).words == Range(60, 120)  # type: ignore[union-attr]
    assert r.rule(7).topic == builtin("dtu-mlops-2026").rule(7).topic  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def check(:\n", "report.py: line 1: not valid Python"),
        ("def html():\n    pass\n", "report.py: expected a function check()"),
        (
            "def check():\n    x = {'question_1': Weird()}\n",
            "report.py: question_1: unknown constraint 'Weird'",
        ),
        (
            "def check():\n    x = {'question_1': LengthConstraints(min_length=a, max_length=3)}\n",
            "report.py: question_1.min_length: expected a whole number literal, got 'a'",
        ),
    ],
)
def test_unreadable_report_py(source: str, message: str) -> None:
    with pytest.raises(RuleSetError) as err:
        from_report_py(source, "report.py")
    assert str(err.value).startswith(message)


def test_report_py_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    src = f"open({str(marker)!r}, 'w').write('x')\ndef check():\n    open({str(marker)!r}, 'w')\n    q = {{'question_1': NoConstraints()}}\n"
    r = from_report_py(src, "report.py")
    assert r.total == 1 and not marker.exists()


def test_auto_detection_on_templates_and_seeds() -> None:
    require_shared()
    t = REPORTS / "templates"
    assert detect_year((t / "template-2023-09-27.md").read_text("utf-8"))[0].name == "dtu-mlops-2024"
    assert detect_year((t / "template-2025-01-24.md").read_text("utf-8"))[0].name == "dtu-mlops-2025"
    assert detect_year((t / "template-2026-01-09.md").read_text("utf-8"))[0].name == "dtu-mlops-2026"
    # Seed 004 is a 2026 report with the old question-3 wording: the `uv add` line tells its year.
    rules, why = detect_year((REPORTS / "seeds" / "004_2dcbcc6c38a228b3.md").read_text("utf-8"))
    assert rules.name == "dtu-mlops-2026" and "uv add typer markdown" in why


def test_resolve_says_what_it_picked_and_why() -> None:
    report = make_report(builtin("dtu-mlops-2024"))
    assert resolve("auto", report) == (
        builtin("dtu-mlops-2024"),
        "dtu-mlops-2024: the report has 27 questions (the 27-question template)",
    )
    assert resolve("dtu-mlops-2025", report)[1] == "dtu-mlops-2025 (asked for)"
    rules, why = resolve("auto", report, report_py="def check(:", report_py_source="reports/report.py")
    assert rules.name == "dtu-mlops-2024" and why.startswith(
        "dtu-mlops-2024: reports/report.py could not be read ("
    )
    with pytest.raises(RuleSetError, match=r"no-such\.yml: not a built-in rule set"):
        resolve("no-such.yml", report)
