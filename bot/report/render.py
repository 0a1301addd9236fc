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

import base64
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from bot.report import official
from bot.report.check import Verdict, check
from bot.report.diagnostics import Diagnostic
from bot.report.images import resolve
from bot.report.parse import Question, Report
from bot.report.rules import Range, detect_year

ReadFile = Callable[[str], bytes | None]

PAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The policy the page declares itself (a `<meta>` cannot carry `sandbox`; the server header adds it)."""

_MB = 1_000_000


class RenderError(ValueError):
    """A hard limit was exceeded; the message is one line naming the limit and the value."""


@dataclass(frozen=True)
class RenderLimits:
    max_report_bytes: int = 256_000
    """The report's size in UTF-8 (the largest real report is about 50 KB). Markdown parsing of hostile
    text can cost ~40 µs a byte (a normal report ~1 µs), so this also bounds the time: ~10 s at worst."""
    max_images: int = 100
    """Distinct repository image files looked up (the most any real report links is 15)."""
    max_image_bytes: int = 10 * _MB
    """One image file."""
    max_total_image_bytes: int = 30 * _MB
    """All embedded image files together (before base64)."""
    max_output_bytes: int = 48 * _MB
    """The finished page in UTF-8."""
    max_html_depth: int = 100
    """Nesting of HTML elements in the student's raw HTML (the sanitiser's HTML parser, like a browser's,
    is quadratic in it: 20,000 unclosed `<div>`s take seconds)."""


@dataclass(frozen=True)
class RenderedPage:
    html: str
    images_embedded: int
    """`<img>` elements embedded from the repository (a file linked twice counts twice)."""
    images_missing: int
    """Placeholders for repository paths that are absent, outside the repository or not an image."""
    images_remote: int
    """Placeholders for remote (http/https) images."""
    image_bytes: int
    """Bytes of distinct embedded image files (before base64)."""


# --------------------------------------------------------------------------- markdown and the allow-list

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
}  # fmt: skip
_DROP_WITH_CONTENT = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "noembed",
    "noframes", "template", "textarea", "select", "svg", "math", "title", "xmp", "plaintext",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_ALIGN = {"left", "right", "center"}
_TEXT_ALIGN = {f"text-align:{a}" for a in _ALIGN}
_TAG_VALUES = {
    **{t: {"align": _ALIGN} for t in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "figure")},
    "td": {"align": _ALIGN, "style": _TEXT_ALIGN},
    "th": {"align": _ALIGN, "style": _TEXT_ALIGN},
}
_DIMENSION = re.compile(r"^\d{1,5}(?:px|%)?$")
_NUMBER = re.compile(r"^\d{1,4}$")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in ("width", "height"):
        return value if _DIMENSION.match(value.strip()) else None
    if attr in ("start", "colspan", "rowspan"):
        return value if _NUMBER.match(value.strip()) else None
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        tag_attribute_values=_TAG_VALUES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


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


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
_FLAT = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rp", "rt",
}  # fmt: skip
"""Void elements, and elements an HTML parser closes by itself when the next one opens."""


def _html_depth(markup: str) -> int:
    """How deep the elements of `markup` nest, estimated from its tags (unclosed ones count)."""
    depth = deepest = 0
    for m in _TAG.finditer(markup):
        if m.group(2).lower() in _FLAT or m.group(3):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


# --------------------------------------------------------------------------- images

_IMG_TAG = re.compile(r'<img((?:\s+[a-z-]+="[^"]*")*)\s*/?>')
_ATTR = re.compile(r'([a-z-]+)="([^"]*)"')
_REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_IMAGE_CODES = {"RB020", "RB021", "RB022", "RB023", "RB024", "RB025"}
_TICKED = re.compile(r"`([^`]*)`")


def sniff(data: bytes) -> str | None:
    """The image type from the bytes themselves: PNG, JPEG, GIF or WebP; anything else (SVG...) is None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _size(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:.1f} MB"
    return f"{n / 1000:.0f} KB" if n >= 10_000 else f"{n:,} bytes"


def _limit(what: str, value: int, limit: int, name: str, unit: str = "bytes") -> RenderError:
    shown = (_size(value), _size(limit)) if unit == "bytes" else (f"{value:,} {unit}", f"{limit:,}")
    return RenderError(f"{what} is {shown[0]}, over the limit of {shown[1]} ({name})")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@dataclass
