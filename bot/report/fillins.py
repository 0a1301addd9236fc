"""Fill-ins left in an answer besides the official placeholder: `{INSERT}`, `??`, `XXXX`, `TODO`, `TBD`,
`[insert ...]`, `...` used as a blank, `lorem ipsum`, and the template's example sentence left in.

Linear: a cheap substring test gates each answer, then bounded patterns run on the lines that hold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.report.diagnostics import Diagnostic, code, make
from bot.report.parse import Question, Report

_TOKENS = re.compile(
    r"\{\s*insert[^{}\n]{0,60}\}|\[\s*insert\b[^\[\]\n]{0,80}\]|<\s*insert\b[^<>\n]{0,80}>"
    r"|(?<![\w?])\?\?+(?![\w?])|X{4,}|\bTODO\b|\bTBD\b|\bFIXME\b|lorem ipsum",
    re.IGNORECASE,
)
_CASED = re.compile(r"X{4,}|\bTODO\b|\bTBD\b|\bFIXME\b")
"""Tokens that only count in capitals (`todo app`, `Xxxx` are words)."""
_BLANK = re.compile(r"(?<!\S)(?:\.\.\.|…)(?=[\s,;:.]|$)")
_GATE = ("insert", "??", "xxxx", "todo", "tbd", "fixme", "lorem", "...", "…")


def _lines(report: Report, q: Question) -> Iterator[int]:
    if q.quoted_answer and q.marker_line is not None and q.prompt_span is not None:
        yield from range(q.marker_line, q.prompt_span.end + 1)
    yield from range(q.answer_span.start, q.answer_span.end + 1)


def _example(report: Report, q: Question) -> str:
    """The template's italic example inside the question's quote, words only (`*We used ... for ...*`)."""
    if q.prompt_span is None:
        return ""
    parts = []
    for line in report.lines[q.prompt_span.start - 1 : q.prompt_span.end]:
        body = line.lstrip()[1:].strip()
        if body.startswith("*") and not body.startswith("**"):
            parts.append(body.strip("*").strip())
    return " ".join(" ".join(parts).split())


def candidate_lines(report: Report) -> set[int]:
    """Lines holding any gate token: one C-speed scan of the lower-cased text per token."""
    low = report.text.lower()
    if len(low) != len(report.text):  # a character whose lower case is longer: offsets would shift
        return {n for n, line in enumerate(report.lines, 1) if any(g in line.lower() for g in _GATE)}
    starts = report.line_starts
    found: set[int] = set()
    for g in _GATE:
        pos = low.find(g)
        while pos != -1:
            line = report.line_of_offset(pos)
            found.add(line)
            pos = low.find(g, starts[line]) if line < len(starts) else -1
    return found


def find(report: Report, q: Question, candidates: set[int] | None = None) -> list[Diagnostic]:
    """Fill-ins in question `q`; `candidates` are `candidate_lines(report)` (computed once per report)."""
    if candidates is None:
        candidates = candidate_lines(report)
    out: list[Diagnostic] = []
    example = None
    for n in _lines(report, q):
        if n not in candidates or n in report.code_lines:
            continue
        line = report.lines[n - 1]
        if n == q.marker_line:
            line = line.split("Answer:", 1)[-1]
        if "fill here" in line and n in q.placeholder_lines:
            continue
        low = line.lower()
        if not any(g in low for g in _GATE):
            continue
        found = []
        for m in _TOKENS.finditer(line):
            token = m.group(0)
            if _CASED.fullmatch(token) is None and _CASED.fullmatch(token.upper()) is not None:
                continue  # `todo`, `Xxxx` in lower case are words
            found.append(token)
        blanks = _BLANK.findall(line)
        if blanks:
            example = _example(report, q) if example is None else example
            words = " ".join(line.strip(" >*").split())
            if example and len(words) >= 12 and words.strip("*").lower()[:40] in example.lower():
                out.append(make("RB003", q.number, n,
                    f"The template's example text is still in the answer on line {n}: {code(words, 60)}",
                    f"Replace the example sentence on line {n} with what your group did: fill in every `...` or delete the line."))  # fmt: skip
                continue
            found.append(blanks[0])
        if found:
            shown = ", ".join(code(t, 30) for t in dict.fromkeys(found))
            out.append(make("RB003", q.number, n,
                f"A fill-in is left in on line {n}: {shown}",
                f"Replace {shown} on line {n} with the real text (a number, a name) or delete it."))  # fmt: skip
    return out
