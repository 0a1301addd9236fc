"""Hostile input: every parser of student text runs in linear time, and the linear rewrites of the official
script's regexes (and of our own) find exactly what the originals find.

Each pathological input runs through the whole `check()` (or `parse_comment`) in a forked child with a
generous wall limit, so a regression fails in seconds instead of hanging the suite. The equivalence tests
compare against the original regular expressions on short inputs, where they terminate at once.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportgen import make_report

from bot.commands.grammar import _drop_comments, parse_comment
from bot.commands.scan import BACKTICKS, _mask_code_spans
from bot.report import feedback, official
from bot.report.check import check
from bot.report.parse import _heading, parse
from bot.report.rules import builtin
from bot.report.sanitise import html_depth

RULES = builtin("dtu-mlops-2026")
FILES = ["reports/figures/fig.png"]
LIMIT_S = 3.0
"""Wall limit per input: the seed report checks in about 2 ms and these inputs are at most 1.6 MB, so a
linear parser stays far below it even on a busy machine; the super-linear ones took 4 s to minutes."""


def _within_limit(fn: Callable[[], object], limit: float = LIMIT_S) -> float:
    """Run `fn` in a forked child; its wall time, or a test failure when it is still running at `limit`."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.SimpleQueue()

    def child() -> None:
        start = time.perf_counter()
        fn()
        queue.put(time.perf_counter() - start)

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.kill()
        proc.join()
        pytest.fail(f"still running after {limit} s")
    assert proc.exitcode == 0, f"the child failed (exit code {proc.exitcode})"
    elapsed: float = queue.get()
    return elapsed


def _answer(number: int, text: str) -> str:
    return make_report(RULES, {number: text})


def _check_and_reply(text: str) -> None:
    """The linear parsers: everything `check` does but the hand-in comparison (tested on its budget below)."""
    verdict = check(text, RULES, FILES, handin=False)
    feedback.render(verdict)


def _compare_with_the_hand_in(text: str) -> None:
    """The hand-in comparison renders the report twice (markdown-it and Python-Markdown, which is not
    linear): it stops itself at its budget and says so (RB078) instead."""
    from bot.report import handin_diff
    from bot.report.parse import parse

    handin_diff._cache.clear()
    handin_diff.diagnostics(parse(text))


# (id, report text, xfail reason or None). The inputs of issue 13, and their kin.
PATHOLOGICAL: list[tuple[str, Callable[[], str], str | None]] = [
    ("official-image-regex-1500", lambda: _answer(14, "![](" * 1500), None),
    ("official-image-regex-8000", lambda: _answer(14, "![](" * 8000), None),
    ("official-image-regex-other-lines", lambda: _answer(14, ("![](" * 600 + "\n") * 200), None),
    ("official-image-regex-short-lines", lambda: _answer(14, ("![](" * 20 + "\n") * 3000), None),
    ("heading-trailing-spaces", lambda: _answer(5, "# a" + " " * 2500 + "x"), None),
    ("heading-trailing-spaces-long", lambda: "# a" + " " * 200_000 + "x\n" + make_report(RULES), None),
    ("heading-hashes-and-spaces", lambda: _answer(5, "### " + "# " * 100_000 + "x"), None),
    ("images-bang-brackets", lambda: _answer(5, "![" * 60000), None),
    ("images-unclosed-titles", lambda: _answer(5, '![](a "' * 20000), None),
    ("images-html-tags", lambda: _answer(5, "<img " * 40000), None),
    ("group-number-spaces", lambda: _answer(1, "1" + " " * 100_000 + "x"), None),
    (
        "question-headings-80000",
        lambda: make_report(RULES) + "\n" + "".join(f"### Question {i}\n" for i in range(80000)),
        None,
    ),
    ("answer-marks-40000", lambda: _answer(5, "Answer: ### a ## b\n" * 40000), None),
    ("fences-100000", lambda: _answer(5, "```\n" * 100_000), None),
    ("length-line", lambda: make_report(RULES).replace("ength:", "ength:" + " " * 100_000, 1), None),
    ("placeholder-spaces", lambda: _answer(5, "--- " * 50_000 + "question"), None),
    # a 100 KB line of each kind the review checklist names
    ("image-openers-100kb-line", lambda: _answer(5, "![](" * 25_000), None),
    ("spaces-100kb-line", lambda: _answer(5, "a" + " " * 100_000 + "b"), None),
    ("img-tags-100kb-line", lambda: _answer(5, "<img " * 20_000), None),
]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(m, r, id=i, marks=[pytest.mark.xfail(strict=True, reason=r)] if r else [])
        for i, m, r in PATHOLOGICAL
    ],
)
def test_pathological_report_is_checked_in_time(make: Callable[[], str], reason: str | None) -> None:
    text = make()
    # 1.6 MB of headings take about 1 s (linear: 10 µs a question); before, 15 s (quadratic).
    limit = 8.0 if len(text) > 1_000_000 else LIMIT_S
    _within_limit(lambda: _check_and_reply(text), limit)


