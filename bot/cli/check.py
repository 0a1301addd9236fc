"""`report-bot check PATH`: the local file system side of the pure checker."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

from bot.cli.local_files import git_files, git_permalink_base, list_images, read_text, read_texts, repo_root
from bot.cli.output import emit, silence_stdout
from bot.errors import BadInput
from bot.report import evidence
from bot.report.check import NotAReport, Verdict, check, require_report
from bot.report.diagnostics import Diagnostic
from bot.report.parse import parse
from bot.report.rules import BUILTIN, RuleSetError, resolve


def report_dir_in(path: Path, root: Path) -> str:
    """The report's folder as a path from the repository root ("" at the root or outside it)."""
    folder = path.resolve().parent
    if not folder.is_relative_to(root):
        return ""
    rel = folder.relative_to(root).as_posix()
    return "" if rel == "." else rel


def verdict_for(path: Path, raw: str, rules_spec: str, root: Path, *, handin: bool = True) -> Verdict:
    """Resolve `--rules` (reading a YAML file or the `report.py` beside the report) and check `raw`
    (`handin`: with the hand-in comparison, as the bot does)."""
    report = parse(raw)
    try:
        require_report(report)
    except NotAReport as exc:
        raise BadInput(f"{path}: {exc}") from None
    yaml_text = None
    if rules_spec not in BUILTIN and rules_spec != "auto":
        yaml_text = _rules_file(rules_spec)
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
    on_disk = list_images(root)
    committed = git_files(root)
    if committed is None:  # not a git repository: every image on disk counts (other links unchecked)
        return check(report, rules, on_disk, report_dir_in(path, root), reason, handin=handin)
    base = git_permalink_base(root)
    # the checklist against the committed files, reading as many as the bot would (the same bound)
    contents = read_texts(root, evidence.to_read(report, rules, committed), evidence.MAX_FILE_BYTES)
    v = check(report, rules, committed, report_dir_in(path, root), reason, permalink_base=base, handin=handin,
              contents=contents)  # fmt: skip
    here = set(on_disk) - set(committed)
    if not here:
        return v
    return replace(v, diagnostics=tuple(_not_committed(d, here) for d in v.diagnostics))


def _rules_file(spec: str) -> str:
    """A rule set file's text; a name that is neither a file nor built in lists the built-in ones."""
    try:
        return read_text(Path(spec), "rule set file")
    except BadInput as exc:
        builtin = ", ".join(BUILTIN)
        raise BadInput(
            f"{exc}, and not a built-in rule set: the built-in ones are {builtin} (or auto)"
        ) from None


_LOOKED_FOR = re.compile(r"\(looked for `([^`]*)`\)$")


def _not_committed(d: Diagnostic, here: set[str]) -> Diagnostic:
    """An image-missing diagnostic whose file exists but git does not have: say so, and `git add` it."""
    if d.code != "RB020":
        return d
    m = _LOOKED_FOR.search(d.message)
    if m is None or m.group(1) not in here:
        return d
    path = m.group(1)
    return replace(
        d,
        message=f"`{path}` is here but not committed: `git add` it",
        hint=f"Run `git add {path}`, commit and push: GitHub (and the graders) only see committed files.",
    )


def run_check(args: argparse.Namespace) -> int:
    path = Path(args.path)
    root = repo_root(path, args.repo_root)
    v = verdict_for(path, read_text(path, "report"), args.rules, root, handin=args.handin)
    if args.format == "json":
        text = json.dumps(v.to_json(), indent=2, ensure_ascii=False)
    elif args.format == "markdown":
        from bot.report import feedback

        text = feedback.render(v, commit=args.commit)
    else:
        from bot.report.terminal import format_text

        text = format_text(v, args.path, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    status = 0 if v.ok else 1
    try:
        emit(text)
    except BrokenPipeError:  # `| head` closed the pipe: the verdict's status, quietly
        silence_stdout()
    return status
