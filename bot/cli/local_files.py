"""The local file system side of the command line: reading a text file, finding the repository root, listing
its images. (The bot itself never reads the server's disk for a report: it reads GitHub.)"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from bot.errors import BadInput

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff", ".pdf"}
)
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
_MAX_LISTED = 100_000
"""Entries walked at most when listing the repository's images."""


def read_text(path: Path, what: str = "file") -> str:
    """A UTF-8 file's text; BadInput with a one-line reason otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such {what}") from None
    except IsADirectoryError:
        inside = path / "README.md"
        if what == "report" and inside.is_file():
            raise BadInput(
                f"{path}: is a directory; the report is {inside}: report-bot check {inside}"
            ) from None
        raise BadInput(f"{path}: is a directory, expected a {what}") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start})") from None


def git_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding `.git` (a folder, or a file in a worktree)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def repo_root(report: Path, given: Path | str | None) -> Path:
    """`--repo-root`, else the git root above the report, else the report's parent's parent."""
    if given:
        root = Path(given)
        if not root.is_dir():
            raise BadInput(f"{given}: --repo-root is not a directory")
        return root.resolve()
    report = report.resolve()
    return (git_root(report.parent) or report.parent.parent).resolve()


def list_images(root: Path) -> list[str]:
    """Image files in the repository (posix paths from the root), for the checker's missing-image hints."""
    out: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        rel = Path(folder).relative_to(root)
        out.extend((rel / name).as_posix() for name in files if Path(name).suffix.lower() in IMAGE_SUFFIXES)
        seen += len(files) + len(dirs)
        if seen >= _MAX_LISTED:
            break  # a huge tree (the default root guessed wrong): partial hints beat a long walk
    return out


def read_texts(root: Path, paths: list[str], max_bytes: int) -> dict[str, str | None]:
    """The texts of `paths` (from the repository root) for the checklist's evidence; None for a file that is
    larger than `max_bytes`, binary, not UTF-8, unreadable or not inside `root`."""
    out: dict[str, str | None] = {}
    top = root.resolve()
    for rel in paths:
        out[rel] = None
        path = (top / rel).resolve()
        if not path.is_relative_to(top) or not path.is_file():
            continue  # a symlink out of the checkout, or a submodule's folder
        try:
            if path.stat().st_size > max_bytes:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        with contextlib.suppress(UnicodeDecodeError):
            out[rel] = data.decode("utf-8")
    return out


def _git(root: Path, *args: str) -> str | None:
    """`git -C root ARGS`'s output, or None when `root` is not in a git work tree or git is missing."""
    if git_root(root) is None or shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None  # e.g. a `.git` folder that is not a repository, or no commit yet
    return done.stdout.decode("utf-8", "surrogateescape")


def git_files(root: Path) -> list[str] | None:
    """Every file git has under `root` (posix paths from the root), as GitHub will see them after a push;
    None when `root` is not inside a git work tree or git is not installed."""
    out = _git(root, "ls-files", "-z", "--", ".")
    return None if out is None else [n for n in out.split("\0") if n]


_GITHUB_REMOTE = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


def git_permalink_base(root: Path) -> str | None:
    """`https://github.com/OWNER/REPO/blob/SHA` of the checkout's HEAD when its `origin` is on GitHub
    (the fix the checker gives for a link that is dead in the hand-in), else None."""
    remote = _git(root, "remote", "get-url", "origin")
    sha = _git(root, "rev-parse", "HEAD")
    if remote is None or sha is None:
        return None
    m = _GITHUB_REMOTE.match(remote.strip())
    sha = sha.strip()
    if m is None or not re.fullmatch(r"[0-9a-f]{40}", sha):
        return None
    return f"https://github.com/{m.group(1)}/{m.group(2)}/blob/{sha}"
