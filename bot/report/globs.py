"""File globs of a rule set's checklist evidence (`**/Dockerfile`, `.github/workflows/*.y*ml`, `.dvc/`),
matched against repository paths. Pure.

Both sides can be hostile (a student chooses the paths, and a rule set may come from a student's own YAML),
so there is no regular expression: a path is split at `/` once, each segment is matched by the classic
two-pointer wildcard algorithm (time proportional to the segment's length times the pattern segment's, and
pattern segments are capped at `MAX_GLOB` characters), and `**` by a table over segments (path segments times
pattern segments). Linear in the path for any valid pattern.

Syntax: `*` any characters but `/`, `?` one character but `/`, `**` as a whole segment any number of
segments (none too), a trailing `/` a folder (any file below it). Everything else is literal and
case-sensitive, as git is. A pattern is anchored at the repository root: `*.dvc` is a top-level file only,
`**/*.dvc` one anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

MAX_GLOB = 200
"""Characters of one pattern at most (a rule set is refused beyond it)."""
MAX_SEGMENTS = 32


class GlobError(ValueError):
    """A pattern that is not valid (the message says why)."""


@dataclass(frozen=True)
class Glob:
    pattern: str
    segments: tuple[str, ...]
    folder: bool
    """A trailing `/`: matches the files below the folder."""
    last_literal: str | None
    """The last segment when it has no wildcard (a quick filter on the path's name)."""
    suffix: str
    """The literal text after the last segment's last `*` (a quick filter: the path must end with it)."""
    needle: str
    """The pattern's longest literal piece: every matching path contains it (a filter at C speed)."""
    groups: tuple[tuple[str, ...], ...] = ()
    """The segment patterns between `**`s (a folder `X/` is `X/**/*`): the first is anchored at the root,
    the last at the file, the others are found left to right."""

    def match(self, path: str) -> bool:
        if self.last_literal is not None:
            if not (path == self.last_literal or path.endswith("/" + self.last_literal)):
                return False
        elif self.suffix and not path.endswith(self.suffix):
            return False
        if len(self.groups) == 2 and not self.groups[0] and len(self.groups[1]) == 1:
            return _segment(self.groups[1][0], path.rpartition("/")[2])  # `**/NAME`: the name alone decides
        return _segments(self.groups, path.split("/"))


def compile_glob(pattern: str) -> Glob:
    if not isinstance(pattern, str) or not pattern or pattern == "/":
        raise GlobError("a glob is a non-empty path pattern")
    if len(pattern) > MAX_GLOB:
        raise GlobError(f"a glob has at most {MAX_GLOB} characters")
    folder = pattern.endswith("/")
    body = pattern.rstrip("/") if folder else pattern
    if body.startswith("/") or "\\" in body:
        raise GlobError("a glob is a path from the repository root with `/` (no leading `/`, no `\\`)")
    segments = tuple(body.split("/"))
    if any(not s for s in segments) or len(segments) > MAX_SEGMENTS:
        raise GlobError(f"a glob has no empty segment (`//`) and at most {MAX_SEGMENTS} segments")
    if any("**" in s and s != "**" for s in segments):
        raise GlobError("`**` must be a whole segment (`**/x`, `a/**/b`)")
    if all(s == "**" for s in segments):
        raise GlobError("a glob names at least one file or folder (not only `**`)")
    if segments[-1] == "**" and not folder:
        raise GlobError("write a folder as `name/` (not `name/**`)")
    last = segments[-1]
    literal = last if "*" not in last and "?" not in last and not folder else None
    suffix = (
        last.rpartition("*")[2] if "*" in last and "?" not in last.rpartition("*")[2] and not folder else ""
    )
    pieces = [piece for chunk in pattern.split("*") for piece in chunk.split("?")]
    if "**" in pattern:  # `a/**/b` matches `a/b`: the `/`s around `**` are not in every path, cut there
        pieces = [x for piece in pieces for x in piece.split("/")]
    needle = max(pieces, key=len).strip("/")
    effective = (*segments, "**", "*") if folder else segments
    groups: list[tuple[str, ...]] = [()]
    for seg in effective:
        if seg == "**":
            groups.append(())
        else:
            groups[-1] += (seg,)
    return Glob(pattern, segments, folder, literal, suffix, needle, tuple(groups))


@lru_cache(maxsize=1024)
def _pieces(pattern: str) -> tuple[str, ...] | None:
    """A segment pattern's literal pieces between `*`s (None: it has a `?`)."""
    return None if "?" in pattern else tuple(pattern.split("*"))


def _segment(pattern: str, text: str) -> bool:
    """`*` and `?` wildcard match of one segment. Without `?`: the first piece starts the text, the last ends
    it, the others are found left to right (`str.find`: each character looked at a bounded number of times);
    with `?`: greedy with one backtrack point (time: text length times pattern length)."""
    pieces = _pieces(pattern)
    if pieces is not None:
        if len(pieces) == 1:
            return text == pattern
        first, *middle, last = pieces
        if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
            return False
        at, end = len(first), len(text) - len(last)
        for piece in middle:
            found = text.find(piece, at, end)
            if found == -1:
                return False
            at = found + len(piece)
        return True
    p = t = 0
    star = -1
    mark = 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star != -1:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _fits(group: tuple[str, ...], parts: list[str], at: int) -> bool:
    return all(_segment(p, parts[at + k]) for k, p in enumerate(group))


def _segments(groups: tuple[tuple[str, ...], ...], parts: list[str]) -> bool:
    """Path segments against the groups between `**`s: the first group must start the path, the last end
    it, and each middle group is placed at its leftmost fit after the one before (leftmost leaves the most
    room for the rest, so it never misses a match; each start is tried once per group: linear)."""
    if len(groups) == 1:
        (only,) = groups
        return len(only) == len(parts) and _fits(only, parts, 0)
    head, *middle, tail = groups
    if len(parts) < len(head) + len(tail) + sum(map(len, middle)):
        return False
    if not _fits(head, parts, 0) or not _fits(tail, parts, len(parts) - len(tail)):
        return False
    at, end = len(head), len(parts) - len(tail)
    for group in middle:
        start = next((i for i in range(at, end - len(group) + 1) if _fits(group, parts, i)), None)
        if start is None:
            return False
        at = start + len(group)
    return True


def matching(globs: tuple[Glob, ...], paths: list[str]) -> list[str]:
    """The paths any of `globs` matches, in the order given."""
    return [p for p in paths if any(g.match(p) for g in globs)]
