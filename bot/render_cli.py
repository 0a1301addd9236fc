"""`report-bot render PATH`: the report as one self-contained HTML page, images read from the repository.

`bot/cli.py` wires `add_arguments` and `main` in as the `render` subcommand. Bad input (a missing file,
text that is not UTF-8, a render limit) exits 2 with one line on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from bot.report.check import check
from bot.report.render import ReadFile, RenderError, RenderLimits, render_page
from bot.report.rules import RuleSetError, resolve

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff"})
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
_MAX_LISTED = 100_000
"""Entries walked at most when listing the repository's images."""


class UsageError(Exception):
    """Bad input: the message is the one line printed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="the report, e.g. reports/README.md")
    parser.add_argument(
        "-o", "--output", type=Path, help="where to write the page (default: report.html next to PATH)"
    )
    parser.add_argument(
        "--repo-root",
        type=Path,
        help="the repository's root: images are read only inside it "
        "(default: the git root above PATH, else PATH's parent's parent)",
    )
    parser.add_argument(
        "--plain", action="store_true", help="leave out the header and the per-question badges"
    )
    parser.add_argument(
        "--rules", default="auto", help="auto (default), a built-in rule set name, or a YAML file"
    )
    parser.add_argument("--group", help="group name shown in the header")


def main(args: argparse.Namespace) -> int:
    try:
        out, message = _run(args)
    except UsageError as exc:
        print(f"report-bot render: error: {exc}", file=sys.stderr)
        return 2
    print(f"{out}: {message}")
    return 0


def git_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding `.git` (a folder, or a file in a worktree)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def repo_reader(root: Path, max_bytes: int) -> ReadFile:
    """`read_file` for `render_page`: a repository path's bytes, only for regular files inside `root`.

    Refuses absolute paths, `..`, backslashes, `.git/`, and anything that resolves (through symlinks)
    outside the root. Reads at most `max_bytes + 1` bytes, enough for the render limit to trip.
    """
    base = root.resolve()

    def read(path: str) -> bytes | None:
        if not path or "\x00" in path or "\\" in path or path.startswith("/"):
            return None
        parts = PurePosixPath(path).parts
        if not parts or any(p in ("..", ".") for p in parts) or parts[0] == ".git":
            return None
        try:
            real = base.joinpath(*parts).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(base) or not real.is_file():
            return None
        try:
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as fh:
            return fh.read(max_bytes + 1)

    return read


def list_images(root: Path) -> list[str]:
    """Image files in the repository (posix paths from the root), for the checker's missing-image hints."""
    out: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        rel = Path(folder).relative_to(root)
        for name in files:
            if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                out.append((rel / name).as_posix())
        seen += len(files) + len(dirs)
        if seen >= _MAX_LISTED:
            break  # a huge tree (the default root guessed wrong): partial hints beat a long walk
    return out


def _read_text(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 (invalid byte at offset {exc.start})") from None


def _run(args: argparse.Namespace) -> tuple[Path, str]:
    path: Path = args.path
    raw = _read_text(path, "report")
    report = path.resolve()
    root = (args.repo_root or git_root(report.parent) or report.parent.parent).resolve()
    if not root.is_dir():
        raise UsageError(f"{root}: the repository root is not a folder")
    if not report.is_relative_to(root):
        raise UsageError(f"{path}: the report is not inside the repository root {root}")
    report_dir = report.parent.relative_to(root).as_posix()
    report_dir = "" if report_dir == "." else report_dir
    out: Path = args.output or path.parent / "report.html"
    if out.resolve() == report:
        raise UsageError(f"{out}: refusing to overwrite the report itself")
    spec: str = args.rules
    try:
        yaml_text = _read_text(Path(spec), "rule set") if spec != "auto" and Path(spec).is_file() else None
        beside = report.parent / "report.py"
        report_py = _read_text(beside, "script") if spec == "auto" and beside.is_file() else None
        source = beside.relative_to(root).as_posix()
        rules, reason = resolve(spec, raw, report_py=report_py, report_py_source=source, yaml_text=yaml_text)
    except RuleSetError as exc:
        raise UsageError(str(exc)) from None
    limits = RenderLimits()
    verdict = check(raw, rules, list_images(root), report_dir, reason)
    try:
        page = render_page(
            raw,
            repo_reader(root, limits.max_image_bytes),
            verdict=verdict,
            report_dir=report_dir,
            group=args.group,
            plain=args.plain,
            limits=limits,
        )
    except RenderError as exc:
        raise UsageError(str(exc)) from None
    try:
        out.write_bytes(page.html.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror})") from None
    o = verdict.official
    official = f"{o.passed}/{o.total} questions pass" if o.error is None else "the official check stops"
    images = (
        f"{page.images_embedded} images embedded, {page.images_missing + page.images_remote} placeholders"
    )
    return out, f"{official}; {images}"


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="report-bot render", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
