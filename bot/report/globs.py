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

    def match(self, path: str) -> bool:
        if self.folder:
            parts = path.split("/")
            return any(_segments(self.segments, parts[:k]) for k in _folder_depths(self.segments, len(parts)))
        if self.last_literal is not None:
            if not (path == self.last_literal or path.endswith("/" + self.last_literal)):
                return False
        elif self.suffix and not path.endswith(self.suffix):
            return False
        return _segments(self.segments, path.split("/"))


def _folder_depths(segments: tuple[str, ...], n: int) -> range:
    """How many leading path segments a folder pattern may cover (at least one segment must be left)."""
    if "**" in segments:
        return range(1, n)
    return range(len(segments), len(segments) + 1) if len(segments) < n else range(0)


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
    if segments[-1] == "**" and not folder:
        raise GlobError("write a folder as `name/` (not `name/**`)")
    last = segments[-1]
    literal = last if "*" not in last and "?" not in last and not folder else None
    suffix = last.rpartition("*")[2] if "*" in last and "?" not in last.rpartition("*")[2] else ""
    return Glob(pattern, segments, folder, literal, suffix)


def _segment(pattern: str, text: str) -> bool:
    """`*` and `?` wildcard match of one segment; greedy with one backtrack point (no exponential case)."""
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


def _segments(pattern: tuple[str, ...], parts: list[str]) -> bool:
    """Pattern segments (with `**`) against path segments: a table of reachable pattern positions, one row
    per path segment."""
    if "**" not in pattern:
        return len(pattern) == len(parts) and all(_segment(p, s) for p, s in zip(pattern, parts, strict=True))
    n = len(pattern)

    def close(states: set[int]) -> set[int]:
        out = set(states)
        for i in range(n):  # `**` may match no segment: skip over it
            if i in out and pattern[i] == "**":
                out.add(i + 1)
        return out

    states = close({0})
    for part in parts:
        nxt: set[int] = set()
        for i in states:
            if i < n:
                if pattern[i] == "**":
                    nxt.add(i)  # `**` takes this segment and may take more
                elif _segment(pattern[i], part):
                    nxt.add(i + 1)
        if not nxt:
            return False
        states = close(nxt)
    return n in states


def matching(globs: tuple[Glob, ...], paths: list[str]) -> list[str]:
    """The paths any of `globs` matches, in the order given."""
    return [p for p in paths if any(g.match(p) for g in globs)]
