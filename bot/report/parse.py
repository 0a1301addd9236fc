"""Markdown report text -> `Report`: front matter, headings, questions with their parts and line spans.

Pure and fast (a line scanner, no Markdown library): it runs on every push and must take well under a
millisecond on the largest report. Line numbers are 1-based and refer to the file as the student wrote it
(a CRLF file has the same lines as its LF form).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple

BOM = "\ufeff"

_CANDIDATE = re.compile(r"\n {0,3}[#`~]")
# A fence line, or an ATX heading line and the rest of it (the title is taken apart in `_heading`: a regex
# with a lazy title before optional closing `#`s backtracks quadratically on a long run of spaces).
_MARKS = re.compile(r"\n {0,3}(?:(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)|(?P<hashes>#{1,6})(?P<rest>[^\n]*))")
_QUESTION = re.compile(r"^question\s*(\d+)\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"-{3}\s*question\s*(\d+)\s*fill\s*here\s*-{3}", re.IGNORECASE)
# "Recommended answer length: 100-200 words" (older templates: "Answer length:"); starts with a literal so
# that the engine can skip ahead (this runs on every question).
_LENGTH = re.compile(r"ength\s*:\s*(\d+)\s*-\s*(\d+)")
# Every box form students use: `- [x]`, `* [X]`, `+ [✅]`, `1. [✔]`, `2) [ ]`; not a link `[ab](...)`.
_CHECKBOX = re.compile(r"^\s*(?:[*+-]|[0-9]{1,9}[.)])\s+\[([^\]\n]{0,3})\](?!\()\s*(.*)$")
STANDARD_BOXES = frozenset({" ", "x", "X"})
"""The boxes GitHub shows as checkboxes; any other mark still counts as ticked."""
_ANSWER_MARK = "Answer:"


class Span(NamedTuple):
    """Lines `start`..`end` inclusive, 1-based; `end == start - 1` means empty."""

    start: int
    end: int


class Heading(NamedTuple):
    level: int
    title: str
    line: int


class ChecklistItem(NamedTuple):
    group: str
    text: str
    ticked: bool
    line: int
    box: str = "x"
    """What is between the brackets (`x`, ` `, `✅`...)."""


class Question(NamedTuple):
    number: int
    heading_line: int
    prompt: str
    """The bold text of the quoted question, `**` removed, lines joined with one space."""
    prompt_span: Span | None
    recommended: tuple[int, int] | None
    marker_line: int | None
    """The line holding `Answer:` inside the quote, if any."""
    quoted_answer: str
    """Text written inside the quote after `Answer:` (students answering in the quote)."""
    answer: str
    answer_span: Span
    placeholder_lines: tuple[int, ...] = ()
    span: Span = Span(0, -1)
    """The whole question: heading to the line before the next heading."""


@dataclass(frozen=True)
class Report:
    text: str
    """The text with the BOM removed and line endings normalised to `\\n`."""
    lines: tuple[str, ...]
    bom: bool
    crlf: bool
    front_matter: str | None
    headings: tuple[Heading, ...]
    questions: tuple[Question, ...]
    checklist: tuple[ChecklistItem, ...]
    code_lines: frozenset[int] = frozenset()
    """1-based lines inside fenced code blocks."""
    line_starts: list[int] = field(default_factory=list)
    """Offset of the first character of each line."""

    def find(self, number: int) -> list[Question]:
        return [q for q in self.questions if q.number == number]

    def line_of_offset(self, offset: int) -> int:
        """1-based line of a character offset into `text`."""
        return bisect.bisect_right(self.line_starts, offset)


def normalise(raw: str) -> tuple[str, bool, bool]:
    """Strip a BOM and turn CRLF/CR into LF, as Python's universal newlines do. Returns (text, bom, crlf)."""
    bom = raw.startswith(BOM)
    if bom:
        raw = raw[1:]
    crlf = "\r" in raw
    if crlf:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return raw, bom, crlf


def parse(raw: str) -> Report:
    text, bom, crlf = normalise(raw)
    lines = tuple(text.split("\n"))
    front_matter, body_start = _front_matter(lines)
    starts = list(accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))  # C speed: runs every check
    headings, code_lines = _scan(text, starts, body_start)
    return Report(
        text=text,
        lines=lines,
        bom=bom,
        crlf=crlf,
        front_matter=front_matter,
        headings=headings,
        questions=_questions(text, starts, lines, headings),
        checklist=_checklist(lines, headings),
        code_lines=code_lines,
        line_starts=starts,
    )


