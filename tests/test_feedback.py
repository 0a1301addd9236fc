"""The comment Markdown: headline, failing table, diagnostics by question, folded passes, escaping, size."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from reportgen import FIGURE, make_report, placeholder

from bot.report import feedback
from bot.report.check import check
from bot.report.rules import builtin

R26 = builtin("dtu-mlops-2026")
FILES = [f"reports/{FIGURE}"]


def body(answers: dict[int, str] | None = None, **kw) -> str:  # type: ignore[no-untyped-def]
    v = check(make_report(R26, answers, **kw), R26, FILES, "reports", "dtu-mlops-2026 (asked for)")
    return feedback.render(v, commit="0123456789abcdef")


def test_structure_of_a_failing_verdict() -> None:
    md = body({5: " ".join(["w"] * 13), 9: placeholder(9)}, checklist=(True, False))
    assert md.startswith("### ❌ 29/31 questions pass the official check · 2 errors")
    assert "| 5 | Project structure (cookiecutter) | **13 (100–200)** | 0 | Add at least 87 words" in md
    assert (
        "| 9 | Branches and pull requests | **6 (100–200)** | 0 | Replace `--- question 9 fill here ---`"
        in md
    )
    assert "**Question 5 · Project structure (cookiecutter)**" in md
    assert "<details><summary>✅ 29 questions pass</summary>" in md
    assert "**Checklist:** 1/2 ticked (Week 1 1/2)" in md
    assert "Rule set `dtu-mlops-2026` (asked for) · checked commit `0123456`" in md


def test_passing_verdict() -> None:
    md = body()
    assert md.startswith("### ✅ 31/31 questions pass the official check")
    assert (
        "What to fix" not in md
        and "| # | Topic | Words (allowed) | Images (allowed) | What to do |" not in md
    )


def test_crash_headline() -> None:
    md = body(tail="\n### Appendix\n")
    assert md.startswith("### 💥 The official `report.py check` would stop with an error")
    assert "> Number of answers are different from the expected 31 (got 32)" in md


def test_student_text_cannot_mention_link_or_inject() -> None:
    evil = "@octocat @org/team #12 <script>alert(1)</script> | pipe `tick` <img src=x onerror=alert(1)>"
    md = body({1: evil})  # question 1 expects a group number: the answer is quoted in the diagnostic
    outside_code = re.sub(r"`[^`]*`", "", md)
    assert "@octocat" not in outside_code and "<script" not in outside_code and "<img" not in outside_code


def test_escape() -> None:
    assert feedback.escape("hi @bob see #3 <b>x</b>") == "hi @\u200bbob see #\u200b3 &lt;b&gt;x&lt;/b&gt;"
    assert feedback.escape("a | b `c|d`", table=True) == "a \\| b `c\\|d`\u200b"
    assert feedback.escape("`@bob` stays") == "\u200b`@bob` stays"


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=0, max_size=3000))
def test_any_student_text_is_contained(text: str) -> None:
    md = body({1: text, 14: text, 31: text})
    outside_code = re.sub(r"`[^`\n]*`", "", md)
    assert not re.search(r"(?<![\w\u200b])@[A-Za-z0-9]", outside_code)
    assert "<script" not in outside_code.lower()
    assert len(md) < feedback.LIMIT


def test_size_limit_with_a_notice() -> None:
    # Thousands of broken image links: far more diagnostics than fit in one comment.
    many = "\n".join(f"![x](figures/missing-{i}.png)" for i in range(3000))
    md = body({14: " ".join(["w"] * 250) + "\n" + many})
    assert len(md) <= feedback.LIMIT
    assert re.search(r"…and \d+ more not shown", md)
    assert md.rstrip().endswith("</sub>")  # the footer survives


def test_annotations() -> None:
    v = check(make_report(R26, {5: " ".join(["w"] * 13)}), R26, FILES)
    notes = feedback.annotations(v, "reports/README.md")
    assert notes == [
        {
            "path": "reports/README.md",
            "start_line": v.diagnostics[0].line,
            "end_line": v.diagnostics[0].line,
            "annotation_level": "failure",
            "title": "RB010 too-few-words (question 5)",
            "message": "87 words short: 13 words, needs 100–200 words\nAdd at least 87 words to the answer of question 5 "
            f"(lines {v.report.find(5)[0].answer_span.start}–{v.report.find(5)[0].answer_span.end}).",
        }
    ]


def test_signature_changes_only_with_the_verdict() -> None:
    a = check(make_report(R26, {5: " ".join(["w"] * 13)}), R26, FILES)
    b = check(make_report(R26, {5: " ".join(["v"] * 14)}), R26, FILES)
    c = check(make_report(R26), R26, FILES)
    assert feedback.signature(a) == feedback.signature(b) != feedback.signature(c)
