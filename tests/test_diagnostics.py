"""Every diagnostic, on small made-up reports and on real cases from shared/reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPORTS, require_shared
from reportgen import FIGURE, make_report, placeholder

from bot.report.check import Verdict, check
from bot.report.diagnostics import CODES, Diagnostic
from bot.report.rules import builtin, detect_year

R26 = builtin("dtu-mlops-2026")
R24 = builtin("dtu-mlops-2024")
FILES = [f"reports/{FIGURE}", "reports/figures/Loss.png", "reports/figures/arch.png"]


def run(answers: dict[int, str] | None = None, rules=R26, files=FILES, **kw) -> Verdict:  # type: ignore[no-untyped-def]
    return check(make_report(rules, answers, **kw), rules, files, "reports")


def only(v: Verdict, code: str) -> list[Diagnostic]:
    return [d for d in v.diagnostics if d.code == code]


def one(v: Verdict, code: str) -> Diagnostic:
    found = only(v, code)
    assert len(found) == 1, [(d.code, d.message) for d in v.diagnostics]
    return found[0]


def real(name: str, rules_name: str | None = None) -> Verdict:
    require_shared()
    import json

    path = next(REPORTS.glob(f"*/{name}"))
    raw = path.read_text("utf-8")
    rules, why = (builtin(rules_name), rules_name) if rules_name else detect_year(raw)
    manifest = {e["file"]: e for e in json.loads((REPORTS / "corpus" / "manifest.json").read_text("utf-8"))}
    files = manifest[name]["figures"] if name in manifest else None
    return check(raw, rules, files, "reports", why)


def at(v: Verdict, code: str, question: int) -> Diagnostic:
    found = [d for d in only(v, code) if d.question == question]
    assert found, [(d.code, d.question) for d in v.diagnostics]
    return found[0]


def test_clean_report_has_no_diagnostics() -> None:
    v = run()
    assert v.diagnostics == () and v.ok and v.official.passed == 31


def test_every_code_has_a_name_and_severity() -> None:
    assert len({name for name, _ in CODES.values()}) == len(CODES)


# ------------------------------------------------------------------ placeholders


def test_placeholder_alone_is_not_answered() -> None:
    v = run({5: placeholder(5)})
    d = one(v, "RB001")
    assert (d.question, d.severity, d.message) == (5, "error", "Question 5 is not answered")
    assert d.hint == f"Replace `{placeholder(5)}` on line {d.line} with your answer (100–200 words)."
    assert not only(v, "RB010")  # the count is the placeholder's: one diagnostic says it


def test_placeholder_next_to_an_answer_adds_six_words() -> None:
    text = " ".join(["word"] * 100)
    v = run({5: f"{text}\n\n{placeholder(5)}"})
    d = one(v, "RB002")
    assert d.hint.startswith("Remove the placeholder, it adds 6 words")
    assert v.official.questions[4].words == 106  # type: ignore[index]


def test_placeholders_real() -> None:
    v = real("000_8087f8353d4a158a.md")
    assert at(v, "RB001", 3).line == 146
    v2 = real("002_90da82d1f906f152.md")
    assert at(v2, "RB002", 1).line == 126


# ------------------------------------------------------------------ counts


def test_words_short_and_over_say_how_far() -> None:
    v = run({5: " ".join(["w"] * 13), 7: " ".join(["w"] * 114)})
    assert one(v, "RB010").message == "87 words short: 13 words, needs 100–200 words"
    assert one(v, "RB011").message == "14 words over: 114 words, allows 50–100 words"


def test_images_short_and_over() -> None:
    words = " ".join(["w"] * 250)
    v = run({14: words, 29: words + "\n" + f"![a]({FIGURE}) ![b]({FIGURE})"})
    assert one(v, "RB012").message == "1 image short: 0, needs 1–3 images"
    assert one(v, "RB013").message == "1 image over: 2, allows exactly 1 image"


def test_counts_real() -> None:
    v = real("000_8087f8353d4a158a.md")
    assert at(v, "RB010", 5).message == "87 words short: 13 words, needs 100–200 words"
    assert at(real("Lucasmogsan__dtu-02476_mlops.md"), "RB013", 14).message.startswith("3 images over: 6")
    assert (
        at(real("RABL1N__02476-Project.md"), "RB011", 31).message
        == "42 words over: 342 words, allows 50–300 words"
    )


# ------------------------------------------------------------------ images


@pytest.mark.parametrize(
    ("link", "code", "hint"),
    [
        (
            "figures/zzz-other.png",
            "RB020",
            "Add the file at `reports/figures/zzz-other.png` (commit it) or fix the link.",
        ),
        (
            "figures/los.png",
            "RB020",
            "Did you mean `figures/Loss.png`? It exists; otherwise add the file at `reports/figures/los.png`.",
        ),
        ("figures/loss.png", "RB021", "Change the link to `figures/Loss.png` (or rename the file)."),
        ("figures\\arch.png", "RB022", "Write it with forward slashes: `figures/arch.png`."),
        (
            "/home/me/project/reports/figures/arch.png",
            "RB023",
            "Use a path relative to the report, e.g. `figures/arch.png`.",
        ),
        (
            "C:\\Users\\me\\figures\\arch.png",
            "RB023",
            "Use a path relative to the report, e.g. `figures/arch.png`.",
        ),
        (
            "https://example.com/shot.png",
            "RB024",
            "Download it into `reports/figures/` and link `figures/shot.png` instead.",
        ),
        (
            "figures/arch.gif",
            "RB025",
            "Convert it to PNG (or JPEG), save it in `figures/` and update the link.",
        ),
    ],
)
def test_image_link_problems(link: str, code: str, hint: str) -> None:
    words = " ".join(["w"] * 250)
    v = run({14: f"{words}\n\n![shot]({link})"})
    d = next(d for d in v.diagnostics if d.code == code)
    assert d.question == 14 and d.hint == hint


def test_html_img_and_relative_parent_links() -> None:
    words = " ".join(["w"] * 250)
    v = run({14: f'{words}\n\n![a](./figures/../figures/fig.png) <img src="figures/nope.png" width="200">'})
    assert [d.code for d in v.diagnostics] == ["RB020"] and "figures/nope.png" in v.diagnostics[0].message


def test_image_links_inside_code_are_not_images() -> None:
    words = " ".join(["w"] * 250)
    v = run({14: f"{words}\n\n![a]({FIGURE})\n\n```\n![b](figures/not-here.png)\n```"})
    assert not only(v, "RB020")


def test_images_real() -> None:
    assert at(real("XanderBaatz__dtu_mlops_project.md"), "RB020", 20).hint.startswith(
        "Did you mean `figures/artifact-registry.png`?"
    )
    assert (
        at(real("s163928__02476_MLOPS_Project.md"), "RB021", 14).hint
        == "Change the link to `figures/WandB-Metrices.png` (or rename the file)."
    )
    assert (
        at(real("002_90da82d1f906f152.md"), "RB022", 26).hint
        == "Write it with forward slashes: `figures/gcloud-SLO.png`."
    )
    assert (
        at(real("GabrielGosden__02476_machine_learning_operations_project.md"), "RB023", 14).hint
        == "Use a path relative to the report, e.g. `figures/wandb_ss.png`."
    )
    assert at(real("ThorxNxEriksen__ml_ops_02476.md"), "RB024", 14).severity == "warning"
    assert at(real("sarphiv__dtu-02476-ml-ops.md"), "RB025", 25).message.startswith(
        "The image `figures/overview.svg` is a `.svg`"
    )
    wrong_folder = at(real("mlops-project-group27__MLOps_project.md"), "RB020", 11)
    assert wrong_folder.hint.startswith("Did you mean `figures/git_hub_actions_checks.png`?")


# ------------------------------------------------------------------ answer in the quote


def test_answer_in_quote() -> None:
    text = make_report(R26).replace(
        "> **Enter the group number you signed up on <learn.inside.dtu.dk>**\n>\n> Answer:",
        "> **Enter the group number you signed up on <learn.inside.dtu.dk>**\n>\n> Answer: 42",
    )
    v = check(text, R26, FILES)
    d = one(v, "RB030")
    assert d.question == 1 and d.hint.startswith(
        f"Move the text after `Answer:` on line {d.line} below the quote"
    )


def test_answer_in_quote_real() -> None:
    assert at(real("002_90da82d1f906f152.md"), "RB030", 1).line == 124


# ------------------------------------------------------------------ what crashes or miscounts the official script


def test_answer_marker_inside_an_answer_shifts_the_official_count() -> None:
    v = run({8: "Answer: the coverage is 80%.\n\n### Details\n" + " ".join(["w"] * 120)})
    d = one(v, "RB040")
    assert d.question == 8 and "lowercase `answer:`" in d.hint
    assert v.official.error is None and v.official.questions[7].words == 4  # type: ignore[index]


def test_answer_marker_inside_an_answer_crashes_the_official_script() -> None:
    v = run({8: "### Part 1\n\nwords\n\nAnswer: more\n\n### Part 2\n" + " ".join(["w"] * 120)})
    assert one(v, "RB040").question == 8
    assert v.official.error == "Number of answers are different from the expected 31 (got 32)"
    crash = one(v, "RB046")
    assert crash.hint.startswith("Fix the errors listed")


def test_heading_inside_an_answer_cuts_the_official_count() -> None:
    first = " ".join(["a"] * 40)
    rest = " ".join(["b"] * 80)
    v = run({8: f"{first}\n\n## Results\n\n{rest}"})
    d = one(v, "RB010")  # root cause first: no "add 60 words" when the answer is long enough
    assert d.message == (
        "The heading on line 91 stops the official count at 40 words: 120 words once that is fixed, "
        "which passes (100–200 words)"
    )
    assert (
        d.hint.startswith("Replace the heading on line 91 with **bold text**")
        and "add at least" not in d.hint
    )
    assert not only(v, "RB041")  # said once, in the count's diagnostic
    assert v.official.questions[7].words == 40  # type: ignore[index]


def test_heading_inside_an_answer_real() -> None:
    d = at(real("s163928__02476_MLOPS_Project.md"), "RB041", 12)
    assert d.line == 256 and "it counts 79 words, the whole answer has 165" in d.message
    assert d.severity == "warning"  # the official check passes; the page shows more than the limit


def test_heading_after_the_last_question() -> None:
    v = run(tail="\n\n### Appendix\n\nExtra material.\n")
    d = one(v, "RB042")
    assert d.question == 31 and "`### Appendix`" in d.message
    assert v.official.error == "Number of answers are different from the expected 31 (got 32)"


def test_deleted_and_duplicated_questions() -> None:
    v = run(skip=(12,))
    assert one(v, "RB043").message == "Question 12 is missing"
    assert v.official.error is not None and one(v, "RB046")
    v2 = run(duplicate=(9,))
    d = one(v2, "RB044")
    assert d.question == 9 and d.hint.startswith(
        "Merge the answers into the first copy and delete the heading on line"
    )


def test_answer_marker_missing() -> None:
    text = make_report(R26).replace("> Answer:\n\n42", "\n42", 1)
    v = check(text, R26, FILES)
    assert one(v, "RB045").question == 1


def test_misaligned_answers_point_at_the_shift() -> None:
    # Question 5 loses its `Answer:`, question 20 gains one between two `###`: the count is right (no crash),
    # but from question 5 on the official script checks each question against the next one's text.
    text = make_report(R26, {20: f"![a]({FIGURE})\n\n### Sub\n\nAnswer: more words"})
    q5 = make_report(R26).split("### Question 5")[1].split("### Question 6")[0]
    text = text.replace(q5, q5.replace("> Answer:", ">"), 1)
    v = check(text, R26, FILES)
    assert v.official.error is None
    first = only(v, "RB047")[0]
    assert first.question == 5 and "line" in first.message
    assert at(v, "RB045", 5) and at(v, "RB040", 20)


def test_structure_real_mutations() -> None:
    """Real report, real mistakes: an `Answer:` in an answer, a heading after question 31."""
    require_shared()
    raw = (REPORTS / "corpus" / "DTU-MLOPS-12__dtu_mlops_project.md").read_text("utf-8")
    rules = builtin("dtu-mlops-2025")
    assert check(raw, rules).ok
    from bot.report.parse import parse

    lines = raw.split("\n")
    q8 = parse(raw).find(8)[0]
    first = next(i for i in range(q8.answer_span.start - 1, q8.answer_span.end) if lines[i].strip())
    lines[first] = "### Coverage\nAnswer: " + lines[first]
    v = check("\n".join(lines), rules)
    assert at(v, "RB040", 8).line == first + 2 and only(v, "RB046")
    v2 = check(raw + "\n### References\n", rules)
    assert only(v2, "RB042") and v2.official.error is not None


# ------------------------------------------------------------------ prompts, group and study numbers


def test_prompt_edited() -> None:
    text = make_report(R26).replace(R26.questions[6].prompt or "", "How many tests did you write?")
    d = one(check(text, R26, FILES), "RB050")
    assert d.question == 7 and d.severity == "info"  # the check does not read the prompt
    assert "`implement and what are they testing in your code` → `write`" in d.message


def test_prompt_variants_of_the_same_year_are_not_edits() -> None:
    old_q3 = builtin("dtu-mlops-2025").questions[2].prompt or ""
    text = make_report(R26).replace(R26.questions[2].prompt or "", old_q3)
    assert not only(check(text, R26, FILES), "RB050")


def test_prompt_edited_real() -> None:
    d = at(real("Las02__ml_ops_project.md"), "RB050", 29)  # a stray `Engine` pasted into the prompt
    assert d.severity == "info" and "`∅` → `engine`" in d.message


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [("42", False), ("Group 42", False), ("42.", False), ("MLOps 2", True), ("--- 36 ---", True)],
)
def test_group_number(answer: str, flagged: bool) -> None:
    assert bool(only(run({1: answer}), "RB060")) == flagged


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [("s123456, s234567", False), ("S123456", False), ("12693911, 12694510", True), ("Alice and Bob", True)],
)
def test_study_numbers(answer: str, flagged: bool) -> None:
    assert bool(only(run({2: answer}), "RB061")) == flagged


def test_group_and_study_numbers_real() -> None:
    assert "`--- 36 ---`" in at(real("Aryan-Mi__dtu-vibe-ops-02476.md"), "RB060", 1).message
    d = at(real("danielch1__mlops_project.md"), "RB061", 2)
    assert d.line == 119  # the answer's line, not the blank line above it
    assert "`12693911 Daniel Ch`, `12694510 Lennart M` are not study numbers" in d.message


def test_checklist_summary() -> None:
    v = run(checklist=(True, True, False))
    assert (v.checklist.ticked, v.checklist.total, v.checklist.groups) == (2, 3, (("Week 1", 2, 3),))
    assert real("DTU-MLOPS-12__dtu_mlops_project.md").checklist.ticked == 40


def test_json_shape() -> None:
    v = run({5: " ".join(["w"] * 13)})
    j = v.to_json()
    assert j["rules"] == "dtu-mlops-2026"
    assert j["official"]["error"] is None and j["official"]["passed"] == 30 and j["official"]["total"] == 31
    assert j["official"]["questions"][4] == {
        "number": 5,
        "words": 13,
        "images": 0,
        "passed": False,
        "failed": ["words"],
    }
    d = j["diagnostics"][0]
    assert set(d) == {"code", "name", "severity", "question", "line", "message", "hint"}
    assert j["checklist"]["ticked"] == 2 and j["checklist"]["total"] == 3


def test_report_dir_at_repository_root(tmp_path: Path) -> None:
    words = " ".join(["w"] * 250)
    v = check(
        make_report(R26, {14: f"{words}\n\n![a](figures/x.png)"}),
        R26,
        ["figures/x.png", "figures/fig.png"],
        "",
    )
    assert not only(v, "RB020")