@pytest.mark.parametrize("make", [pytest.param(m, id=i) for i, m, _ in PATHOLOGICAL])
def test_the_hand_in_comparison_keeps_to_its_budget(make: Callable[[], str]) -> None:
    """Its own budget (2 s) plus slack: one call into C (a regular expression) is not interrupted."""
    from bot.report.handin import BUDGET_SECONDS

    _within_limit(lambda: _compare_with_the_hand_in(make()), BUDGET_SECONDS + 3.0)


COMMENTS = [
    ("comment-openers", "/report " + "<!--" * 16000),
    ("comment-openers-long", "/report check " + "<!--" * 200_000),
    ("comment-openers-paragraph", "/report check\n" + "text <!--" * 50_000 + "\nmore\n"),
    ("comment-backtick-runs", "/report <!-- " + " ".join("`" * n for n in range(1, 700)) + " x"),
    ("comment-many-lines", "\n".join(["/report help <!-- a"] * 30_000)),
]


@pytest.mark.parametrize("body", [b for _, b in COMMENTS], ids=[i for i, _ in COMMENTS])
def test_pathological_comment_is_parsed_in_time(body: str) -> None:
    _within_limit(lambda: parse_comment(body))


def test_the_limit_catches_a_slow_parser() -> None:
    """The harness itself: the official regex on a 6 KB line is slow enough to hit a short limit."""
    slow = re.compile(official.IMAGE_PATTERN)
    with pytest.raises(pytest.fail.Exception, match="still running"):
        _within_limit(lambda: slow.findall("![](" * 3000), limit=0.5)


# -- the linear rewrites find what the originals find ---------------------------------------------------

_SHORT = settings(max_examples=400, deadline=None)


@_SHORT
@given(st.text(alphabet="![]()\na \t", max_size=40))
def test_official_images_match_the_official_regex(text: str) -> None:
    assert official.IMAGE.findall(text) == re.findall(official.IMAGE_PATTERN, text)
    assert official.count(text)[1] == len(re.findall(official.IMAGE_PATTERN, text))


def test_official_images_on_the_usual_shapes() -> None:
    for text in [
        "![a](b.png)",
        "![a](b.png) and ![c](d.png)",
        "![a](b\n.png)",
        "![](()",
        "![x] (y)",
        "![a](b) ![c](d",
        "![![a](b)](c)",
        "![a]\n(b) ![c](d)",
        '![ok](x.png "title")',
    ]:
        assert official.IMAGE.findall(text) == re.findall(official.IMAGE_PATTERN, text), text


_OLD_MARKS = re.compile(r"(?P<hashes>#{1,6})(?:[ \t]+(?P<title>[^\n]*?))?[ \t]*#*[ \t]*$")


@_SHORT
@given(st.text(alphabet="# \tab\x0b", max_size=30))
def test_heading_titles_match_the_old_regex(line: str) -> None:
    line = "#" + line
    m = _OLD_MARKS.match(line)
    hashes = len(line) - len(line.lstrip("#"))
    expected = None if m is None else (m.group("title") or "").strip()
    got = _heading(line[min(hashes, 6) :])
    assert got == expected
    if m is not None:
        assert len(m.group("hashes")) == min(hashes, 6)


def test_headings_are_read_as_before() -> None:
    text = "# Title #\n## Section ##  \n### Question 3 ###\n####### seven\n#######\n#x\n###\n##   ##  \n"
    assert [(h.level, h.title) for h in parse(text).headings] == [
        (1, "Title"),
        (2, "Section"),
        (3, "Question 3"),
        (6, ""),
        (3, ""),
        (2, ""),
    ]


_OLD_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@_SHORT
@given(st.text(alphabet="<!->a\n", max_size=40))
def test_comment_dropping_matches_the_old_regex(text: str) -> None:
    assert _drop_comments(text) == _OLD_COMMENT.sub(" ", text).split("<!--", 1)[0]


def _old_mask(text: str) -> str:
    out = list(text)
    pos = 0
    while True:
        opening = BACKTICKS.search(text, pos)
        if not opening:
            return "".join(out)
        closing = BACKTICKS.search(text, opening.end())
        while closing and len(closing.group()) != len(opening.group()):
            closing = BACKTICKS.search(text, closing.end())
        if not closing:
            pos = opening.end()
            continue
        out[opening.start() : closing.end()] = " " * (closing.end() - opening.start())
        pos = closing.end()


@_SHORT
@given(st.text(alphabet="`a <", max_size=40))
def test_code_span_masking_matches_the_old_loop(text: str) -> None:
    assert _mask_code_spans(text) == _old_mask(text)


_OLD_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")


def _old_depth(markup: str) -> int:
    depth = deepest = 0
    for m in _OLD_TAG.finditer(markup):
        if m.group(2).lower() in {"img", "br", "p"} or m.group(3):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


@_SHORT
@given(
    st.lists(st.sampled_from(["<div>", "</div>", "<b/>", "<img>", "<a x='>'>", "<", ">", "/", "x", "<p>"]))
)
def test_html_depth_matches_the_old_regex(parts: list[str]) -> None:
    markup = "".join(parts)
    assert html_depth(markup) == _old_depth(markup)


def test_html_depth_in_time() -> None:
    _within_limit(lambda: html_depth("<img " * 200_000))
    _within_limit(lambda: html_depth("<div " * 200_000 + ">"))