def _front_matter(lines: tuple[str, ...]) -> tuple[str | None, int]:
    if not lines or lines[0].strip() != "---":
        return None, 0
    for i in range(1, min(len(lines), 50)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), i + 1
    return None, 0


def _scan(text: str, starts: list[int], body: int) -> tuple[tuple[Heading, ...], frozenset[int]]:
    """Headings, and the 1-based lines inside fenced code blocks (fence lines included), from line index
    `body` on. One regular expression over the whole text: only heading and fence lines reach Python."""
    out: list[Heading] = []
    code: set[int] = set()
    fence: str | None = None
    opened = 0
    # Each match starts at the newline before its line (a leading one is added for the first line), so the
    # engine jumps from newline to newline instead of trying every character.
    padded = "\n" + text
    for candidate in _CANDIDATE.finditer(padded, starts[body] if body < len(starts) else len(padded)):
        m = _MARKS.match(padded, candidate.start())
        if m is None:
            continue
        line = bisect.bisect_right(starts, m.start())
        mark = m.group("fence")
        if mark is not None:
            info = m.group("info")
            if fence is None and not (mark[0] == "`" and "`" in info):
                fence, opened = mark, line
            elif fence is not None and mark[0] == fence[0] and len(mark) >= len(fence) and not info.strip():
                code.update(range(opened, line + 1))
                fence = None
            continue
        hashes, title = m.group("hashes"), _heading(m.group("rest"))
        if title is None:
            continue
        # A `### Question N` heading counts even inside a code block: an unclosed fence in an answer must
        # not swallow the rest of the template (the official script does not know fences either).
        if fence is not None:
            if len(hashes) != 3 or not _QUESTION.match(title):
                continue
            code.update(range(opened, line))
            fence = None
        out.append(Heading(len(hashes), title, line))
    if fence is not None:
        code.update(range(opened, len(starts) + 1))
    return tuple(out), frozenset(code)


def _heading(rest: str) -> str | None:
    """The title of an ATX heading line whose `#`s are followed by `rest`, or None when it is no heading.

    The same as `(?:[ \\t]+(?P<title>[^\\n]*?))?[ \\t]*#*[ \\t]*$` matched after the `#`s (title stripped),
    in linear time: the lazy title is what is left once the longest tail of spaces, `#`s and spaces is cut.
    """
    if rest[:1] in (" ", "\t") and rest:
        title = rest.rstrip(" \t").rstrip("#").rstrip(" \t")
        return title.strip()
    # No space after the `#`s: only more `#`s and trailing spaces may follow (`#######` is a level-6 heading
    # to that regex); fewer `#`s would not help, the rest would then start with `#`.
    return "" if not rest.rstrip(" \t").strip("#") else None


def _questions(
    text: str, starts: list[int], lines: tuple[str, ...], headings: tuple[Heading, ...]
) -> tuple[Question, ...]:
    """A question runs to the next question heading or the next section (`#`/`##`) heading; headings of
    level 3 and deeper inside it (students' sub-headings) belong to its answer."""
    out: list[Question] = []
    quotes = frozenset(
        i
        for i, line in enumerate(lines, 1)
        if line[:1] == ">" or (line[:1] in " \t" and line.lstrip()[:1] == ">")
    )
    matches = [_QUESTION.match(h.title) for h in headings]
    # The end of each question: the line before the next heading that ends one (a section or a question),
    # found in one backward pass (looking ahead from every heading would be quadratic).
    ends: list[int] = [len(lines)] * len(headings)
    end = len(lines)
    for idx in range(len(headings) - 1, -1, -1):
        ends[idx] = end
        h = headings[idx]
        if h.level <= 2 or matches[idx]:
            end = h.line - 1
    for idx, h in enumerate(headings):
        m = matches[idx]
        if not m or h.level < 2:
            continue
        out.append(_question(lines, quotes, int(m.group(1)), h.line, ends[idx]))
    return tuple(out)


def _question(
    lines: tuple[str, ...], quotes: frozenset[int], number: int, heading_line: int, end: int
) -> Question:
    """Read one question: lines heading_line+1..end (1-based, inclusive). `quotes` holds the 1-based numbers
    of every line starting with `>`."""
    i = heading_line  # 0-based index of the line after the heading
    while i < end and not lines[i].strip():
        i += 1
    prompt_start = i + 1 if (i + 1) in quotes else None
    last_quote = i
    marker_line: int | None = None
    # The quoted block: quote lines, also across blank lines up to the `Answer:` line (the 2026 template's
    # question 3 has a blank line inside its quote).
    while i < end:
        if (i + 1) in quotes:
            last_quote = i
            if marker_line is None and _ANSWER_MARK in lines[i]:
                marker_line = i + 1
            i += 1
            continue
        if marker_line is not None or lines[i].strip():
            break
        j = i
        while j < end and not lines[j].strip():
            j += 1
        if j >= end or (j + 1) not in quotes:
            break
        i = j
    prompt_parts: list[str] = []
    recommended: tuple[int, int] | None = None
    quoted: list[str] = []
    if prompt_start is not None:
        stop = (marker_line - 1) if marker_line is not None else last_quote + 1
        block = lines[prompt_start - 1 : stop]
        for line in block:
            if "**" in line:
                content = line.lstrip()[1:].strip()
                if content[:2] == "**":
                    prompt_parts.append(content.strip("*").strip())
        joined = "\n".join(block)
        lm = _LENGTH.search(joined) if "ength" in joined else None
        if lm:
            recommended = (int(lm.group(1)), int(lm.group(2)))
        if marker_line is not None:
            rest = lines[marker_line - 1].split(_ANSWER_MARK, 1)[1].strip()
            after = [
                lines[k].lstrip()[1:].strip() for k in range(marker_line, last_quote + 1) if (k + 1) in quotes
            ]
            quoted = [rest, *after]
    prompt_span = Span(prompt_start, last_quote + 1) if prompt_start is not None else None
    answer_start = (last_quote + 2) if prompt_start is not None else heading_line + 1
    if marker_line is None:
        # `Answer:` moved out of the quote (the `>` deleted): still the marker, if it is the first text.
        k = answer_start - 1
        while k < end and not lines[k].strip():
            k += 1
        if k < end and lines[k].lstrip().startswith(_ANSWER_MARK):
            marker_line = k + 1
            rest = lines[k].split(_ANSWER_MARK, 1)[1].strip()
            answer_start = k + 2
            if rest:
                answer_start = k + 1
    answer_lines = list(lines[answer_start - 1 : end])
    if answer_lines and marker_line == answer_start:
        answer_lines[0] = answer_lines[0].split(_ANSWER_MARK, 1)[1]
    answer = "\n".join(answer_lines).strip()
    placeholders: tuple[int, ...] = ()
    if "fill here" in answer:
        placeholders = tuple(
            answer_start + k for k, line in enumerate(answer_lines) if _PLACEHOLDER.search(line)
        )
    return Question(
        number=number,
        heading_line=heading_line,
        prompt=" ".join(prompt_parts),
        prompt_span=prompt_span,
        recommended=recommended,
        marker_line=marker_line,
        quoted_answer="\n".join(q for q in quoted if q).strip(),
        answer=answer,
        answer_span=Span(answer_start, end),
        placeholder_lines=placeholders,
        span=Span(heading_line, end),
    )


def _checklist(lines: tuple[str, ...], headings: tuple[Heading, ...]) -> tuple[ChecklistItem, ...]:
    """Checkbox items before the first question, grouped by the heading above them (`Week 1`, `Extra`...)."""
    first_q = next((h.line for h in headings if h.level >= 2 and _QUESTION.match(h.title)), len(lines) + 1)
    out: list[ChecklistItem] = []
    group = ""
    heads = iter(headings)
    nxt = next(heads, None)
    for i in range(first_q - 1):
        while nxt is not None and nxt.line <= i + 1:
            group = nxt.title
            nxt = next(heads, None)
        line = lines[i]
        if "[" not in line:
            continue
        m = _CHECKBOX.match(line)
        if m:
            box = m.group(1)
            out.append(ChecklistItem(group, m.group(2).strip(), bool(box.strip()), i + 1, box))
    return tuple(out)
