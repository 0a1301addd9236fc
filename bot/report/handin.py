"""The hand-in: the page graders read, exactly as the course's `python report.py html` makes it.

Every year's official script does the same (see ../shared/reports/official/): `open("README.md")` in text
mode (UTF-8, universal newlines: CRLF and CR become LF, a BOM stays as one character), drops the first 43
characters (`text[43:]`, meant for the old templates' front matter), converts the rest with
`markdown.markdown(text)` (Python-Markdown, no extensions: no fenced code blocks, no tables, a list needs a
blank line before it) and writes `report.html` in text mode (`\\n` stays `\\n` on Linux).

`read_official` + `official_html` are that, byte for byte: the reference, never sanitised, never served.
`handin_view` is the same rendering cut into the report's questions and sanitised, for the page and for the
comparison with the GitHub view (`handin_diff`). Python-Markdown is not linear-time on hostile text (runs
of `[`, `<`, `&` or `- - -` lines take seconds to hours, deep lists crash it), so the bot runs it only
under a time budget (`budgeted`): past it, or on a crash, `HandinUnavailable` says why. Pure.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

from bot.report.parse import BOM, Report
from bot.report.sanitise import cleaner

CUT = 43
"""Characters the official `html` drops from the start of the file (`text[43:]  # remove header`)."""
FRONT_MATTER = "---\nlayout: default\nnav_exclude: true\n---\n\n"
"""The 2023–2024 templates' front matter: exactly the 43 characters the cut is meant for."""
T = TypeVar("T")

BUDGET_SECONDS = 2.0
"""How long the bot lets Python-Markdown run on one report (the largest real report takes ~30 ms)."""

