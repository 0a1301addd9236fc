"""The GitHub view: the report as GitHub shows it (markdown-it: CommonMark + tables + strikethrough, front
matter hidden, checklist boxes as ☑/☐), cut where the report's questions start and sanitised with the
page's one allow-list. Used by the page (its second view) and by `handin_diff` (what it compares the
hand-in with). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from bot.report.page_limits import over_limit
from bot.report.parse import Question, Report
from bot.report.sanitise import cleaner, html_depth


@cache
def markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md.use(front_matter_plugin).use(tasklists_plugin)


def _tick_boxes(tokens: list[Token]) -> None:
    """Checklist `<input>`s from the tasklists plugin -> ☑/☐ text (no form element on the page)."""
    for tok in tokens:
        if tok.type != "inline" or not tok.children:
            continue
        for k, child in enumerate(tok.children):
            if child.type == "html_inline" and child.content.startswith(
                '<input class="task-list-item-checkbox"'
            ):
                tok.children[k] = Token(
                    "text", "", 0, content="☑" if 'checked="checked"' in child.content else "☐"
                )


@dataclass(frozen=True)
class _Part:
    question: Question | None
    heading: list[Token]
    body: list[Token]
    duplicate: bool = False


def _split(tokens: list[Token], report: Report) -> list[_Part]:
    """Top-level tokens cut at each question heading: the intro, then one part per question."""
    first: dict[int, Question] = {}
    for q in report.questions:
        first.setdefault(q.number, q)
    starts: list[tuple[int, Question, bool]] = []  # (token index, question, duplicate)
    at = 0
    for q in report.questions:
        dup = first[q.number] is not q
        idx = _heading_index(tokens, q.heading_line, at)
        starts.append((idx, q, dup))
        at = idx
    parts = [_Part(None, [], tokens[: starts[0][0]] if starts else tokens)]
    for k, (idx, q, dup) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(tokens)
        seg = tokens[idx:end]
        lead = seg[0] if seg else None
        is_heading = (
            lead is not None and lead.type == "heading_open" and (lead.map or [0])[0] + 1 == q.heading_line
        )
        head, body = (seg[:3], seg[3:]) if is_heading else ([], seg)
        parts.append(_Part(q, head, body, dup))
    return parts


def _heading_index(tokens: list[Token], heading_line: int, start: int) -> int:
    """Index of the top-level token at a question's heading, or of the first block after it (a heading
    swallowed by an HTML block or a code fence still gets its section)."""
    for i in range(start, len(tokens)):
        tok = tokens[i]
        if tok.level == 0 and tok.map is not None and tok.map[0] + 1 >= heading_line and tok.nesting >= 0:
            return i
    return len(tokens)


@dataclass(frozen=True)
class GithubView:
    """The GitHub view, sanitised (images not yet embedded), in `report.questions` order."""

    intro: str
    heads: tuple[str, ...]
    bodies: tuple[str, ...]
    duplicate: tuple[bool, ...]


def github_view(report: Report, max_html_depth: int) -> GithubView:
    """Raises `RenderError` when the student's HTML nests deeper than `max_html_depth` (the sanitiser's
    parser is quadratic in it)."""
    md = markdown()
    env: dict[str, object] = {}
    tokens = md.parse(report.text, env)
    _tick_boxes(tokens)
    clean = cleaner().clean

    def fragment(toks: list[Token]) -> str:
        if not toks:
            return ""
        rendered = md.renderer.render(toks, md.options, env)
        depth = html_depth(rendered)
        if depth > max_html_depth:
            raise over_limit("HTML nesting", depth, max_html_depth, "max_html_depth", "levels")
        return str(clean(rendered))

    parts = _split(tokens, report)
    rest = parts[1:]
    return GithubView(
        fragment(parts[0].body),
        tuple(fragment(p.heading) for p in rest),
        tuple(fragment(p.body) for p in rest),
        tuple(p.duplicate for p in rest),
    )
