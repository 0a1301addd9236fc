"""`report-bot check PATH`: the local file system side of the pure checker."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.cli.local_files import list_images, read_text, repo_root
from bot.errors import BadInput
from bot.report.check import NotAReport, Verdict, check, require_report
from bot.report.parse import parse
from bot.report.rules import BUILTIN, RuleSetError, resolve


def report_dir_in(path: Path, root: Path) -> str:
    """The report's folder as a path from the repository root ("" at the root or outside it)."""
    folder = path.resolve().parent
    if not folder.is_relative_to(root):
        return ""
    rel = folder.relative_to(root).as_posix()
    return "" if rel == "." else rel


def verdict_for(path: Path, raw: str, rules_spec: str, root: Path) -> Verdict:
    """Resolve `--rules` (reading a YAML file or the `report.py` beside the report) and check `raw`."""
    report = parse(raw)
    try:
        require_report(report)
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
            report_py = None  # `auto` then recognises the template's year instead
    try:
        rules, reason = resolve(
            rules_spec, report, report_py=report_py, report_py_source=str(py_path), yaml_text=yaml_text
        )
    except RuleSetError as exc:
        raise BadInput(str(exc)) from None
    return check(report, rules, list_images(root), report_dir_in(path, root), reason)


def run_check(args: argparse.Namespace) -> int:
    path = Path(args.path)
    root = repo_root(path, args.repo_root)
    v = verdict_for(path, read_text(path, "report"), args.rules, root)
    if args.format == "json":
        print(json.dumps(v.to_json(), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        from bot.report import feedback

        print(feedback.render(v, commit=args.commit))
    else:
        from bot.report.terminal import format_text

        print(format_text(v, args.path, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    return 0 if v.ok else 1
