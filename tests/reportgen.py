"""Made-up reports for tests: a template-shaped report whose answers pass every constraint by default."""

from __future__ import annotations

from bot.report.rules import RuleSet, builtin

FIGURE = "figures/fig.png"


def answer_for(rules: RuleSet, number: int) -> str:
    """The shortest answer that passes question `number`."""
    rule = rules.questions[number - 1]
    if rule.expect == "group_number":
        return "42"
    if rule.expect == "study_numbers":
        return "s123456, s234567"
    words = rule.words.min if rule.words else 3
    images = rule.images.min if rule.images else 0
    text = " ".join(f"q{number}w{i}" for i in range(max(words - images, 0)))  # no two answers alike
    pics = "\n".join(f"![figure {i}]({FIGURE})" for i in range(images))
    return "\n\n".join(p for p in (text, pics) if p)


def make_report(
    rules: RuleSet | None = None,
    answers: dict[int, str] | None = None,
    *,
    front_matter: bool = False,
    skip: tuple[int, ...] = (),
    duplicate: tuple[int, ...] = (),
    tail: str = "",
    checklist: tuple[bool, ...] = (True, False, True),
) -> str:
    """A report in the template's shape. `answers` overrides answers (use the placeholder to leave one open)."""
    rules = rules or builtin("dtu-mlops-2026")
    answers = answers or {}
    out: list[str] = []
    if front_matter:
        out += ["---", "layout: default", "nav_exclude: true", "---", ""]
    out += [
        "# Exam template for 02476 Machine Learning Operations",  # as the template: the cut eats its first 43
        "",
        "Intro text.",
        "",
        "## Overall project checklist",
        "",
        "### Week 1",
        "",
    ]
    out += [f"* [{'x' if t else ' '}] Item {i}" for i, t in enumerate(checklist)]
    out += ["", "## Group information", ""]
    for rule in rules.questions:
        if rule.number in skip:
            continue
        for _ in range(2 if rule.number in duplicate else 1):
            out += [f"### Question {rule.number}", ""]
            out += [f"> **{rule.prompt or 'Question text'}**", ">"]
            if rule.words:
                out += [f"> Recommended answer length: {rule.words.min}-{rule.words.max} words.", ">"]
            out += ["> Answer:", "", answers.get(rule.number, answer_for(rules, rule.number)), ""]
    text = "\n".join(out)
    return text + tail


def placeholder(number: int) -> str:
    return f"--- question {number} fill here ---"
