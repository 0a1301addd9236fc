"""Checker v2 items 2-9: fill-ins, copied answers, members, root-cause counts, prompt edits, checklist,
lazy continuation, and the words a student reads. Made-up reports and the real cases in shared/reports."""

from __future__ import annotations

import time

import pytest
from reportgen import make_report, placeholder
from test_diagnostics import FILES, R24, R26, one, only, real, run

from bot.report import feedback, members
from bot.report.check import check
from bot.report.terminal import format_text

LONG = " ".join(f"own{i}" for i in range(120))


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# ------------------------------------------------------------------ 2. leftover fill-ins


@pytest.mark.parametrize(
    ("fill", "token"),
    [
        ("{INSERT}", "`{INSERT}`"),
        ("??", "`??`"),
        ("XXXX", "`XXXX`"),
        ("TODO", "`TODO`"),
        ("TBD", "`TBD`"),
        ("[insert the coverage here]", "`[insert the coverage here]`"),
        ("lorem ipsum", "`lorem ipsum`"),
        ("...", "`...`"),
    ],
)
def test_fill_ins_are_named_with_their_line(fill: str, token: str) -> None:
    answer = f"{LONG}\n\nOur coverage is {fill} percent, we think."
    text = make_report(R26, {8: answer})
    d = one(check(text, R26, FILES), "RB003")
    assert d.question == 8 and d.line == line_of(text, "Our coverage is")
    assert token in d.message and f"on line {d.line}" in d.message


@pytest.mark.parametrize("prose", ["We built a todo app.", "What?? It worked.", "It was... fine.", "Xxxx"])
def test_words_that_look_like_fill_ins_are_not(prose: str) -> None:
    assert not only(run({8: f"{LONG}\n\n{prose}"}), "RB003")


def test_template_example_left_in() -> None:
    example = "From the cookiecutter template we have filled out the ... , ... and ... folder."
    prompt = f"> **{R26.questions[4].prompt}**"
    text = make_report(R26, {5: f"{example} {LONG}"}).replace(prompt, f"{prompt}\n>\n> *{example}*")
    d = one(check(text, R26, FILES), "RB003")
    assert d.question == 5 and d.line == line_of(text, f"{example} own0")
    assert d.message.startswith(f"The template's example text is still in the answer on line {d.line}")
    assert "fill in every `...`" in d.hint


def test_fill_in_real() -> None:
    d = one(real("ChrisVN123__02476_mlops_exam.md"), "RB003")
    assert d.line == 198 and "`...`" in d.message


# ------------------------------------------------------------------ 3. copied answers


def test_copied_answer_same_text() -> None:
    v = run({6: LONG, 9: "  " + LONG.replace(" ", "\n", 3)})
    d = one(v, "RB004")
    assert d.question == 9 and d.message.startswith(
        "The answer of question 9 is a copy of question 6's answer"
    )


def test_copied_answer_nearly_all_words_in_order() -> None:
    pasted = "Intro sentence of our own. " + LONG + ". One more of ours."
    d = one(run({6: LONG, 9: pasted}), "RB004")
    assert d.question == 6 and "question 9" in d.message and "same order" in d.message


def test_alike_short_answers_are_not_copies() -> None:
    assert not only(run({1: "42", 27: "We did not do this part.", 28: "We did not do this part."}), "RB004")


# ------------------------------------------------------------------ 4. group and study numbers


@pytest.mark.parametrize(
    ("answer", "bad"),
    [
        ("s123456, 183546, jonnil", ["183546", "jonnil"]),
        ("*s123456, s234567*", []),
        ("s123456 and s234567; s345678", []),
        ("--- s220493, s223306 ---", []),
        ("Hui Wang s210331, Muhammad mumukati@jabra.com", ["Muhammad mumukati@jabra.com"]),
    ],
)
def test_every_member_token(answer: str, bad: list[str]) -> None:
    assert members.not_study_numbers(answer) == bad


def test_study_number_without_s_named_with_its_fix() -> None:
    text = make_report(R26, {2: "s123456, 183546"})
    d = one(check(text, R26, FILES), "RB061")
    assert "`183546` is not a study number" in d.message and "`183546` → `s183546`" in d.hint
    assert d.line == line_of(text, "s123456, 183546")  # the answer's line, not the blank line above


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("42", True),
        ("Group 42", True),
        ("*Group 59*", True),
        ("#7", True),
        ("Awesome 21", False),
        ("MLOps 2", False),
    ],
)
def test_group_must_be_a_number(answer: str, ok: bool) -> None:
    assert (members.group_number(answer) is not None) == ok


