"""Image links and links to files in the answers, as a Markdown renderer sees them (markdown-it tokens).

Only the text a group wrote is read: each question's answer (and an answer written inside the quote), never
the template's prompts. Fenced code is skipped. To stay fast and linear on hostile text, markdown-it only
sees the blocks (runs of non-blank lines) that hold an image, an `<img` or a link that is not a web URL, and
a block longer than `_CHUNK` characters or with more than `_OPENERS` links is read line by line (a longer
line in pieces): markdown-it's link matching is quadratic in one paragraph. `<img>` in HTML blocks and
inline HTML is read with a linear scanner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from bot.report.parse import Question, Report

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_CHUNK = 1000
_OPENERS = 20
_PLAIN = re.compile(r"(!?)\[[^\[\]\n`\\<]{0,300}\]\(([^()\s<>\\`&]{1,500})\)")
"""A plain `[text](target)` or `![alt](target)`: no nesting, escapes, code, HTML or entities."""
_IMG = re.compile(r"<img\b([^<>]*)", re.IGNORECASE)
_SRC = re.compile(r"""(?:^|\s)src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`]+))""", re.IGNORECASE)


class Link(NamedTuple):
    target: str
    """The destination as written (backslash escapes and entities decoded, nothing percent-encoded)."""
    line: int
    image: bool
    question: int
    in_code: bool = False
    """An image link written inside a fenced code block: the official regex counts it, Markdown shows code."""


@cache
def parser() -> MarkdownIt:
    """markdown-it as GitHub reads a report (tables, raw HTML), links kept as written. Imported on first
    use: `report-bot check` of a report without links never loads it."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]  # the target as the student wrote it
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # data:/javascript: are diagnosed
    md.disable(["emphasis", "autolink", "balance_pairs", "fragments_join", "text_join"])  # not needed: faster
    return md


def regions(q: Question) -> Iterator[tuple[int, int]]:
    """The 1-based inclusive line ranges a group wrote in question `q`."""
    if q.quoted_answer and q.marker_line is not None and q.prompt_span is not None:
        yield q.marker_line, q.prompt_span.end
    if q.answer_span.end >= q.answer_span.start:
        yield q.answer_span.start, q.answer_span.end


def in_answers(report: Report, questions: Iterable[Question]) -> list[Link]:
    """Every image and link in the answers of `questions`, in order."""
    return find(report, [(s, e, q.number) for q in questions for s, e in regions(q)])


def find(report: Report, spans: Iterable[tuple[int, int, int]]) -> list[Link]:
    """Every image, and every link that is not to a web page (`http:`, `https:`, `mailto:`, `#...`), in the
    1-based inclusive line ranges `(start, end, question)`."""
    return [
        link
        for link in _find(report, spans)
        if link.image or not link.target.lstrip(" <").lower().startswith(_REMOTE_STARTS)
    ]


def _find(report: Report, spans: Iterable[tuple[int, int, int]]) -> Iterator[Link]:
    lines, code, starts, whole = report.lines, report.code_lines, report.line_starts, report.text
    for start, end, number in spans:
        if start > end:
            continue
        region = whole[starts[start - 1] : starts[end] if end < len(starts) else len(whole)]
        if "](" not in region and "<img" not in region.lower():
            continue  # most answers: no link at all
        block: list[int] = []
        for n in range(start, end + 2):
            text = lines[n - 1] if n <= end else ""
            if text.strip() and n not in code:
                block.append(n)
                continue
            if n in code and "![" in text and not text.lstrip().startswith(("```", "~~~")):
                yield from (link._replace(in_code=True) for link in _block(report, [n], number) if link.image)
            if block:
                yield from _block(report, block, number)
                block = []


_REMOTE_STARTS = ("http:", "https:", "#", "mailto:")


def _candidate(text: str) -> bool:
    """Whether a line may hold something to diagnose: an image, `<img`, or a link that is not a web URL
    (links to web pages are fine, and parsing them is most of markdown-it's time)."""
    if "![" in text or ("<" in text and "<img" in text.lower()):
        return True
    pos = text.find("](")
    while pos != -1:
        if not text[pos + 2 : pos + 12].lstrip(" <").lower().startswith(_REMOTE_STARTS):
            return True
        pos = text.find("](", pos + 2)
    return False


def _small(text: str) -> bool:
    return len(text) <= _CHUNK and text.count("](") <= _OPENERS


def _pieces(text: str) -> Iterator[str]:
    """`text` in pieces of at most `_CHUNK` characters and `_OPENERS` `](`, cut at a space when there is one:
    markdown-it's cost grows with (openers x length) of one paragraph."""
    while text:
        end = min(len(text), _CHUNK)
        pos, seen = text.find("]("), 0
        while pos != -1 and pos < end:
            seen += 1
            if seen > _OPENERS:
                end = pos
                break
            pos = text.find("](", pos + 2)
        if end < len(text):
            space = text.rfind(" ", 0, end)
            end = space + 1 if space > 0 else max(end, 1)
        yield text[:end]
        text = text[end:]


def _plain(texts: list[str]) -> list[tuple[int, str, bool]] | None:
    """The links of a block whose every `[` opens a plain link (and that has no backtick, `<` or `\\`, and no
    line indented as code): exactly what markdown-it finds there, found without it (most answers' links).
    None when the block needs the parser."""
    out = []
    for k, t in enumerate(texts):
        if "`" in t or "<" in t or "\\" in t or t[:4] == "    " or t[:1] == "\t":
            return None
        found = list(_PLAIN.finditer(t))
        if t.count("[") != len(found) or t.count("](") != len(found):
            return None
        out += [(k, m.group(2), m.group(1) == "!") for m in found]
    return out


def _block(report: Report, numbers: list[int], question: int) -> Iterator[Link]:
    texts = [report.lines[n - 1] for n in numbers]
    if not any(_candidate(t) for t in texts):
        return
    plain = _plain(texts)
    if plain is not None:
        for k, target, image in plain:
            yield Link(target, numbers[k], image, question)
        return
    if _small("\n".join(texts)):
        yield from _parse(texts, numbers[0], question)
        return
    for n, t in zip(numbers, texts, strict=True):
        if _candidate(t):
            for piece in _pieces(t):
                yield from _parse([piece], n, question)


def _parse(texts: list[str], first: int, question: int) -> Iterator[Link]:
    indent = min(len(t) - len(t.lstrip()) for t in texts) if texts else 0
    if indent >= 4:  # a list item's continuation read on its own would be an indented code block
        texts = [t[indent:] for t in texts]
    for tok in parser().parse("\n".join(texts)):
        if tok.map is None:
            continue
        if tok.type == "html_block":
            yield from _html(tok.content, first + tok.map[0], question)
        elif tok.type == "inline" and tok.children:
            yield from _inline(tok.children, texts, first, tok.map[0], tok.map[1], question)


def _inline(
    children: list[Token], texts: list[str], first: int, lo: int, hi: int, question: int
) -> Iterator[Link]:
    cursor = lo  # 0-based index into texts: links come in order, so search forward from the last one
    for c in children:
        if c.type == "image":
            target, image = str(c.attrs.get("src", "")), True
        elif c.type == "link_open":
            target, image = str(c.attrs.get("href", "")), False
        elif c.type == "html_inline":
            yield from _html(c.content, first + cursor, question)
            continue
        elif c.type in ("softbreak", "hardbreak"):
            cursor = min(cursor + 1, hi - 1)
            continue
        else:
            continue
        yield Link(target, first + cursor, image, question)


def _html(html: str, line: int, question: int) -> Iterator[Link]:
    for m in _IMG.finditer(html):
        src = _SRC.search(m.group(1))
        if src is None:
            continue
        target = next(g for g in src.groups() if g is not None)
        yield Link(target, line + html.count("\n", 0, m.start()), True, question)
