"""Student text in our Markdown comments: it cannot @-mention anyone, reference an issue, inject HTML or
break a table row. Pure.

`escape(text)` decides code spans exactly as CommonMark (and so GitHub) will: a backslash escapes the
next ASCII punctuation character, a run of n backticks opens a span only if a later run of exactly n
backticks closes it, and an unclosed run is plain text. Code spans are kept as written (GitHub neither
links mentions nor decodes entities in them); everything else has `&`, `<` and `>` turned into entities,
a zero-width space after every `@` and between `#`/`GH-` and a digit, and a backslash before every
backtick (one outside every span must not pair with a backtick of the text around). Line breaks become spaces, so the
text stays inline. In table cells every `|` is escaped, code spans included (GFM splits a row into cells
before it reads code spans), and a backslash in front of one cannot un-escape it.

`code(text)` shows student text as one code span whose backtick fence is longer than any run inside it.
"""

from __future__ import annotations

import bisect
import re

ZWSP = "\u200b"
_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_RUNS = re.compile(r"`+")
_REFERENCE = re.compile(r"(#|GH-)(?=\d)", re.IGNORECASE)


def _plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("@", "@" + ZWSP)
    return _REFERENCE.sub(lambda m: m.group(1) + ZWSP, text)


def _ticks(text: str) -> str:
    """Text outside code spans with a backslash before each backtick that is not escaped already: left
    bare, it would pair with a backtick of the Markdown around it and open a span there."""
    if "`" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in _PUNCT:
            out.append(text[i : i + 2])
            i += 2
            continue
        out.append("\\`" if c == "`" else c)
        i += 1
    return "".join(out)


def code_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every code span of `text` read as CommonMark inline content, in order.

    Linear: the closer of a run is looked up among the maximal runs of its length (bisect), never by
    scanning the rest of the text again."""
    runs: dict[int, list[int]] = {}
    for m in _RUNS.finditer(text):
        runs.setdefault(m.end() - m.start(), []).append(m.start())
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in _PUNCT:
            i += 2
            continue
        if c != "`":
            nxt = _next_special(text, i)
            i = nxt
            continue
        length = 1
        while i + length < n and text[i + length] == "`":
            length += 1
        starts = runs.get(length, [])
        k = bisect.bisect_left(starts, i + length)
        if k < len(starts):
            end = starts[k] + length
            spans.append((i, end))
            i = end
        else:
            i += length  # no closer: the run is plain text
    return spans


def _next_special(text: str, i: int) -> int:
    """The next backslash or backtick at or after i + 1 (or the end)."""
    a = text.find("\\", i + 1)
    b = text.find("`", i + 1)
    if a == -1:
        return b if b != -1 else len(text)
    return a if b == -1 else min(a, b)


def escape(text: str, *, table: bool = False) -> str:
    """`text` made safe for a GitHub comment (see the module doc); `table`: for a table cell."""
    text = text.replace("\r", " ").replace("\n", " ")
    out: list[str] = []
    pos = 0
    for start, end in code_spans(text):
        out += (_plain(_ticks(text[pos:start])), text[start:end])
        pos = end
    out.append(_plain(_ticks(text[pos:])))
    result = "".join(out)
    # Backticks of the Markdown around must not lengthen a span's fence at either end, and a trailing
    # backslash must not escape what follows.
    if result.startswith("`"):
        result = ZWSP + result
    if result.endswith(("`", "\\")):
        result += ZWSP
    if table:
        # `\` + ZWSP + `\|`: both GFM (cmark) and markdown-it then see an escaped pipe.
        result = result.replace("\\|", "\\" + ZWSP + "|").replace("|", "\\|")
    return result


def code(text: str, limit: int = 80) -> str:
    """Student text as one inline code span that cannot be closed early: whitespace runs become one space,
    the text is cut to `limit` characters (ending in "…"), and the fence has one backtick more than the
    longest run inside (padded with spaces when the text starts or ends with a backtick)."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    if not flat:
        return "``"
    fence = "`" * (max((len(r) for r in _RUNS.findall(flat)), default=0) + 1)
    pad = " " if flat[0] == "`" or flat[-1] == "`" else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