class _Embedder:
    read_file: ReadFile
    report_dir: str
    limits: RenderLimits
    hints: dict[str, str]
    cache: dict[str, tuple[str, str] | str] = field(default_factory=dict)
    """repo path -> (mime, base64) or the reason it is not embedded."""
    embedded: int = 0
    missing: int = 0
    remote: int = 0
    total_bytes: int = 0

    def fragment(self, sanitised: str) -> str:
        out: list[str] = []
        last = 0
        for m in _IMG_TAG.finditer(sanitised):
            out.append(sanitised[last : m.start()])
            out.append(self.image({k: html.unescape(v) for k, v in _ATTR.findall(m.group(1))}))
            last = m.end()
        out.append(sanitised[last:])
        if any("<img" in part for part in out[::2]):  # fail closed: an image tag we did not rebuild
            raise RenderError("the sanitised page holds an image tag that cannot be rebuilt; not rendered")
        return "".join(out)

    def image(self, attrs: dict[str, str]) -> str:
        src = attrs.get("src", "").strip()
        alt = attrs.get("alt", "")
        if not src:
            self.missing += 1
            hint = "Only images stored in the repository are shown; link them as `figures/<name>.png`."
            return _placeholder("missing", "Image not shown", "(no usable source)", alt, hint)
        if _REMOTE.match(src):
            self.remote += 1
            hint = self.hint(src, "Download it into the `figures` folder and link it from there.")
            return _placeholder("remote", "Remote image: not part of the hand-in", src, alt, hint)
        if _SCHEME.match(src) or src.startswith("/") or "\\" in unquote(src):
            self.missing += 1
            if _SCHEME.match(src):
                why = "Image not shown"
            elif "\\" in unquote(src):
                why = "Image path with backslashes (works only on Windows)"
            else:
                why = "Image path outside the repository"
            hint = self.hint(src, "Use a path relative to the report, e.g. `figures/<name>.png`.")
            return _placeholder("missing", why, src, alt, hint)
        path = resolve(src, self.report_dir)
        got = self.load(path)
        if isinstance(got, str):
            self.missing += 1
            hint = self.hint(src, f"Add the file at `{path}` (commit it) or fix the link.")
            return _placeholder("missing", got, path, alt, hint)
        mime, b64 = got
        self.embedded += 1
        extra = "".join(f' {k}="{html.escape(attrs[k])}"' for k in ("width", "height", "title") if k in attrs)
        return f'<img src="data:{mime};base64,{b64}" alt="{html.escape(alt)}"{extra}>'

    def load(self, path: str) -> tuple[str, str] | str:
        if path in self.cache:
            return self.cache[path]
        if path in ("", ".", "..") or path.startswith(("../", "/")):
            got: tuple[str, str] | str = "Image path outside the repository"
        else:
            if len(self.cache) >= self.limits.max_images:
                raise RenderError(f"too many images: more than {self.limits.max_images} linked (max_images)")
            data = self.read_file(path)
            got = self.embed(path, data)
        self.cache[path] = got
        return got

    def embed(self, path: str, data: bytes | None) -> tuple[str, str] | str:
        if data is None:
            return "Image not in the repository"
        lim = self.limits
        if len(data) > lim.max_image_bytes:
            raise _limit(f"image {path}", len(data), lim.max_image_bytes, "max_image_bytes")
        mime = sniff(data)
        if mime is None:
            return "Not a PNG, JPEG, GIF or WebP image (SVG and other formats are not shown)"
        self.total_bytes += len(data)
        if self.total_bytes > lim.max_total_image_bytes:
            raise _limit(
                "images in total", self.total_bytes, lim.max_total_image_bytes, "max_total_image_bytes"
            )
        return mime, base64.b64encode(data).decode("ascii")

    def hint(self, src: str, default: str) -> str:
        return self.hints.get(unquote(src)) or self.hints.get(src) or default


def _placeholder(kind: str, title: str, where: str, alt: str, hint: str) -> str:
    e = html.escape
    label = f"{title}: {where}"
    alt_html = f'<span class="rb-img-alt">“{e(alt)}”</span>' if alt else ""
    return (
        f'<span class="rb-img rb-img-{kind}" role="img" aria-label="{e(label)}" data-placeholder="{kind}" '
        f'data-path="{e(where)}"><span class="rb-img-title">{e(title)}</span><code>{e(where)}</code>'
        f'{alt_html}<span class="rb-img-hint">{_inline_code(hint)}</span></span>'
    )


def _image_hints(diagnostics: Sequence[Diagnostic]) -> dict[str, str]:
    """Link target -> the checker's hint for it (image diagnostics name the target in backticks)."""
    out: dict[str, str] = {}
    for d in diagnostics:
        if d.code in _IMAGE_CODES:
            m = _TICKED.search(d.message)
            if m:
                out.setdefault(unquote(m.group(1)), d.hint)
    return out


def _inline_code(text: str) -> str:
    """Escape a hint and show its `backticked` parts as code."""
    parts = text.split("`")
    return "".join(f"<code>{html.escape(p)}</code>" if k % 2 else html.escape(p) for k, p in enumerate(parts))


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
            f'<li class="rb-{d.severity}"><code class="rb-code">{d.code}</code> {_inline_code(d.message)}{where}. '
            f'<span class="rb-hint">{_inline_code(d.hint)}</span></li>'
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
    limits: RenderLimits = RenderLimits(),
) -> RenderedPage:
    """Render `raw` (the report as read, BOM/CRLF allowed) into one self-contained HTML page.

    `read_file(repo_path)` returns a repository file's bytes or None; it is the only source of images.
    `verdict` (of the same text) supplies the header, badges and image hints; computed here when None.
    `plain` leaves the header and badges out. Raises `RenderError` when a limit is exceeded.
    """
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > limits.max_report_bytes:
        raise _limit("report", size, limits.max_report_bytes, "max_report_bytes")
    report_dir = report_dir.strip("/")
    if verdict is None:
        rules, reason = detect_year(raw)
        verdict = check(raw, rules, None, report_dir, reason)
    report = verdict.report
    md = _markdown()
    env: dict[str, object] = {}
    tokens = md.parse(report.text, env)
    _tick_boxes(tokens)
    embedder = _Embedder(read_file, report_dir, limits, _image_hints(verdict.diagnostics))
    clean = _cleaner().clean

    def fragment(toks: list[Token]) -> str:
        if not toks:
            return ""
        rendered = md.renderer.render(toks, md.options, env)
        depth = _html_depth(rendered)
        if depth > limits.max_html_depth:
            raise _limit("HTML nesting", depth, limits.max_html_depth, "max_html_depth", "levels")
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
        raise _limit("page", out_size, limits.max_output_bytes, "max_output_bytes")
    return RenderedPage(page, embedder.embedded, embedder.missing, embedder.remote, embedder.total_bytes)
