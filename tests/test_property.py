"""Property-based: random and mutated reports never make parse + check + feedback raise, and the official
part always equals the official script run on the same text."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportgen import make_report
from test_official_parity import _run_official

from bot.report import feedback, official
from bot.report.check import check
from bot.report.parse import normalise
from bot.report.rules import builtin

RULES = [builtin(n) for n in ("dtu-mlops-2026", "dtu-mlops-2025", "dtu-mlops-2024")]
BASE = make_report(RULES[0], {3: "We used typer.", 14: "![a](figures/fig.png) words " * 60})
TOKENS = [
    "Answer:",
    "###",
    "##",
    "#",
    "> ",
    "\n",
    "\r\n",
    "\ufeff",
    "```",
    "~~~",
    "![a](b.png)",
    "![x](",
    "](",
    "--- question 5 fill here ---",
    "### Question 7",
    "## Section",
    "<img src=x>",
    "@user",
    "|",
    "`",
    " ",
    "s123456",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = BASE
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["insert", "delete", "dup"]))
        pos = draw(st.integers(0, len(text)))
        if op == "insert":
            piece = draw(
                st.one_of(
                    st.sampled_from(TOKENS), st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
                )
            )
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(0, 400)) :]
        else:
            text = text[:pos] + text[pos : pos + draw(st.integers(0, 400))] * 2 + text[pos:]
    return text


def _whole(text: str, files: list[str] | None) -> None:
    for rules in RULES:
        v = check(text, rules, files)
        md = feedback.render(v, commit="abc")
        assert len(md) <= feedback.LIMIT
        feedback.annotations(v, "reports/README.md")
        v.to_json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000), st.one_of(st.none(), st.lists(st.text(max_size=30), max_size=5)))
def test_random_text_never_raises(text: str, files: list[str] | None) -> None:
    _whole(text, files)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_reports_never_raise(text: str) -> None:
    _whole(text, ["reports/figures/fig.png"])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutated(), st.sampled_from([2024, 2025, 2026]))
def test_mutated_reports_agree_with_the_official_script(shared: Path, text: str, year: int) -> None:
    """The official script itself (a test oracle) on the same bytes: same crash, same failures."""
    with tempfile.TemporaryDirectory() as tmp:
        error, failed = _run_official(year, text, Path(tmp))
    normal, bom, _ = normalise(text)

    res = official.run(("\ufeff" if bom else "") + normal, builtin(f"dtu-mlops-{year}"))
    assert (res.error is None) == (error is None), (res.error, error)
    if res.questions is not None:
        ours = {
            q.number: {k: (q.words if k == "words" else q.images) for k in q.failed}
            for q in res.questions
            if q.failed
        }
        assert ours == failed
