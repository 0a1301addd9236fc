"""The rendered page's types: its hard limits (`RenderLimits`, `RenderError`), the result (`RenderedPage`),
and how it reads repository files (`ReadFile`). Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ReadFile = Callable[[str], bytes | None]

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


def size_text(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:.1f} MB"
    return f"{n / 1000:.0f} KB" if n >= 10_000 else f"{n:,} bytes"


def over_limit(what: str, value: int, limit: int, name: str, unit: str = "bytes") -> RenderError:
    shown = (size_text(value), size_text(limit)) if unit == "bytes" else (f"{value:,} {unit}", f"{limit:,}")
    return RenderError(f"{what} is {shown[0]}, over the limit of {shown[1]} ({name})")
