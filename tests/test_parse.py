"""Parsing: the report's structure, robust to what students really write."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import report_files, require_shared
from reportgen import make_report, placeholder

from bot.report.parse import parse
from bot.report.rules import builtin

R26 = builtin("dtu-mlops-2026")


def test_questions_parts_and_spans() -> None:
    text = make_report(R26, {5: "Our answer here.\n\nSecond paragraph."})
    rep = parse(text)
    assert [q.number for q in rep.questions] == list(range(1, 32))
    q5 = rep.find(5)[0]
    lines = text.split("\n")
    assert lines[q5.heading_line - 1] == "### Question 5"
    assert q5.prompt == R26.questions[4].prompt
    assert q5.recommended == (100, 200)
    assert lines[q5.marker_line - 1] == "> Answer:"
    assert q5.answer == "Our answer here.\n\nSecond paragraph."
    assert lines[q5.answer_span.start - 1] == "" and "Our answer here." in lines[q5.answer_span.start]
    assert q5.span.end == rep.find(6)[0].heading_line - 1


def test_crlf_and_bom_keep_line_numbers() -> None:
    text = make_report(R26)
    lf = parse(text)
    crlf = parse("\ufeff" + text.replace("\n", "\r\n"))
    assert crlf.bom and crlf.crlf and not lf.bom
    assert [(q.number, q.heading_line, q.answer) for q in crlf.questions] == [
        (q.number, q.heading_line, q.answer) for q in lf.questions
    ]


def test_heading_with_extra_spaces_and_case() -> None:
    rep = parse("##   question  7   \n> **Prompt**\n>\n> Answer:\n\nSeven words are in this answer here.\n")
    assert [q.number for q in rep.questions] == [7]
    assert rep.questions[0].answer == "Seven words are in this answer here."


def test_answer_written_inside_the_quote() -> None:
    rep = parse(
        "### Question 1\n> **Enter the group number**\n>\n> Answer: 42\n\n--- question 1 fill here ---\n"
    )
    q = rep.questions[0]
    assert q.quoted_answer == "42"
    assert q.placeholder_lines == (6,)


def test_answer_marker_outside_the_quote() -> None:
    rep = parse("### Question 3\n> **Prompt**\n>\nAnswer:\nWe used typer.\n\n### Question 4\n")
    q = rep.questions[0]
    assert q.marker_line == 4 and q.answer == "We used typer."


def test_duplicated_missing_and_extra_headings() -> None:
    text = make_report(R26, skip=(7,), duplicate=(9,), tail="\n## Appendix\n\nMore text.\n")
    rep = parse(text)
    numbers = [q.number for q in rep.questions]
    assert 7 not in numbers and numbers.count(9) == 2
    assert rep.headings[-1].title == "Appendix"
    assert "More text." not in rep.find(31)[0].answer


def test_html_and_code_in_answers() -> None:
    answer = '<img src="figures/a.png" width="300">\n\n```python\n### not a heading\n```'
    rep = parse(make_report(R26, {14: answer}))
    q = rep.find(14)[0]
    assert "<img" in q.answer and "### not a heading" in q.answer
    assert all(h.title != "not a heading" for h in rep.headings)


def test_unclosed_fence_does_not_swallow_questions() -> None:
    rep = parse(make_report(R26, {10: "```bash\ndvc pull\n"}))
    assert [q.number for q in rep.questions] == list(range(1, 32))


def test_front_matter_and_checklist() -> None:
    rep = parse(make_report(R26, front_matter=True, checklist=(True, True, False, False)))
    assert rep.front_matter == "layout: default\nnav_exclude: true"
    assert [(c.group, c.ticked) for c in rep.checklist] == [("Week 1", True)] * 2 + [("Week 1", False)] * 2


def test_placeholder_lines() -> None:
    rep = parse(make_report(R26, {4: placeholder(4)}))
    q = rep.find(4)[0]
    assert rep.lines[q.placeholder_lines[0] - 1] == placeholder(4)


@pytest.mark.parametrize("path", report_files(), ids=lambda p: p.name)
def test_real_reports_have_their_questions(path: Path, manifest: dict) -> None:
    require_shared()
    rep = parse(path.read_text("utf-8"))
    numbers = {q.number for q in rep.questions}
    entry = manifest.get(path.name)
    if entry is not None:
        assert len(numbers) == entry["questions_with_heading"]
        assert (rep.front_matter is not None) == entry["has_front_matter"]
        # The manifest counts the template's own example placeholder in the intro too.
        in_intro = sum("fill here ---" in line for line in rep.lines[: rep.questions[0].heading_line])
        placeholders = sum(len(q.placeholder_lines) for q in rep.questions)
        assert placeholders + in_intro == entry["placeholders_left"]
    else:
        assert numbers in (set(range(1, 28)), set(range(1, 32)))


CHECKLIST = """# Report

## Overall project checklist

### Week 1

- [x] dash
* [X] star capital
+ [x] plus
- [✅] emoji
- [✔] check mark
1. [x] numbered
2) [ ] numbered open
- [ ] open
- [](not a box) a link
- [ab](figures/x.png) a link too

### Week 2

### Extra

- [ ] open

### Question 1
"""


def test_every_checkbox_form() -> None:
    rep = parse(CHECKLIST)
    got = [(c.text, c.ticked, c.box) for c in rep.checklist]
    assert got == [
        ("dash", True, "x"),
        ("star capital", True, "X"),
        ("plus", True, "x"),
        ("emoji", True, "✅"),
        ("check mark", True, "✔"),
        ("numbered", True, "x"),
        ("numbered open", False, " "),
        ("open", False, " "),
        ("open", False, " "),
    ]


def test_checklist_regex_is_linear() -> None:
    import time

    line = "- " + " " * 100_000 + "[x" + "]" * 5
    start = time.perf_counter()
    parse("# R\n\n" + line + "\n" + ("1" * 100_000) + ". [x\n\n### Question 1\n")
    assert time.perf_counter() - start < 2.0
