"""Image links in a report and what is wrong with each, given the repository's file list."""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from bot.report.diagnostics import Diagnostic, code, make
from bot.report.links import Link, find
from bot.report.parse import Report

ALLOWED = (".png", ".jpg", ".jpeg")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff", ".pdf")
_TEMPLATE_PART = re.compile(r"<([^<>]*)>")
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_WINDOWS_ABS = re.compile(r"^[a-zA-Z]:[\\/]")


@dataclass(frozen=True)
class FileIndex:
    """The repository's files (posix paths from its root), for exact and case-insensitive look-ups."""

    exact: frozenset[str]
    lower: dict[str, str]

    by_name: dict[str, dict[str, str]]
    """folder -> {lower-case file name -> path}; the key "" holds every file (first path wins)."""

    complete: bool = True
    """False when the list holds images only (the command line lists no other files): links to other
    files are then not looked up."""

    @classmethod
    def of(cls, files: Iterable[str]) -> FileIndex:
        exact = frozenset(f.replace("\\", "/").lstrip("/") for f in files)
        by_name: dict[str, dict[str, str]] = {"": {}}
        for f in sorted(exact):
            folder, name = posixpath.split(f)
            by_name.setdefault(folder, {}).setdefault(name.lower(), f)
            by_name[""].setdefault(name.lower(), f)
        complete = any(not f.lower().endswith(IMAGE_SUFFIXES) for f in exact)
        return cls(exact, {f.lower(): f for f in sorted(exact)}, by_name, complete)


def links(report: Report) -> list[Link]:
    """Image links anywhere in the report outside code (the template's own too), in order, as Markdown
    renders them (for the hand-in page's image fetching)."""
    found = find(report, [(1, len(report.lines), 0)])
    return [link for link in found if link.image and not _TEMPLATE_PART.search(link.target)]


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


def inside(path: str, report_dir: str) -> bool:
    """Whether a repository path lies in the report's folder (the hand-in is built from it alone)."""
    return not path.startswith("../") and (not report_dir or path.startswith(report_dir.rstrip("/") + "/"))


def permalink(path: str, base: str | None) -> str:
    """The GitHub permalink of a repository path; placeholders when the repository is unknown."""
    return f"{base.rstrip('/')}/{path}" if base else f"https://github.com/OWNER/REPO/blob/COMMIT/{path}"


def diagnose(
    link: Link,
    report_dir: str,
    files: FileIndex | None,
    permalink_base: str | None = None,
) -> list[Diagnostic]:
    """Everything wrong with one link (an image or a link to a file). `files` None means the repository's
    files are unknown."""
    if not link.image:
        return _file_link(link, report_dir, files, permalink_base)
    t, line, q = link.target, link.line, link.question
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
    fence = " and is inside a code block, so the hand-in shows it as code" if link.in_code else ""
    unfence = (
        "Take it out of the code block (delete the ``` lines around it) and write"
        if link.in_code
        else "Write"
    )
    if "<" in t and _TEMPLATE_PART.search(t):
        fixed = _TEMPLATE_PART.sub(lambda m: m.group(1), t)
        path = resolve(fixed, report_dir)
        known = files is not None and path in files.exact
        tail = f" ({code(path, 100)} exists)" if known else ""
        return [make("RB026", q, line, f"The image {where} still has the template's angle brackets{fence}: no file has that name",
                     f"{unfence} the file's own name without `<` `>`: {code(fixed, 100)}{tail}.")]  # fmt: skip
    if link.in_code:
        return [make("RB014", q, line, f"The image {where} is inside a code block: the official check counts it, but the hand-in shows it as code",
                     f"Take the link out of the code block (delete the ``` lines around line {line}) so that the image is shown.")]  # fmt: skip
    fixed = t
    if "\\" in t:
        fixed = t.replace("\\", "/")
        out.append(make("RB022", q, line, f"The image path {where} uses backslashes, which only work on Windows",
                        f"Write it with forward slashes: {code(fixed, 100)}."))  # fmt: skip
    if fixed.startswith("/") or _WINDOWS_ABS.match(fixed):
        parts = fixed.split("/figures/", 1)
        suggestion = f"figures/{parts[1]}" if len(parts) == 2 else posixpath.basename(fixed)
        out.append(make("RB023", q, line, f"The image path {where} is absolute: it points outside the repository checkout",
                        f"Use a path relative to the report, e.g. {code(suggestion, 100)}."))  # fmt: skip
        return out
    ext = posixpath.splitext(fixed.split("?", 1)[0])[1].lower()
    if ext and ext not in ALLOWED:
        out.append(make("RB025", q, line, f"The image {where} is a {code(ext)}; the course asks for .png, .jpg or .jpeg",
                        "Convert it to PNG (or JPEG), save it in `figures/` and update the link."))  # fmt: skip
    path = resolve(fixed, report_dir)
    if not inside(path, report_dir):
        name = posixpath.basename(path)
        out.append(make("RB029", q, line, f"The image {where} is outside `{report_dir or '.'}/`: the hand-in is built from that folder alone, so it will be missing there",
                        f"Copy it to `{posixpath.join(report_dir, 'figures', name)}` and link {code('figures/' + name)}."))  # fmt: skip
        return out
    if files is None:
        return out
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
    out.append(make("RB020", q, line, f"The image {where} is not in the repository (looked for {code(path, 100)})", hint))  # fmt: skip
    return out


def _file_link(link: Link, report_dir: str, files: FileIndex | None, base: str | None) -> list[Diagnostic]:
    """A relative link to a file: dead in the hand-in when it leaves the report's folder or has no file."""
    t, line, q = link.target, link.line, link.question
    if not t or t.startswith(("#", "/", "?")) or (_REMOTE.match(t) and not _WINDOWS_ABS.match(t)):
        return []
    path = resolve(t.replace("\\", "/"), report_dir)
    if not path or path in (".", report_dir):
        return []
    known = files is not None and files.complete
    exists = known and files is not None and (path in files.exact or path.rstrip("/") in _folders(files))
    if not inside(path, report_dir):
        if path.startswith("../"):
            return [make("RB027", q, line, f"The link {code(t, 100)} points outside the repository",
                         "Link the file's GitHub permalink instead (open the file on GitHub, press `y`, copy the address).")]  # fmt: skip
        missing = " and no such file is in the repository" if known and not exists else ""
        return [make("RB027", q, line, f"The link {code(t, 100)} points outside `{report_dir}/`{missing}: the hand-in is built from that folder alone, so the link is dead there",
                     f"Link the GitHub permalink instead: {code(permalink(path, base), 200)}.")]  # fmt: skip
    if not known or exists:
        return []
    assert files is not None
    near = _closest(path, files)
    hint = (f"Did you mean {code(near, 100)}? Link its GitHub permalink: {code(permalink(near, base), 200)}."
            if near else f"Add the file at {code(path, 100)} or link the GitHub permalink of the file you meant.")  # fmt: skip
    return [make("RB028", q, line, f"The link {code(t, 100)} points at {code(path, 100)}, which is not in the repository", hint)]  # fmt: skip


def _folders(files: FileIndex) -> set[str]:
    return set(files.by_name)
