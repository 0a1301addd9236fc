"""Content-addressed git objects (blobs, trees, commits) with git's real SHA-1 ids, and diffs between them."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

ZERO_SHA = "0" * 40


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class TreeEntry:
    name: str
    mode: str  # "100644" for files, "040000" for trees (as the REST API shows them)
    type: str  # "blob" | "tree"
    sha: str
    size: int | None


@dataclass(frozen=True)
class GitCommit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author_name: str
    author_email: str
    date: datetime
    files: Mapping[str, str]  # path -> blob sha: the full snapshot


@dataclass(frozen=True)
class FileChange:
    filename: str
    status: str  # added | removed | modified | renamed
    sha: str | None
    additions: int
    deletions: int
    patch: str | None
    previous_filename: str | None = None


@dataclass
class ObjectStore:
    """One repository's objects."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, list[TreeEntry]] = field(default_factory=dict)
    commits: dict[str, GitCommit] = field(default_factory=dict)

    def put_blob(self, data: bytes) -> str:
        sha = blob_sha(data)
        self.blobs[sha] = data
        return sha

    def put_tree(self, files: Mapping[str, str]) -> str:
        """Store the trees of a snapshot (path -> blob sha); return the root tree's sha."""
        files_here: dict[str, str] = {}
        subdirs: dict[str, dict[str, str]] = {}
        for path, sha in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                subdirs.setdefault(head, {})[rest] = sha
            else:
                files_here[head] = sha
        entries = [TreeEntry(n, "100644", "blob", s, len(self.blobs[s])) for n, s in files_here.items()]
        entries += [TreeEntry(n, "040000", "tree", self.put_tree(sub), None) for n, sub in subdirs.items()]
        # git orders tree entries by name, a tree's name compared as if it ended in "/"
        entries.sort(key=lambda e: e.name.encode() + (b"/" if e.type == "tree" else b""))
        raw = b"".join(
            (e.mode.lstrip("0") + " " + e.name).encode() + b"\0" + bytes.fromhex(e.sha) for e in entries
        )
        sha = hashlib.sha1(b"tree %d\0" % len(raw) + raw).hexdigest()
        self.trees[sha] = entries
        return sha

    def put_commit(
        self,
        files: Mapping[str, str],
        parents: tuple[str, ...],
        message: str,
        date: datetime,
        author_name: str = "Student",
        author_email: str = "student@example.com",
    ) -> GitCommit:
        tree = self.put_tree(files)
        stamp = f"{author_name} <{author_email}> {int(date.timestamp())} +0000"
        text = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents)
        text += f"author {stamp}\ncommitter {stamp}\n\n{message}\n"
        raw = text.encode()
        sha = hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest()
        commit = GitCommit(sha, tree, parents, message, author_name, author_email, date, dict(files))
        self.commits[sha] = commit
        return commit

    def walk_tree(self, tree_sha: str, recursive: bool, prefix: str = "") -> list[tuple[str, TreeEntry]]:
        out: list[tuple[str, TreeEntry]] = []
        for entry in self.trees[tree_sha]:
            path = prefix + entry.name
            out.append((path, entry))
            if recursive and entry.type == "tree":
                out += self.walk_tree(entry.sha, True, path + "/")
        return out

    def ancestors(self, sha: str) -> list[str]:
        """`sha` and every commit reachable from it, nearest first (breadth first)."""
        order: list[str] = []
        seen: set[str] = set()
        frontier = [sha]
        while frontier:
            nxt: list[str] = []
            for s in frontier:
                if s in seen:
                    continue
                seen.add(s)
                order.append(s)
                nxt += self.commits[s].parents
            frontier = nxt
        return order

    def merge_base(self, a: str, b: str) -> str | None:
        of_a = set(self.ancestors(a))
        return next((s for s in self.ancestors(b) if s in of_a), None)

    def commits_between(self, base: str, head: str) -> list[GitCommit]:
        """Commits reachable from head and not from base, oldest first."""
        exclude = set(self.ancestors(base))
        picked = [s for s in self.ancestors(head) if s not in exclude]
        return [self.commits[s] for s in reversed(picked)]

    def diff(self, old: Mapping[str, str], new: Mapping[str, str]) -> list[FileChange]:
        """Changed files between two snapshots; a file moved unchanged is one "renamed" entry."""
        added = sorted(p for p in new if p not in old)
        removed = sorted(p for p in old if p not in new)
        sources: dict[str, list[str]] = {}
        for path in removed:
            sources.setdefault(old[path], []).append(path)
        changes: list[FileChange] = []
        for path in added:
            same = sources.get(new[path])
            if same:
                source = same.pop(0)
                removed.remove(source)
                changes.append(FileChange(path, "renamed", new[path], 0, 0, None, previous_filename=source))
            else:
                changes.append(self._change(path, "added", None, new[path]))
        changes += [self._change(p, "removed", old[p], None) for p in removed]
        changes += [self._change(p, "modified", old[p], new[p]) for p in old if p in new and old[p] != new[p]]
        changes.sort(key=lambda c: c.filename)
        return changes

    def _change(self, path: str, status: str, before: str | None, after: str | None) -> FileChange:
        old = self.blobs[before] if before else b""
        new = self.blobs[after] if after else b""
        if b"\0" in old or b"\0" in new:
            return FileChange(path, status, after or before, 0, 0, None)
        a = old.decode("utf-8", "replace").splitlines()
        b = new.decode("utf-8", "replace").splitlines()
        lines = list(difflib.unified_diff(a, b, lineterm="", n=3))[2:]  # GitHub's patch has no file headers
        adds = sum(1 for line in lines if line.startswith("+"))
        dels = sum(1 for line in lines if line.startswith("-"))
        return FileChange(path, status, after or before, adds, dels, "\n".join(lines) or None)
