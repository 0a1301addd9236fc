"""`report-bot render PATH`: the report as one self-contained HTML page, images read from the repository:
the hand-in first (what graders read), then the GitHub view. `--official` writes the hand-in exactly as
`python report.py html` does instead. The page goes to `./report.html` unless `-o` says otherwise (never
into the student's `reports/` by itself).

`bot/cli.py` wires `add_arguments` and `main` in as the `render` subcommand. Bad input (a missing file,
text that is not UTF-8, a render limit) exits 2 with one line on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from bot.cli.check import report_dir_in, verdict_for
from bot.cli.local_files import read_text, repo_root
from bot.errors import BadInput
from bot.report.handin import official_html, read_official
from bot.report.render import ReadFile, RenderError, RenderLimits, render_page


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="the report, e.g. reports/README.md")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to write the page (default: report.html in the current directory, never next to PATH)",
    )
    parser.add_argument(
        "--official",
        action="store_true",
        help="write, byte for byte, what the graders' `python report.py html` writes (unsanitised: the "
        "reference, for your own machine only)",
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
    except BadInput as exc:
        print(f"report-bot render: error: {exc}", file=sys.stderr)
        return 2
    print(f"{out}: {message}")
    return 0


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


def _official(path: Path, out: Path) -> tuple[Path, str]:
    """The hand-in exactly as `report.py html` writes it: read as the script reads, converted unsanitised."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the report ({exc.strerror})") from None
    try:
        text = read_official(data)
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"{path}: not UTF-8 (byte {exc.start}); `report.py html` cannot read it either"
        ) from None
    try:
        page = official_html(text)
    except RecursionError:
        raise BadInput(
            f"{path}: Python-Markdown crashes on it (lists nested too deeply), as `report.py html` does"
        ) from None
    _write(out, page)
    return out, "the hand-in as `python report.py html` writes it (unsanitised: do not publish it)"


def _write(out: Path, page: str) -> None:
    try:
        out.write_bytes(page.encode("utf-8"))
    except OSError as exc:
        raise BadInput(f"{out}: cannot write ({exc.strerror})") from None


def _run(args: argparse.Namespace) -> tuple[Path, str]:
    path: Path = args.path
    report = path.resolve()
    out: Path = args.output or Path("report.html")
    if out.resolve() == report:
        raise BadInput(f"{out}: refusing to overwrite the report itself")
    if getattr(args, "official", False):
        return _official(path, out)
    raw = read_text(path, "report")
    root = repo_root(report, args.repo_root)
    if not report.is_relative_to(root):
        raise BadInput(f"{path}: the report is not inside the repository root {root}")
    verdict = verdict_for(path, raw, args.rules, root)
    report_dir = report_dir_in(path, root)
    limits = RenderLimits()
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
        raise BadInput(str(exc)) from None
    _write(out, page.html)
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
