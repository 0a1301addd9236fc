"""Where the hand-in differs from GitHub: both renderings of each question compared by structure (code
blocks, tables, list items, headings, images, links, `<details>`), and the `handin-*` diagnostics that
say why and how to fix it. A question gets a `handin-*` diagnostic exactly when its two renderings differ,
so they are right by construction; the source lines are only scanned to name the line and the fix.

`views` computes both renderings once per text (a small cache: the check and the page of one push share
them). Every scan is linear: one pass over the lines, and anchored regexes without nested repetition. Pure.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.report.diagnostics import Diagnostic, code, make
from bot.report.handin import (
    BUDGET_SECONDS,
    CUT,
    FRONT_MATTER,
    HandinUnavailable,
    HandinView,
    handin_view,
    official_text,
    under_budget,
)
from bot.report.page_limits import RenderError, RenderLimits
from bot.report.parse import Question, Report

if TYPE_CHECKING:
    from bot.report.github_view import GithubView

KINDS = ("code", "table", "list", "heading", "image", "link", "html")
_COUNTED = {
    "pre": "code",
    "table": "table",
    "li": "list",
    "ul": "list",
    "ol": "list",
    "img": "image",
    "a": "link",
    "details": "html",
}
_COUNTED.update({f"h{n}": "heading" for n in range(1, 7)})
_OPEN_TAG = re.compile(r"<([a-z][a-z0-9]*)[\s>/]")
_TEMPLATE_HEAD = "# Exam template for 02476 Machine Learning "
"""What the cut eats of the 2025–2026 templates, which have no front matter: the same for every group."""

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)")
_ITEM = re.compile(r"( *)(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_HTML_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)[\s/>]")
_HASH_NO_SPACE = re.compile(r" {0,3}#{1,6}[^#\s]")
_DEFAULT_DEPTH = RenderLimits().max_html_depth


def signature(fragment: str) -> Counter[str]:
    """Counts of the structural elements in sanitised HTML (the sanitiser's output: lower-case tags)."""
    found: Counter[str] = Counter()
    for m in _OPEN_TAG.finditer(fragment):
        kind = _COUNTED.get(m.group(1))
        if kind:
            found[kind] += 1
    return found


@dataclass(frozen=True)
class Views:
    github: GithubView
    handin: HandinView | None
    unavailable: str | None
    """Why there is no hand-in (Python-Markdown over its time budget, or crashed)."""
    differs: tuple[tuple[str, ...], ...]
    """Per question occurrence: the kinds whose counts differ between the two views (empty: they agree)."""
    counts: tuple[tuple[Counter[str], Counter[str]], ...]
    """Per occurrence: (GitHub, hand-in) signatures."""


_cache: OrderedDict[tuple[str, int], Views] = OrderedDict()
_lock = threading.Lock()


def views(report: Report, max_html_depth: int = _DEFAULT_DEPTH, budget: float | None = None) -> Views:
    """Both renderings of `report`, by question. Raises `RenderError` (HTML nested too deeply). With
    `budget`, both together must take at most that many seconds, else `HandinUnavailable` (the check's
    comparison; the page, bounded by its job's own time budget, passes none)."""
    key = (official_text(report), max_html_depth)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    from bot.report.github_view import (
        github_view,
    )  # markdown-it: loaded when first needed, not by `check`'s import

    started = time.monotonic()
    if budget is None:
        gh = github_view(report, max_html_depth)
    else:
        gh = under_budget(
            lambda: github_view(report, max_html_depth), budget, "GitHub's rendering (markdown-it)"
        )
    left = BUDGET_SECONDS if budget is None else max(0.05, budget - (time.monotonic() - started))
    try:
        hv: HandinView | None = handin_view(report, left)
        why = None
    except HandinUnavailable as exc:
        hv, why = None, str(exc)
    differs: list[tuple[str, ...]] = []
    counts: list[tuple[Counter[str], Counter[str]]] = []
    for k in range(len(report.questions)):
        g = signature(gh.heads[k] + gh.bodies[k])
        h = signature(hv.heads[k] + hv.bodies[k]) if hv else g
        counts.append((g, h))
        differs.append(tuple(kind for kind in KINDS if g[kind] != h[kind]))
    out = Views(gh, hv, why, tuple(differs), tuple(counts))
    with _lock:
        _cache[key] = out
        while len(_cache) > 4:
            _cache.popitem(last=False)
    return out


def diagnostics(report: Report) -> list[Diagnostic]:
    """The `handin-*` diagnostics of a report (none when the two views agree everywhere)."""
    found = _cut(report)
    if not report.questions:
        return found
    try:
        v = views(report, budget=BUDGET_SECONDS)
        unavailable = v.unavailable
    except RenderError:
        return found  # the page refuses this report (and says why); there is nothing to compare
    except HandinUnavailable as exc:
        unavailable = str(exc)
    if unavailable is not None:
        found.append(
            make(
                "RB078",
                None,
                None,
                f"The hand-in could not be compared with GitHub: {unavailable}",
                "Look for a very long run of `[`, `<` or `&`, thousands of `- - -` lines or lists nested "
                "dozens deep, and shorten it; `report-bot render --official reports/README.md` writes the "
                "hand-in on your machine.",
            )
        )
        return found
    assert v.handin is not None
    for k, q in enumerate(report.questions):
        if v.differs[k]:
            found += _explain(report, q, v.differs[k], v.counts[k], k in v.handin.cut_headings)
    return found


def _cut(report: Report) -> list[Diagnostic]:
    text = official_text(report)
    lost = text[:CUT]
    if lost == FRONT_MATTER or lost.startswith(_TEMPLATE_HEAD) or _TEMPLATE_HEAD.startswith(lost):
        return []
    if lost.startswith("---\n"):
        end = lost.find("\n---\n", 3)
        if end < 0:
            return []  # the cut eats front matter only (longer front matter shows in the hand-in)
        lost = lost[end + 5 :]
    lost = lost.lstrip("\ufeff")
    words = lost.split()
    if not words:
        return []
    return [
        make(
            "RB074",
            None,
            1,
            f"The hand-in starts 43 characters into the file (`report.py html` cuts them off for the "
            f"template's front matter, which this file does not start with), so graders never see "
            f"{code(lost, 60)}",
            f"Put the template's front matter back at the very top of the file: the lines `---`, "
            f"`layout: default`, `nav_exclude: true`, `---` and one blank line ({CUT} characters, exactly "
            "what the cut removes).",
        )
    ]


@dataclass
class _Scan:
    fences: list[tuple[int, int, str]]
    tables: list[int]
    lists: list[tuple[int, int | None]]
    """(line, indent): None = no blank line before; a number = nested with that many spaces."""
    html: list[tuple[int, str]]
    hash_no_space: list[int]


def _scan(report: Report, q: Question) -> _Scan:
    """One pass over the question's lines: fences, tables, list items the hand-in breaks, raw HTML."""
    s = _Scan([], [], [], [], [])
    last = q.span.end if q.span.end >= q.heading_line else len(report.lines)
    fence: tuple[int, str, str] | None = None  # (start line, marker, info)
    prev = ""
    in_list = False
    first = (q.marker_line or q.heading_line) + 1  # the quoted prompt is the template's, not the group's
    for no in range(first, last + 1):
        line = report.lines[no - 1]
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[1][0] and len(m.group(1)) >= len(fence[1]) and not m.group(2):
                s.fences.append((fence[0], no, fence[2]))
                fence = None
            continue
        if m:
            fence = (no, m.group(1), m.group(2))
            continue
        stripped = line.strip()
        if not stripped:
            in_list = False
        elif (
            "|" in stripped and "-" in stripped and not stripped.strip("|:- \t") and "|" in prev
        ):  # a delimiter row under a header row
            s.tables.append(no - 1)
        item = _ITEM.match(line)
        if item:
            indent = len(item.group(1))
            if prev.strip() and not in_list and not prev.lstrip().startswith(">"):
                s.lists.append((no, None))
            elif in_list and 0 < indent < 4:
                s.lists.append((no, indent))
            in_list = True
        tag = _HTML_TAG.search(line)
        if tag:
            s.html.append((no, tag.group(1).lower()))
        if _HASH_NO_SPACE.match(line):
            s.hash_no_space.append(no)
        prev = line
    if fence is not None:
        s.fences.append((fence[0], last, fence[2]))
    return s


def _explain(
    report: Report,
    q: Question,
    kinds: tuple[str, ...],
    counts: tuple[Counter[str], Counter[str]],
    heading_cut: bool,
) -> list[Diagnostic]:
    n = q.number
    if heading_cut:
        return [
            make(
                "RB074",
                n,
                q.heading_line,
                f"The 43-character cut of `report.py html` eats the heading of question {n}, so the hand-in "
                "runs it into the text above",
                f"Put the template's front matter back at the very top of the file: the lines `---`, "
                f"`layout: default`, `nav_exclude: true`, `---` and one blank line ({CUT} characters, "
                "exactly what the cut removes).",
            )
        ]
    s = _scan(report, q)
    out: list[Diagnostic] = []
    if "code" in kinds and s.fences:
        start, end, info = s.fences[0]
        starting = f", starting with the word {code(info)}" if info else ""
        more = f" (and {len(s.fences) - 1} more fenced blocks in this answer)" if len(s.fences) > 1 else ""
        out.append(
            make(
                "RB070",
                n,
                start,
                f"The fenced code block on line {start}{more} is not a code block in the hand-in: "
                f"Python-Markdown has no fenced code blocks, so graders read its lines run together as "
                f"one inline code{starting}",
                f"Drop the fence lines ({start} and {end}) and indent every line of the block by 4 spaces, "
                "with a blank line before it: that is a code block on GitHub and in the hand-in.",
            )
        )
    if "table" in kinds and s.tables:
        line = s.tables[0]
        out.append(
            make(
                "RB071",
                n,
                line,
                f"The table on line {line} is a paragraph of `|` characters in the hand-in: Python-Markdown "
                "has no tables",
                "Write the rows as a list (`- **name**: value`, with a blank line before it), or put a "
                "screenshot of the table in `figures/` and link it (it then counts as an image).",
            )
        )
    if "list" in kinds and s.lists:
        line, indent = s.lists[0]
        if indent is None:
            msg = f"The list on line {line} has no blank line before it: the hand-in runs its items together into the paragraph above"
            hint = f"Add a blank line before line {line}."
        else:
            msg = f"The nested list item on line {line} is indented by {indent} spaces: the hand-in needs 4 to nest it"
            hint = f"Indent the nested items by 4 spaces (line {line} has {indent})."
        out.append(make("RB072", n, line, msg, hint))
    explained = bool(out)
    if s.html and (not explained or "html" in kinds):
        line, tag = s.html[0]
        out.append(
            make(
                "RB073",
                n,
                line,
                f"The raw HTML `<{tag}>` on line {line} shows differently in the hand-in: Python-Markdown "
                "passes an HTML block through as it is and does not render the Markdown inside it",
                f"Write this part in plain Markdown without `<{tag}>` (or keep the HTML to one line "
                "inside a paragraph).",
            )
        )
    if out:
        return out
    kind = kinds[0]
    gh, hi = counts[0][kind], counts[1][kind]
    noun = {
        "code": "code blocks",
        "table": "tables",
        "list": "lists and list items",
        "heading": "headings",
        "image": "images",
        "link": "links",
        "html": "`<details>` blocks",
    }[kind]
    rb = {
        "code": "RB070",
        "table": "RB071",
        "list": "RB072",
        "heading": "RB075",
        "image": "RB076",
        "link": "RB077",
        "html": "RB073",
    }[kind]
    line = s.hash_no_space[0] if kind == "heading" and s.hash_no_space else q.heading_line
    if kind == "heading" and s.hash_no_space:
        hint = f"Put a space after the `#`s on line {line} (a heading on GitHub too), or remove the `#`."
    else:
        hint = (
            f"Open the page of `/report html`, compare question {n} in its two views, and write the part "
            "that differs in plain Markdown (blank lines around lists, code and headings)."
        )
    return [
        make(
            rb,
            n,
            line,
            f"GitHub shows {gh} {noun} in this answer, the hand-in {hi}",
            hint,
        )
    ]
