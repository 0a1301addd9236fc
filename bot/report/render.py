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
from functools import cache
from importlib import resources

from bot.report import handin_diff, official
from bot.report.check import Verdict, check
from bot.report.diagnostics import Diagnostic
from bot.report.embed import Embedder, image_hints, inline_code, sniff
from bot.report.handin_diff import Views
from bot.report.page_limits import ReadFile, RenderedPage, RenderError, RenderLimits, over_limit
from bot.report.parse import Question, Report
from bot.report.rules import Range, detect_year

__all__ = ["PAGE_CSP", "ReadFile", "RenderError", "RenderLimits", "RenderedPage", "render_page", "sniff"]

_DEFAULT_LIMITS = RenderLimits()

PAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The policy the page declares itself (a `<meta>` cannot carry `sandbox`; the server header adds it)."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@cache
def _stylesheet() -> str:
    return resources.files("bot.report").joinpath("page.css").read_text("utf-8")


# --------------------------------------------------------------------------- the page


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
    views = handin_diff.views(report, limits.max_html_depth)
    embedder = Embedder(read_file, report_dir, limits, image_hints(verdict.diagnostics))
    by_question: dict[int | None, list[Diagnostic]] = {}
    for d in verdict.diagnostics:
        by_question.setdefault(d.question, []).append(d)
    first: dict[int, int] = {}
    for k, q in enumerate(report.questions):
        first.setdefault(q.number, k)
    shown = set(first)
    badges = {
        n: ("" if plain else _badge(report.questions[k], verdict, by_question)) for n, k in first.items()
    }
    differing = sum(bool(d) for k, d in enumerate(views.differs) if first[report.questions[k].number] == k)
    github = _github_view(report, views, badges, embedder, first)
    counted = (embedder.embedded, embedder.missing, embedder.remote)  # the page's counts: one view's
    handin = _handin_view(report, views, badges, embedder, first)
    embedder.embedded, embedder.missing, embedder.remote = counted
    nav = (
        '<div class="rb-views"><a href="#view-handin">The hand-in</a> <a href="#view-github">GitHub view</a>'
        f' <span data-handin-differs-count="{differing}">'
        f"{_plural(differing, 'answer')} {'looks' if differing == 1 else 'look'} different in the hand-in"
        "</span></div>"
    )
    body = [nav, handin, github]
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


_NOUNS = {
    "code": "a code block",
    "table": "a table",
    "list": "a list",
    "heading": "a heading",
    "image": "an image",
    "link": "a link",
    "html": "an HTML block",
}


def _differs_note(kinds: tuple[str, ...], other: str, other_label: str) -> str:
    what = ", ".join(_NOUNS[k] for k in kinds)
    return (
        f'<p class="rb-differs-note">Looks different in the hand-in ({what}). '
        f'<a href="#{other}">{other_label}</a></p>'
    )


def _section(
    n: int, kinds: tuple[str, ...], dup: bool, ids: tuple[str, str, str], head: str, badge: str, body: str
) -> str:
    """One question of one view; `ids` = (its id here, the id of the same question in the other view, the
    link's label). A duplicate question has no id and no note (the first occurrence has them)."""
    own, other, other_label = ids
    ident = f'data-question="{n}" data-duplicate="true"' if dup else f'id="{own}" data-question="{n}"'
    attrs = f' data-handin-differs="{" ".join(kinds)}"' if kinds else ""
    note = _differs_note(kinds, other, other_label) if kinds and not dup else ""
    cls = "rb-question rb-differs" if kinds else "rb-question"
    return f'<section class="{cls}" {ident}{attrs}>{head}{badge}{note}{body}</section>'


def _handin_view(
    report: Report, views: Views, badges: dict[int, str], embedder: Embedder, first: dict[int, int]
) -> str:
    label = (
        '<p class="rb-view-label"><strong>The hand-in</strong>: the page <code>python report.py html</code> '
        "makes, which graders read (Python-Markdown, the first 43 characters cut off).</p>"
    )
    hv = views.handin
    if hv is None:
        why = html.escape(views.unavailable or "")
        return (
            f'<div class="rb-view" id="view-handin">{label}<p class="rb-unavailable" data-handin-unavailable="1">'
            f"The hand-in cannot be shown: {why}.</p></div>"
        )
    out = [label, embedder.fragment(hv.intro)]
    for k, q in enumerate(report.questions):
        n = q.number
        kinds = views.differs[k]
        dup = first[n] != k
        head = embedder.fragment(hv.heads[k]) or (
            f'<p class="rb-no-heading">Question {n}: no heading of its own in the hand-in</p>'
        )
        badge = "" if dup else badges[n]
        ids = (f"question-{n}", f"github-question-{n}", "See it on GitHub")
        out.append(_section(n, kinds, dup, ids, head, badge, embedder.fragment(hv.bodies[k])))
    return f'<div class="rb-view" id="view-handin">{"".join(out)}</div>'


def _github_view(
    report: Report, views: Views, badges: dict[int, str], embedder: Embedder, first: dict[int, int]
) -> str:
    gv = views.github
    label = '<p class="rb-view-label"><strong>GitHub view</strong>: the report as GitHub shows it.</p>'
    out = [label, embedder.fragment(gv.intro)]
    for k, q in enumerate(report.questions):
        n = q.number
        kinds = views.differs[k]
        dup = first[n] != k
        head = embedder.fragment(gv.heads[k]) or f"<h3>Question {n}</h3>"
        if dup:
            badge = (
                '<div class="rb-badge"><strong class="rb-bad">Question {n} again: a duplicate</strong></div>'
            )
            badge = "" if not badges[n] else badge.format(n=n)
        else:
            badge = badges[n]
        ids = (f"github-question-{n}", f"question-{n}", "See the hand-in")
        out.append(_section(n, kinds, dup, ids, head, badge, embedder.fragment(gv.bodies[k])))
    return f'<div class="rb-view" id="view-github">{"".join(out)}</div>'