def test_group_and_study_checks_are_linear() -> None:
    text = make_report(R26, {1: "1" + " " * 100_000 + "x", 2: "s123456" + " " * 100_000 + "x"})
    start = time.perf_counter()
    v = check(text, R26, FILES)
    assert time.perf_counter() - start < 2.0
    assert one(v, "RB060") and not only(v, "RB061")  # one member: a study number and a stray `x`


# ------------------------------------------------------------------ 5. root cause first


def test_heading_cut_but_too_long_once_gone() -> None:
    first, rest = " ".join(["a"] * 40), " ".join(["b"] * 200)
    d = one(run({8: f"{first}\n\n### Results\n\n{rest}\n\n### More\n\nc"}), "RB010")
    assert "The headings on lines" in d.message and "stop the official count at 40 words" in d.message
    assert "43 words over: 243 words once that is fixed, allows 100–200 words" in d.message
    assert "Replace the headings on lines" in d.hint and "cut at least 43 words" in d.hint


def test_heading_cut_and_still_short() -> None:
    d = one(run({8: "a " * 30 + "\n\n### Results\n\n" + "b " * 20}), "RB010")
    assert "49 words short: 51 words once that is fixed" in d.message and "add at least 49 words" in d.hint


def test_placeholder_words_left_out_of_the_shortfall() -> None:
    answer = placeholder(8) + "\n\n" + " ".join(["w"] * 96)  # 102 by the official count
    v = run({8: answer})
    d = one(v, "RB010")
    assert d.message.startswith(
        "The count includes the placeholder's 6 words: 4 words short: 96 words once that is fixed"
    )
    assert "Delete the placeholder on line" in d.hint and "add at least 4 words" in d.hint


def test_table_row_shows_the_root_cause_fix() -> None:
    v = run({8: " ".join(["a"] * 40) + "\n\n## Results\n\n" + " ".join(["b"] * 80)})
    md = feedback.render(v)
    row = next(r for r in md.splitlines() if r.startswith("| 8 |"))
    assert "Replace the heading on line" in row and "add at least" not in row


# ------------------------------------------------------------------ 6. prompt edits


def test_typo_fix_and_url_change_say_nothing() -> None:
    prompt = R26.questions[6].prompt or ""
    typo = prompt.replace("implement", "implemnt")
    assert not only(check(make_report(R26).replace(prompt, typo), R26, FILES), "RB050")


def test_rewording_is_an_info_showing_the_words() -> None:
    prompt = R26.questions[6].prompt or ""
    d = one(
        check(make_report(R26).replace(prompt, prompt.replace("How many tests", "Which tests")), R26, FILES),
        "RB050",
    )
    assert d.severity == "info" and "`how many` → `which`" in d.message and "Restore" not in d.hint


def test_deleted_prompt_warns() -> None:
    prompt = R26.questions[6].prompt or ""
    text = make_report(R26).replace(f"> **{prompt}**", ">")
    d = one(check(text, R26, FILES), "RB051")
    assert d.severity == "warning" and d.question == 7 and prompt[:40] in d.hint


def test_every_template_wording_is_known() -> None:
    from conftest import REPORTS, require_shared

    from bot.report.rules import detect_year

    require_shared()
    for path in sorted((REPORTS / "templates").glob("*.md")):
        raw = path.read_text("utf-8")
        rules, _ = detect_year(raw)
        assert not [d for d in check(raw, rules).diagnostics if d.code in ("RB050", "RB051")], path.name


# ------------------------------------------------------------------ 7. checklist


def test_checklist_lists_every_group_and_odd_boxes() -> None:
    from test_parse import CHECKLIST

    text = CHECKLIST + "\n> **q**\n>\n> Answer:\n\n42\n"
    v = check(text, R26, FILES)
    assert v.checklist.groups == (("Week 1", 6, 8), ("Week 2", 0, 0), ("Extra", 0, 1))
    d = one(v, "RB080")
    assert (
        d.severity == "info"
        and "`[✅]`, `[✔]`" in d.message
        and "GitHub will not show them as a checkbox" in d.message
    )


