"""The one HTML allow-list every rendered piece of student text goes through (nh3, i.e. ammonia): no
scripts, event handlers, styles, forms, frames, embeds, `meta`/`base`/`link`; `href`/`src` keep only
http(s)/mailto or relative URLs. And `html_depth`, the nesting estimate that bounds the sanitiser's cost.
Pure."""

from __future__ import annotations

import re
from functools import cache

import nh3

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
def cleaner() -> nh3.Cleaner:
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


_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)")
"""The start of a tag; it ends at the next `>` (`<(/?)(name)[^>]*?(/?)>`, without that regex's rescans to
the end of the text from every `<` when no `>` follows)."""
_FLAT = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rp", "rt",
}  # fmt: skip
"""Void elements, and elements an HTML parser closes by itself when the next one opens."""


def html_depth(markup: str) -> int:
    """How deep the elements of `markup` nest, estimated from its tags (unclosed ones count)."""
    depth = deepest = 0
    pos = 0
    while (m := _TAG_OPEN.search(markup, pos)) is not None:
        gt = markup.find(">", m.end())
        if gt == -1:
            break  # no later `<` is closed either
        pos = gt + 1
        self_closing = gt > m.end() and markup[gt - 1] == "/"
        if m.group(2).lower() in _FLAT or self_closing:
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest
