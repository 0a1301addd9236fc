"""Report text -> one self-contained, sanitised HTML page: the `/report html` preview of the hand-in.

Pure: no I/O except `read_file` (the caller's view of the repository snapshot at the checked commit) and
the package's own stylesheet. `render_page` returns a `RenderedPage` (`.html` plus image counts).

How the page stays safe with hostile Markdown (raw HTML included):

1. markdown-it (CommonMark + tables + strikethrough, front matter hidden) renders the student's text.
2. Every rendered piece goes through one nh3 (ammonia) allow-list: no scripts, event handlers, styles,
   forms, frames, embeds, `meta`/`base`/`link`; `href`/`src` keep only http(s)/mailto or relative URLs
   (`data:` and `javascript:` are removed whatever their spelling).
3. Only then are images embedded. ammonia serialises every attribute double-quoted with `&<>"` escaped,
   so each `<img ...>` of its output is matched exactly and rebuilt from scratch: an `<img>` whose `src`
   is a `data:` URI made here from the repository file's bytes (type sniffed: PNG/JPEG/GIF/WebP only,
   never SVG), or a placeholder box. No `src` written by the student survives, and if any `<img` is left
   unmatched the render fails closed.
4. The header and badges are built here, every value escaped.
5. The page carries its own CSP `<meta>` (no requests at all but `data:` images), so it is inert even as a
   plain file; the artifact server adds the same policy with `sandbox` as a header.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from bot.report import official
from bot.report.check import Verdict, check
from bot.report.diagnostics import Diagnostic
from bot.report.embed import Embedder, image_hints, inline_code, sniff
from bot.report.page_limits import ReadFile, RenderedPage, RenderError, RenderLimits, over_limit
from bot.report.parse import Question, Report
from bot.report.rules import Range, detect_year
from bot.report.sanitise import cleaner, html_depth

__all__ = ["PAGE_CSP", "ReadFile", "RenderError", "RenderLimits", "RenderedPage", "render_page", "sniff"]

_DEFAULT_LIMITS = RenderLimits()

PAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The policy the page declares itself (a `<meta>` cannot carry `sandbox`; the server header adds it)."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# --------------------------------------------------------------------------- markdown and the allow-list


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md.use(front_matter_plugin).use(tasklists_plugin)


@cache
def _stylesheet() -> str:
    return resources.files("bot.report").joinpath("page.css").read_text("utf-8")


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


# --------------------------------------------------------------------------- the page


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


def _range(r: Range | None) -> str:
    return "" if r is None else (f"{r.min}–{r.max}" if r.min != r.max else f"exactly {r.min}")


def _badge(q: Question, verdict: Verdict, by_question: dict[int | None, list[Diagnostic]]) -> str:
    n = q.number
    rule = verdict.rules.rule(n)
    result = next((r for r in verdict.official.questions or () if r.number == n), None)
    if result is not None:
        words, imgs, failed = result.words, result.images, set(result.failed)
        status, label, cls = (
            ("passed", "passed", "rb-ok") if result.passed else ("failed", "failed", "rb-bad")
        )
    else:
        words, imgs = official.count(q.answer)
        failed = set()
        status, label, cls = "unchecked", "not checked: the official script stops", "rb-unknown"
    if rule is None:
        status, label, cls = "unchecked", f"not in {verdict.rules.name}", "rb-unknown"
    pieces: list[str] = []
    wr, ir = (rule.words, rule.images) if rule else (None, None)
    wcls = " class='rb-bad'" if "words" in failed else (" class='rb-ok'" if wr and result else "")
    pieces.append(f"<span{wcls}>{words} words{f' · allowed {_range(wr)}' if wr else ''}</span>")
    if ir or imgs:
        icls = " class='rb-bad'" if "images" in failed else (" class='rb-ok'" if ir and result else "")
        allowed = f" · allowed {_range(ir)}" if ir else ""
        pieces.append(f"<span{icls}>{imgs} image{'s' if imgs != 1 else ''}{allowed}</span>")
    pieces.append(f'<strong class="{cls}">{html.escape(label)}</strong>')
    attrs = (
        f'data-question="{n}" data-words="{words}" data-images="{imgs}" data-status="{status}" '
        f'data-words-range="{_range(wr)}" data-images-range="{_range(ir)}"'
    )
    notes = _notes(by_question.get(n, ()))
    return f'<div class="rb-badge" {attrs}>{"".join(pieces)}</div>{notes}'


def _notes(diagnostics: Iterable[Diagnostic], fold_over: int = 0) -> str:
    """The findings as a list; folded into a `<details>` when there are more than `fold_over` (0: never)."""
    items = []
    for d in diagnostics:
        if d.severity == "info":
            continue
        where = f" (line {d.line})" if d.line else ""
        items.append(
            f'<li class="rb-{d.severity}"><code class="rb-code">{d.code}</code> {inline_code(d.message)}{where}. '
            f'<span class="rb-hint">{inline_code(d.hint)}</span></li>'
        )
    if not items:
        return ""
    listed = f'<ul class="rb-notes">{"".join(items)}</ul>'
    if fold_over and len(items) > fold_over:
        return f'<details class="rb-fold"><summary>{len(items)} findings about the whole report</summary>{listed}</details>'
    return listed


def _header(verdict: Verdict, group: str | None, commit: str | None, shown: set[int]) -> str:
    e = html.escape
    o = verdict.official
    facts = []
    if group:
        facts.append(("Group", e(group)))
    if commit:
        facts.append(("Commit", f'<code title="{e(commit)}">{e(commit[:12])}</code>'))
    facts.append(("Rules", f"{e(verdict.rules.name)} <small>({e(verdict.reason)})</small>"))
    if o.error is None:
        counts = f'data-official-passed="{o.passed}" data-official-total="{o.total}"'
        official_text = f"<strong {counts}>{o.passed}/{o.total}</strong> questions pass"
    else:
        official_text = f'<strong data-official-error="1">stops</strong>: {e(o.error)}'
    facts.append(("Official check", official_text))
    errors = sum(d.severity == "error" for d in verdict.diagnostics)
    warnings = sum(d.severity == "warning" for d in verdict.diagnostics)
    facts.append(("Findings", f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    general = _notes((d for d in verdict.diagnostics if d.question is None or d.question not in shown), 4)
    title = f"Exam report{f' — {e(group)}' if group else ''}"
    return f'<header class="rb-header"><h1>{title}</h1><dl class="rb-facts">{dl}</dl>{general}</header>'


def render_page(
    raw: str,
    read_file: ReadFile,
    *,
    verdict: Verdict | None = None,
    report_dir: str = "reports",
    commit: str | None = None,
    group: str | None = None,
    plain: bool = False,
    limits: RenderLimits = _DEFAULT_LIMITS,
) -> RenderedPage:
    """Render `raw` (the report as read, BOM/CRLF allowed) into one self-contained HTML page.

    `read_file(repo_path)` returns a repository file's bytes or None; it is the only source of images.
    `verdict` (of the same text) supplies the header, badges and image hints; computed here when None.
    `plain` leaves the header and badges out. Raises `RenderError` when a limit is exceeded.
    """
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > limits.max_report_bytes:
        raise over_limit("report", size, limits.max_report_bytes, "max_report_bytes")
    report_dir = report_dir.strip("/")
    if verdict is None:
        rules, reason = detect_year(raw)
        verdict = check(raw, rules, None, report_dir, reason)
    report = verdict.report
    md = _markdown()
    env: dict[str, object] = {}
    tokens = md.parse(report.text, env)
    _tick_boxes(tokens)
    embedder = Embedder(read_file, report_dir, limits, image_hints(verdict.diagnostics))
    clean = cleaner().clean

    def fragment(toks: list[Token]) -> str:
        if not toks:
            return ""
        rendered = md.renderer.render(toks, md.options, env)
        depth = html_depth(rendered)
        if depth > limits.max_html_depth:
            raise over_limit("HTML nesting", depth, limits.max_html_depth, "max_html_depth", "levels")
        return embedder.fragment(clean(rendered))

    by_question: dict[int | None, list[Diagnostic]] = {}
    for d in verdict.diagnostics:
        by_question.setdefault(d.question, []).append(d)

    body: list[str] = []
    shown: set[int] = set()
    for part in _split(tokens, report):
        q = part.question
        if q is None:
            body.append(fragment(part.body))
            continue
        n = q.number
        head = fragment(part.heading) or f"<h3>Question {n}</h3>"
        if part.duplicate:
            ident = f'data-question="{n}" data-duplicate="true"'
            dup = (
                f'<div class="rb-badge"><strong class="rb-bad">Question {n} again: a duplicate</strong></div>'
            )
            badge = "" if plain else dup
        else:
            shown.add(n)
            ident = f'id="question-{n}" data-question="{n}"'
            badge = "" if plain else _badge(q, verdict, by_question)
        body.append(f'<section class="rb-question" {ident}>{head}{badge}{fragment(part.body)}</section>')
    header = "" if plain else _header(verdict, group, commit, shown)
    title = html.escape(f"Exam report — {group}" if group else "Exam report")
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{title}</title>\n<link rel="icon" href="data:,">\n'
        f"<style>\n{_stylesheet()}</style>\n</head>\n"
        f'<body>\n{header}\n<main class="rb-report">\n{"".join(body)}\n</main>\n</body>\n</html>\n'
    )
    out_size = len(page) if page.isascii() else len(page.encode("utf-8", "surrogatepass"))
    if out_size > limits.max_output_bytes:
        raise over_limit("page", out_size, limits.max_output_bytes, "max_output_bytes")
    return RenderedPage(page, embedder.embedded, embedder.missing, embedder.remote, embedder.total_bytes)