def test_checklist_real() -> None:
    v = real("Anushri2706__02476-Group120.md")
    assert "`[50%]`" in one(v, "RB080").message
    assert [g[0] for g in real("DTU-MLOPS-12__dtu_mlops_project.md").checklist.groups][:4] == [
        "Week 1",
        "Week 2",
        "Week 3",
        "Extra",
    ]


# ------------------------------------------------------------------ 8. lazy continuation


def test_answer_right_after_the_answer_line_is_in_the_quote() -> None:
    text = make_report(R26, {7: LONG[:400]}).replace("> Answer:\n\n" + LONG[:400], "> Answer:\n" + LONG[:400])
    d = one(check(text, R26, FILES), "RB030")
    assert d.question == 7 and "Markdown shows it inside the quote" in d.message
    assert d.hint.startswith(f"Add a blank line after line {d.line - 1}")


def test_lazy_continuation_real() -> None:
    d = at_code(real("JonatanRasmussen__DTU-02476-Group-100-Project.md"), "RB030", 27)
    assert d.line == 614 and "(line" not in d.message


def at_code(v, code: str, question: int):  # type: ignore[no-untyped-def]
    return next(d for d in only(v, code) if d.question == question)


# ------------------------------------------------------------------ 9. words a student reads


def test_singular_words_and_images() -> None:
    v = run({7: " ".join(["w"] * 49), 14: " ".join(["w"] * 200)})
    assert one(v, "RB010").message.startswith("1 word short: 49 words")
    assert "1 image short" in one(v, "RB012").message


def test_answer_in_quote_message_has_no_line() -> None:
    text = make_report(R26).replace("> Answer:\n\n42", "> Answer: 42", 1)
    d = one(check(text, R26, FILES), "RB030")
    assert d.message == "The answer of question 1 is written inside the quoted question"


def test_footer_is_a_fact() -> None:
    md = feedback.render(run())
    assert "checked a local file" in md and "commit the working copy" not in md


def test_untouched_template_is_not_started() -> None:
    from conftest import REPORTS, require_shared

    from bot.report.rules import detect_year

    require_shared()
    raw = (REPORTS / "templates" / "template-2026-01-09.md").read_text("utf-8")
    v = check(raw, detect_year(raw)[0], FILES)
    md = feedback.render(v)
    assert md.startswith("### 📝 Not started: the report is still the template (31 questions to answer)")
    assert md.count("❌") == 1 and "<details><summary>31 items, question by question</summary>" in md
    assert "not started" in format_text(v, "README.md")


def test_headline_without_a_cross_when_every_question_passes() -> None:
    v = run({5: " ".join(f"x{i}" for i in range(150)) + "\n\n![a](figures/missing.png)"})
    assert v.official.passed == 31
    head = feedback.headline(v)
    assert head.startswith("🟠 31/31 pass the official check · 1 problem to fix") and "❌" not in head
    md = feedback.render(v)
    assert "**Question 5 · Project structure (cookiecutter) (passes the official check, but:)**" in md
    warn = run({8: f"{LONG}\n\nsee [x](../x.py)"})
    assert feedback.headline(warn).startswith("⚠️ 31/31 pass the official check · 1 warning")


def test_alike_diagnostics_are_grouped() -> None:
    v = real("002_90da82d1f906f152.md")
    md = feedback.render(v)
    bullets = [line for line in md.splitlines() if line.startswith("- ")]
    assert len(bullets) < 20  # 62 near-identical bullets before
    assert "and the same on 30 more questions" in md


def test_no_exception_on_any_shared_report() -> None:
    from conftest import report_files

    for path in report_files():
        raw = path.read_text("utf-8")
        for rules in (R24, R26):
            v = check(raw, rules, FILES, "reports", permalink_base="https://github.com/o/r/blob/s")
            feedback.render(v)
            format_text(v, str(path))


def test_readme_lists_every_code_with_its_severity() -> None:
    from pathlib import Path

    from bot.report.diagnostics import CODES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for code, (name, severity) in CODES.items():
        assert f"| {code} | {name} | {severity} | " in readme, code


def test_counts_that_differ_are_not_grouped() -> None:
    v = run({5: "w " * 13, 6: "w " * 20, 9: "w " * 30})
    md = feedback.render(v)
    assert "87 words short" in md and "80 words short" in md and "70 words short" in md
    assert "and the same on" not in md
