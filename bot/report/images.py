"""Image links in a report and what is wrong with each, given the repository's file list."""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from bot.report.diagnostics import Diagnostic, code, make
from bot.report.parse import Report

ALLOWED = (".png", ".jpg", ".jpeg")
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)\n]*)?\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_WINDOWS_ABS = re.compile(r"^[a-zA-Z]:[\\/]")


@dataclass(frozen=True)
class FileIndex:
    """The repository's files (posix paths from its root), for exact and case-insensitive look-ups."""

    exact: frozenset[str]
    lower: dict[str, str]

    by_name: dict[str, dict[str, str]]
    """folder -> {lower-case file name -> path}; the key "" holds every file (first path wins)."""

    @classmethod
    def of(cls, files: Iterable[str]) -> FileIndex:
        exact = frozenset(f.replace("\\", "/").lstrip("/") for f in files)
        by_name: dict[str, dict[str, str]] = {"": {}}
        for f in sorted(exact):
            folder, name = posixpath.split(f)
            by_name.setdefault(folder, {}).setdefault(name.lower(), f)
            by_name[""].setdefault(name.lower(), f)
        return cls(exact, {f.lower(): f for f in sorted(exact)}, by_name)


@dataclass(frozen=True)
class ImageLink:
    target: str
    line: int


def links(report: Report) -> list[ImageLink]:
    """Markdown and HTML image links outside code fences, in order."""
    found: list[tuple[int, str]] = []
    text = report.text
    if "![" in text:
        found += [(m.start(), m.group(1)) for m in _MD_IMAGE.finditer(text)]
    found += [(m.start(), m.group(1)) for m in _HTML_IMAGE.finditer(text)]
    out = []
    for pos, target in sorted(found):
        line = report.line_of_offset(pos)
        if line not in report.code_lines:
            out.append(ImageLink(target, line))
    return out


def resolve(target: str, report_dir: str) -> str:
    """Repository path a relative link points at (posix, no leading `./`)."""
    path = unquote(target.split("#", 1)[0].split("?", 1)[0])
    joined = posixpath.normpath(posixpath.join(report_dir, path)) if report_dir else posixpath.normpath(path)
    return joined.lstrip("./") if joined.startswith("./") else joined


def _closest(path: str, files: FileIndex) -> str | None:
    """The existing file the link most likely meant: by file name, preferring the link's own folder."""
    folder, name = posixpath.split(path)
    for names in (files.by_name.get(folder, {}), files.by_name[""]):
        near = difflib.get_close_matches(name.lower(), list(names), n=1, cutoff=0.75)
        if near:
            return names[near[0]]
    return None


def _relative(path: str, report_dir: str) -> str:
    return posixpath.relpath(path, report_dir or ".")


def diagnose(
    link: ImageLink,
    question: int | None,
    report_dir: str,
    files: FileIndex | None,
) -> list[Diagnostic]:
    """Everything wrong with one image link. `files` None means the repository's files are unknown."""
    t, line, q = link.target, link.line, question
    where = code(t, 100) if t else "an empty link"
    out: list[Diagnostic] = []
    if not t:
        return [make("RB020", q, line, "An image link has no target", "Put the image's path between the parentheses, e.g. `![loss](figures/loss.png)`.")]  # fmt: skip
    if t.startswith("data:"):
        return [make("RB024", q, line, "An image is embedded as a `data:` URI", "Save the image as a file in the `figures` folder and link it as `figures/<name>.png`.")]  # fmt: skip
    if _REMOTE.match(t) and not _WINDOWS_ABS.match(t):
        name = posixpath.basename(t.split("?", 1)[0].rstrip("/")) or "image"
        if not name.lower().endswith(ALLOWED):
            name += ".png"
        return [
            make("RB024", q, line, f"The image {where} is a remote URL: the hand-in will not include it",
                 f"Download it into `{posixpath.join(report_dir, 'figures')}/` and link {code('figures/' + name)} instead.")
        ]  # fmt: skip
    fixed = t
    if "\\" in t:
        fixed = t.replace("\\", "/")
        out.append(make("RB022", q, line, f"The image path {where} uses backslashes, which only work on Windows",
                        f"Write it with forward slashes: {code(fixed, 100)}."))  # fmt: skip
    if fixed.startswith("/") or _WINDOWS_ABS.match(fixed):
        tail = fixed.split("/figures/", 1)
        suggestion = f"figures/{tail[1]}" if len(tail) == 2 else posixpath.basename(fixed)
        out.append(make("RB023", q, line, f"The image path {where} is absolute: it points outside the repository checkout",
                        f"Use a path relative to the report, e.g. {code(suggestion, 100)}."))  # fmt: skip
        return out
    ext = posixpath.splitext(fixed.split("?", 1)[0])[1].lower()
    if ext and ext not in ALLOWED:
        out.append(make("RB025", q, line, f"The image {where} is a {code(ext)}; the course asks for .png, .jpg or .jpeg",
                        "Convert it to PNG (or JPEG), save it in `figures/` and update the link."))  # fmt: skip
    if files is None:
        return out
    path = resolve(fixed, report_dir)
    if path in files.exact:
        return out
    if path.lower() in files.lower:
        actual = files.lower[path.lower()]
        out.append(make("RB021", q, line, f"The image {where} differs in case from the file {code(actual, 100)}: links are case-sensitive on GitHub and Linux",
                        f"Change the link to {code(_relative(actual, report_dir), 100)} (or rename the file)."))  # fmt: skip
        return out
    near = _closest(path, files)
    if near:
        hint = f"Did you mean {code(_relative(near, report_dir), 100)}? It exists; otherwise add the file at {code(path, 100)}."
    else:
        hint = f"Add the file at {code(path, 100)} (commit it) or fix the link."
    out.append(
        make(
            "RB020",
            q,
            line,
            f"The image {where} is not in the repository (looked for {code(path, 100)})",
            hint,
        )
    )
    return out
