"""`report-bot check PATH`: the local file system side of the pure checker."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.errors import BadInput
from bot.report.check import NotAReport, Verdict, check, require_report
from bot.report.rules import BUILTIN, RuleSetError, resolve

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".tif", ".tiff", ".pdf")
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}


def read_text(path: Path, what: str = "file") -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, expected a {what}") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start})") from None


def repo_root(path: Path, given: str | None) -> Path:
    if given:
        root = Path(given)
        if not root.is_dir():
            raise BadInput(f"{given}: --repo-root is not a directory")
        return root.resolve()
    p = path.resolve().parent
    for candidate in (p, *p.parents):
        if (candidate / ".git").exists():
            return candidate
    return path.resolve().parent.parent


def repo_files(root: Path) -> list[str]:
    """Image-like files under the repository root, as posix paths from it (what the checker looks links up in)."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        rel = Path(dirpath).relative_to(root)
        out.extend((rel / f).as_posix() for f in filenames if f.lower().endswith(_IMAGE_SUFFIXES))
    return out


def verdict_for(path: Path, rules_spec: str, root: Path) -> Verdict:
    raw = read_text(path, "report")
    try:
        require_report(raw)
    except NotAReport as exc:
        raise BadInput(f"{path}: {exc}") from None
    yaml_text = None
    if rules_spec not in BUILTIN and rules_spec != "auto":
        yaml_text = read_text(Path(rules_spec), "rule set file")
    report_py = None
    py_path = path.parent / "report.py"
    if rules_spec == "auto" and py_path.is_file():
        try:
            report_py = py_path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            report_py = None
    try:
        rules, reason = resolve(
            rules_spec, raw, report_py=report_py, report_py_source=str(py_path), yaml_text=yaml_text
        )
    except RuleSetError as exc:
        raise BadInput(str(exc)) from None
    report_dir = (
        path.resolve().parent.relative_to(root).as_posix() if path.resolve().is_relative_to(root) else ""
    )
    return check(raw, rules, repo_files(root), "" if report_dir == "." else report_dir, reason)


def run_check(args: argparse.Namespace) -> int:
    path = Path(args.path)
    root = repo_root(path, args.repo_root)
    v = verdict_for(path, args.rules, root)
    if args.format == "json":
        print(json.dumps(v.to_json(), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        from bot.report import feedback

        print(feedback.render(v, commit=args.commit))
    else:
        from bot.report.terminal import format_text

        print(format_text(v, args.path, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    return 0 if v.ok else 1
