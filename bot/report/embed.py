"""Images on the rendered page: every `<img>` of the sanitised HTML rebuilt from scratch, as a `data:` URI
of the repository file's bytes at the checked commit (type sniffed: PNG/JPEG/GIF/WebP only, never SVG) or
a placeholder box that says why and how to fix it. No `src` written by the student survives. Pure: files
come only through the caller's `ReadFile`."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from bot.report.diagnostics import Diagnostic
from bot.report.images import resolve
from bot.report.page_limits import ReadFile, RenderError, RenderLimits, over_limit

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


@dataclass
class Embedder:
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
            raise over_limit(f"image {path}", len(data), lim.max_image_bytes, "max_image_bytes")
        mime = sniff(data)
        if mime is None:
            return "Not a PNG, JPEG, GIF or WebP image (SVG and other formats are not shown)"
        self.total_bytes += len(data)
        if self.total_bytes > lim.max_total_image_bytes:
            raise over_limit(
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
        f'{alt_html}<span class="rb-img-hint">{inline_code(hint)}</span></span>'
    )


def image_hints(diagnostics: Sequence[Diagnostic]) -> dict[str, str]:
    """Link target -> the checker's hint for it (image diagnostics name the target in backticks)."""
    out: dict[str, str] = {}
    for d in diagnostics:
        if d.code in _IMAGE_CODES:
            m = _TICKED.search(d.message)
            if m:
                out.setdefault(unquote(m.group(1)), d.hint)
    return out


def inline_code(text: str) -> str:
    """Escape a hint and show its `backticked` parts as code."""
    parts = text.split("`")
    return "".join(f"<code>{html.escape(p)}</code>" if k % 2 else html.escape(p) for k, p in enumerate(parts))
