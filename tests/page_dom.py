"""A tiny DOM of a rendered page, built with `html.parser`, for asserting on the page's structure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs: str | None) -> list[Node]:
        """Descendants with this tag and attributes (value None: the attribute is present)."""
        out = []
        for node in self.walk():
            if tag is not None and node.tag != tag:
                continue
            if all((k in node.attrs) if v is None else node.attrs.get(k) == v for k, v in attrs.items()):
                out.append(node)
        return out

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_page(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


PAGE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "link",
    "style",
    "body",
    "header",
    "main",
    "section",
    "dl",
    "dt",
    "dd",
}
SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
}  # fmt: skip
EMBEDDED = (
    "data:image/png;base64,",
    "data:image/jpeg;base64,",
    "data:image/gif;base64,",
    "data:image/webp;base64,",
)
TEXT_ALIGN = {"text-align:left", "text-align:right", "text-align:center"}
URL_ATTRS = {
    "src",
    "href",
    "srcset",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "ping",
    "xlink:href",
}


def inert_problems(page: str | Node) -> list[str]:
    """Everything on a rendered page that could run code or make a request (empty: the page is inert)."""
    root = parse_page(page) if isinstance(page, str) else page
    out: list[str] = []
    for node in root.walk():
        where = f"<{node.tag} {node.attrs}>"
        if node.tag not in SAFE_TAGS | PAGE_TAGS:
            out.append(f"tag not allowed: {where}")
        for name, value in node.attrs.items():
            low = value.strip().lower()
            if name.startswith("on") or name in ("srcdoc", "formaction", "srcset", "ping", "background"):
                out.append(f"attribute not allowed: {where}")
            if name == "style" and not (node.tag in ("td", "th") and low in TEXT_ALIGN):
                out.append(f"style attribute not allowed: {where}")
            scripted = low.startswith(("javascript:", "data:", "vbscript:"))
            if (
                name in URL_ATTRS
                and node.tag != "img"
                and scripted
                and (node.tag, value) != ("link", "data:,")
            ):
                out.append(f"script/data URL: {where}")
        if node.tag == "img" and not node.attrs.get("src", "").startswith(EMBEDDED):
            out.append(f"image not embedded by the renderer: {where}")
        if node.tag == "meta" and set(node.attrs) - {"charset", "http-equiv", "content", "name"}:
            out.append(f"unexpected meta: {where}")
        if (
            node.tag == "meta"
            and node.attrs.get("http-equiv", "content-security-policy").lower() != "content-security-policy"
        ):
            out.append(f"unexpected meta: {where}")
        if node.tag == "link" and (node.attrs.get("rel") != "icon" or node.attrs.get("href") != "data:,"):
            out.append(f"unexpected link: {where}")
        if node.tag in ("style", "title", "meta", "link") and not any(
            a.tag == "head" for a in node.ancestors()
        ):
            out.append(f"<{node.tag}> outside <head>: {where}")
    if len(root.find_all("style")) != 1:
        out.append("more than the renderer's own stylesheet")
    return out
