"""Which lines of a comment are command lines: one pass over the lines that follows Markdown's block
structure closely enough (fenced and indented code, raw HTML blocks, HTML comments, quotes, list items).
See `bot.commands.grammar` for the rules in words. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_LIST_MARKER = re.compile(r"[-+*]|\d{1,9}[.)]")
_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)")
_FENCE_CLOSE = re.compile(r"(`{3,}|~{3,})[ \t]*$")
_RAW_HTML_OPEN = re.compile(r"<(?:pre|script|style|textarea)(?:[ \t>]|$)", re.IGNORECASE)
_RAW_HTML_CLOSE = re.compile(r"</(?:pre|script|style|textarea)>", re.IGNORECASE)
BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class _Fence:
    char: str
    length: int
    content_col: int | None  # set when the fence opened in a list item: a less indented line ends it


def _indent(line: str, start: int = 0, col: int = 0) -> tuple[int, int]:
    """Skip spaces and tabs (tab stops of 4) from `start`; return (index, column) of what follows."""
    i = start
    while i < len(line) and line[i] in " \t":
        col = col + 4 - col % 4 if line[i] == "\t" else col + 1
        i += 1
    return i, col


def _is_blank(line: str) -> bool:
    return not line.strip(" \t")


def _fence_open(line: str, idx: int, col: int) -> _Fence | None:
    """A fence opening at `idx` (indent <= 3 already checked), directly or after list markers."""
    content_col: int | None = None
    while True:
        marker = _LIST_MARKER.match(line, idx)
        if not marker:
            break
        end = marker.end()
        marker_col = col + (end - idx)
        nxt, nxt_col = _indent(line, end, marker_col)
        if nxt == end or nxt >= len(line) or nxt_col - marker_col > 4:
            return None  # not a list item, an empty one, or one starting with indented code
        idx, col, content_col = nxt, nxt_col, nxt_col
    match = _FENCE_OPEN.match(line, idx)
    if not match:
        return None
    fence = match.group(1)
    if fence[0] == "`" and "`" in match.group(2):
        return None  # an info string with a backtick: inline code, not a fence
    return _Fence(fence[0], len(fence), content_col)


def _fence_closes(fence: _Fence, line: str) -> bool:
    idx, col = _indent(line)
    base = fence.content_col or 0
    if not base <= col <= base + 3:
        return False
    match = _FENCE_CLOSE.match(line, idx)
    if match is None:
        return False
    return match.group(1)[0] == fence.char and len(match.group(1)) >= fence.length


def _mask_code_spans(text: str) -> str:
    """Blank out inline code spans on one line (same length), so `<!--` inside them is not a comment.

    A run of backticks opens a span closed by the next run of the same length; a run without one is text.
    One pass over the runs: for every length, the runs of that length are kept in order, so finding the
    closer never rescans the line."""
    runs = [(m.start(), m.end()) for m in BACKTICKS.finditer(text)]
    if len(runs) < 2:
        return text
    by_length: dict[int, list[int]] = {}
    for k, (s, e) in enumerate(runs):
        by_length.setdefault(e - s, []).append(k)
    seen: dict[int, int] = {}  # length -> how many runs of that length lie before the current one
    out = list(text)
    k = 0
    while k < len(runs):
        s, e = runs[k]
        same = by_length[e - s]
        idx = seen.get(e - s, 0)
        seen[e - s] = idx + 1
        if idx + 1 >= len(same):
            k += 1
            continue
        closer = same[idx + 1]
        ce = runs[closer][1]
        out[s:ce] = " " * (ce - s)
        for j in range(k + 1, closer + 1):  # the runs inside the span (and the closer) are skipped
            length = runs[j][1] - runs[j][0]
            seen[length] = seen.get(length, 0) + 1
        k = closer + 1
    return "".join(out)


class Scanner:
    """Walks the lines once, tracking code blocks, raw HTML blocks and HTML comments."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        n = len(lines)
        # For each line: the first line at or after it that contains `-->`, and the first blank line.
        self.next_close = [n] * (n + 1)
        self.next_blank = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            self.next_close[i] = i if "-->" in lines[i] else self.next_close[i + 1]
            self.next_blank[i] = i if _is_blank(lines[i]) else self.next_blank[i + 1]
        self.fence: _Fence | None = None
        self.raw_html = False
        self.comment_end: tuple[int, int] | None = None  # (line, column just after `-->`)
        self.in_paragraph = False

    def _scan_comments(self, i: int, start: int, at_line_start: bool) -> None:
        """Look for `<!--` in line i from `start`; set comment_end when one opens and is not closed here."""
        line = self.lines[i]
        if "<!--" not in line[start:]:
            return
        masked = _mask_code_spans(line)
        pos = start
        block = at_line_start
        while (opener := masked.find("<!--", pos)) != -1:
            # An HTML block comment's end may overlap its opener (`<!-->`); an inline one may not.
            close = line.find("-->", opener + (2 if block else 4))
            if close != -1:
                pos = close + 3
            else:
                j = self.next_close[i + 1]
                if block or j < self.next_blank[i + 1]:
                    self.comment_end = (j, self.lines[j].find("-->") + 3 if j < len(self.lines) else 0)
                    return
                # An inline comment that never closes is shown as text, and so is every later `<!--` of
                # this line (none of them finds a `-->` either): stop here instead of searching again.
                return
            block = False

    def candidates(self) -> Iterator[tuple[int, str]]:
        """Yield (0-based index, text after the leading whitespace) of lines that may hold a command."""
        for i, line in enumerate(self.lines):
            if self.comment_end is not None:
                end_line, end_col = self.comment_end
                if i < end_line:
                    continue
                self.comment_end = None
                self.in_paragraph = False
                self._scan_comments(i, end_col, at_line_start=False)
                continue
            if self.fence is not None:
                fence = self.fence
                col = _indent(line)[1]
                ended_by_dedent = (
                    fence.content_col is not None and not _is_blank(line) and col < fence.content_col
                )
                if not ended_by_dedent:
                    if _fence_closes(fence, line):
                        self.fence = None
                        self.in_paragraph = False
                    continue
                self.fence = None
            if self.raw_html:
                if _RAW_HTML_CLOSE.search(line):
                    self.raw_html = False
                    self.in_paragraph = False
                continue
            yield from self._normal_line(i, line)

    def _normal_line(self, i: int, line: str) -> Iterator[tuple[int, str]]:
        if _is_blank(line):
            self.in_paragraph = False
            return
        idx, col = _indent(line)
        if col > 3:
            if self.in_paragraph:  # a paragraph continuation line, not code: comments count
                self._scan_comments(i, idx, at_line_start=False)
            return
        rest = line[idx:]
        if rest.startswith(">"):
            self.in_paragraph = True  # a lazy continuation may follow; quoted text itself never counts
            return
        fence = _fence_open(line, idx, col)
        if fence is not None:
            self.fence = fence
            return
        if _RAW_HTML_OPEN.match(rest):
            self.raw_html = not _RAW_HTML_CLOSE.search(line)
            self.in_paragraph = False
            return
        if rest.startswith("<!--"):
            self.in_paragraph = False
            self._scan_comments(i, idx, at_line_start=True)
            return
        self.in_paragraph = True
        yield i, rest
        self._scan_comments(i, idx, at_line_start=False)