_MARK_BASE = 0xF0000  # Supplementary Private Use Area-A: one marker character per question occurrence
_MARK_MAX = 0xFFFFD
_MARK = re.compile("[\U000f0000-\U000ffffd]")
_HASHES = re.compile(r"#{1,6}[ \t]*")
# A tag of the sanitiser's (well-formed) output, or a marker. Quoted attribute values may hold `>`.
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|[\U000f0000-\U000ffffd]")
_HEADING_HEAD = re.compile(r"<h[1-6]>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class HandinUnavailable(Exception):
    """Python-Markdown could not render the report within the budget, or crashed; the message says which."""


def read_official(data: bytes) -> str:
    """The file's text as the official script reads it: UTF-8 (strict), universal newlines, BOM kept."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None).read()


def official_html(text: str) -> str:
    """What `report.py html` writes for `text` (as `read_official` returns it): unsanitised, the reference."""
    import markdown  # Python-Markdown: loaded when first needed

    return markdown.markdown(text[CUT:])


def official_text(report: Report) -> str:
    """The text the official script reads for a parsed report (its BOM back in front)."""
    return (BOM if report.bom else "") + report.text


# --------------------------------------------------------------------------- Python-Markdown on a budget

_local = threading.local()


def _converter() -> Any:
    import markdown

    md = getattr(_local, "md", None)
    if md is None:  # one per thread: a Markdown instance keeps state while it converts
        md = _local.md = markdown.Markdown()
    return md


class _OverBudget(Exception):
    pass


def under_budget(fn: Callable[[], T], seconds: float, what: str) -> T:
    """`fn()`, stopped once `seconds` have passed: a trace function that runs on every Python call checks
    the clock (a single call into C, e.g. one regular expression, is not interrupted). Past the budget,
    `HandinUnavailable` names `what` took too long."""
    deadline = time.monotonic() + seconds
    calls = 0

    def trace(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        calls += 1
        if not calls & 255 and time.monotonic() > deadline:
            raise _OverBudget
        return None

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        return fn()
    except _OverBudget:
        raise HandinUnavailable(f"{what} takes over {seconds:g} s on this report") from None
    finally:
        sys.settrace(previous)


def budgeted(text: str, seconds: float = BUDGET_SECONDS) -> str:
    """`markdown.markdown(text)` (the same output: a reset instance converts like a new one), within
    `seconds` (`under_budget`)."""
    md = _converter()
    try:
        out: str = under_budget(
            lambda: md.reset().convert(text), seconds, "Python-Markdown (the graders' renderer)"
        )
        return out
    except HandinUnavailable:
        _local.md = None  # stopped half-way: the next report gets a fresh instance
        raise
    except RecursionError:
        _local.md = None
        raise HandinUnavailable(
            "Python-Markdown (the graders' renderer) crashes on this report (lists or quotes nested too "
            "deeply): `python report.py html` fails on it too"
        ) from None


# --------------------------------------------------------------------------- the hand-in cut by question


@dataclass(frozen=True)
class HandinView:
    """The hand-in, sanitised, cut where the report's questions start (in `report.questions` order)."""

    intro: str
    """Everything before the first question's heading."""
    heads: tuple[str, ...]
    """Each question occurrence's heading element ('' when the hand-in has none there)."""
    bodies: tuple[str, ...]
    """The rest of each question occurrence's section ('' when it went into the previous one's block)."""
    cut_headings: frozenset[int]
    """Occurrences (indexes) whose heading the 43-character cut ate."""


def marked_source(report: Report) -> tuple[str, frozenset[int]]:
    """The cut text with one marker character after the `#`s of each question heading (it lands in the
    heading's text and changes nothing else). Returns it and the occurrences whose heading was cut off."""
    base = 1 if report.bom else 0
    pieces: list[str] = []
    text = official_text(report)
    at = CUT
    cut: set[int] = set()
    for k, q in enumerate(report.questions):
        start = base + report.line_starts[q.heading_line - 1]
        line = report.lines[q.heading_line - 1]
        m = _HASHES.search(line)
        pos = start + (m.end() if m else 0)
        if start < CUT or k > _MARK_MAX - _MARK_BASE:
            cut.add(k)
            continue
        pieces.append(text[at:pos])
        pieces.append(chr(_MARK_BASE + k))
        at = pos
    pieces.append(text[at:])
    return "".join(pieces), frozenset(cut)


def handin_view(report: Report, seconds: float = BUDGET_SECONDS) -> HandinView:
    """The hand-in of `report`, sanitised (nh3, the page's policy; images not yet embedded), by question.

    Raises `HandinUnavailable` when Python-Markdown runs out of time or crashes."""
    n = len(report.questions)
    if _MARK.search(report.text):  # the student's own text holds a marker character: no cutting then
        clean = cleaner().clean(budgeted(official_text(report)[CUT:], seconds))
        return HandinView(clean, ("",) * n, ("",) * n, frozenset())
    source, cut = marked_source(report)
    clean = cleaner().clean(budgeted(source, seconds))
    starts = _section_starts(clean, n)
    intro_end = min((s for s in starts if s is not None), default=len(clean))
    intro = _MARK.sub("", clean[:intro_end])
    heads: list[str] = []
    bodies: list[str] = []
    at = intro_end
    for k in range(n):
        start = starts[k]
        if start is None:  # cut off: nothing of its own
            heads.append("")
            bodies.append("")
            continue
        start = max(start, at)
        following = [s for s in starts[k + 1 :] if s is not None]
        end = max(start, min(following)) if following else len(clean)
        section = _MARK.sub("", clean[start:end])
        at = end
        head, body = _split_heading(section)
        heads.append(head)
        bodies.append(body)
    return HandinView(intro, tuple(heads), tuple(bodies), cut)


def _section_starts(clean: str, n: int) -> list[int | None]:
    """Where each occurrence's section starts in the sanitised HTML: at its marker when that is outside
    every element, else where the top-level element holding the marker starts. One linear scan."""
    starts: list[int | None] = [None] * n
    depth = 0
    block_start = 0
    for m in _TOKEN.finditer(clean):
        tok = m.group(0)
        if len(tok) == 1:  # a marker
            k = ord(tok) - _MARK_BASE
            if 0 <= k < n and starts[k] is None:
                starts[k] = m.start() if depth == 0 else block_start
            continue
        name = m.group(2).lower()
        if name in _VOID or tok.endswith("/>"):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            if depth == 0:
                block_start = m.start()
            depth += 1
    return starts


def _split_heading(section: str) -> tuple[str, str]:
    """A section that opens with a heading element -> (that heading, the rest)."""
    if not _HEADING_HEAD.match(section):
        return "", section
    end = section.find(f"</h{section[2]}>")
    if end < 0:
        return "", section
    end += 5
    return section[:end], section[end:].lstrip("\n")
