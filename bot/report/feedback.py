"""Verdict -> the Markdown the bot posts (issue body, PR comment, check-run summary) and check-run annotations.

Pure. Whatever the input, the body stays under `LIMIT` characters and student text cannot @-mention anyone,
reference an issue, inject HTML or break a table.
"""

from dataclasses import dataclass
from typing import Any

from bot.report.check import Verdict
from bot.report.diagnostics import Diagnostic
from bot.report.escape import code as code
from bot.report.escape import escape as escape

LIMIT = 65_000
ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}
LEVEL = {"error": "failure", "warning": "warning", "info": "notice"}


def _short_sha(sha: str | None) -> str:
    return f"`{sha[:7]}`" if sha else "the working copy"


@dataclass(frozen=True)
class Signature:
    """What a change of verdict means for notifications: pass count, failing questions, crash."""

    passed: int | None
    failing: tuple[int, ...]
    error: str | None
    errors: int


def signature(v: Verdict) -> Signature:
    return Signature(v.official.passed, tuple(sorted(v.failing())), v.official.error, v.errors)


def headline(v: Verdict) -> str:
    """One line: the official pass count (or the crash) and the diagnostic counts."""
    o = v.official
    counts = _counts(v.diagnostics)
    if o.error is not None:
        return f"💥 The official `report.py check` would stop with an error{counts}"
    icon = "✅" if v.ok else "❌"
    return f"{icon} {o.passed}/{o.total} questions pass the official check{counts}"


def _counts(diags: tuple[Diagnostic, ...]) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = sum(d.severity == "warning" for d in diags)
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return " · " + ", ".join(parts) if parts else ""


def _todo(v: Verdict, number: int) -> str:
    first = next((d for d in v.diagnostics if d.question == number and d.severity == "error"), None)
    return escape(first.hint, table=True) if first else ""


def _diag_line(d: Diagnostic) -> str:
    where = f" (line {d.line})" if d.line else ""
    return f"- {ICON[d.severity]} **{escape(d.message)}**{where} `{d.code} {d.name}`  \n  ↳ {escape(d.hint)}"


def render(v: Verdict, *, commit: str | None = None, limit: int = LIMIT) -> str:
    """The comment body. `commit` is the checked commit's SHA (None: a local file)."""
    o, rules = v.official, v.rules
    head = [f"### {headline(v)}", ""]
    if o.error is not None:
        head += [f"> {escape(o.error)}", ""]
    failing_rows: list[str] = []
    passing_rows: list[str] = []
    for q in o.questions or ():
        rule = rules.rule(q.number)
        topic = escape(rule.topic if rule else "", table=True)
        words = f"{q.words} ({rule.words})" if rule and rule.words else f"{q.words}"
        imgs = f"{q.images} ({rule.images})" if rule and rule.images else f"{q.images}"
        if q.passed:
            passing_rows.append(f"| {q.number} | {topic} | {words} | {imgs} |")
        else:
            w = f"**{words}**" if "words" in q.failed else words
            i = f"**{imgs}**" if "images" in q.failed else imgs
            failing_rows.append(f"| {q.number} | {topic} | {w} | {i} | {_todo(v, q.number)} |")
    failing: list[str] = []
    if failing_rows:
        failing = [
            "| # | Topic | Words (allowed) | Images (allowed) | What to do |",
            "|---|---|---|---|---|",
            *failing_rows,
            "",
        ]
    passing: list[str] = []
    if passing_rows:
        passing = [
            f"<details><summary>✅ {len(passing_rows)} questions pass</summary>",
            "",
            "| # | Topic | Words (allowed) | Images (allowed) |",
            "|---|---|---|---|",
            *passing_rows,
            "",
            "</details>",
            "",
        ]
    c = v.checklist
    checklist = []
    if c.total:
        weeks = " · ".join(f"{escape(n or 'Checklist')} {t}/{a}" for n, t, a in c.groups)
        checklist = [f"**Checklist:** {c.ticked}/{c.total} ticked ({weeks})", ""]
    footer = [
        "---",
        f"<sub>Rule set `{escape(rules.name)}` ({escape(v.reason)}) · commit {_short_sha(commit)} · "
        "run `report-bot check reports/README.md` to see this locally · `/report help` for commands</sub>",
    ]
    fixed = "\n".join(head + failing + passing + checklist + footer)
    diag = _diagnostics(v, limit - len(fixed) - 200)
    body = "\n".join([*head, *failing, *diag, *passing, *checklist, *footer])
    if len(body) > limit:  # only if the fixed parts alone are enormous: cut hard, keep the notice
        notice = "\n\n*(truncated: the verdict is too long for one comment; run `report-bot check` locally)*"
        body = body[: limit - len(notice)] + notice
    return body


def _diagnostics(v: Verdict, budget: int) -> list[str]:
    if not v.diagnostics:
        return []
    rules = v.rules
    out = ["#### What to fix", ""]
    used = sum(len(x) + 1 for x in out)
    current: int | str | None = "unset"
    for shown, d in enumerate(v.diagnostics):
        block = []
        if d.question != current:
            current = d.question
            if d.question is None:
                title = "The whole report"
            else:
                rule = rules.rule(d.question)
                title = f"Question {d.question}" + (f" · {escape(rule.topic)}" if rule else "")
            block += ["", f"**{title}**", ""]
        block.append(_diag_line(d))
        size = sum(len(x) + 1 for x in block)
        if used + size > budget:
            rest = len(v.diagnostics) - shown
            out.append(
                f"\n*…and {rest} more not shown (too long for one comment): run `report-bot check` locally.*"
            )
            break
        out.extend(block)
        used += size
    out.append("")
    return out


def annotations(v: Verdict, path: str) -> list[dict[str, Any]]:
    """Check-run annotations for diagnostics that have a line (GitHub takes at most 50 per request)."""
    out = []
    for d in v.diagnostics:
        if d.line is None:
            continue
        out.append(
            {
                "path": path,
                "start_line": d.line,
                "end_line": d.line,
                "annotation_level": LEVEL[d.severity],
                "title": f"{d.code} {d.name}" + (f" (question {d.question})" if d.question else ""),
                "message": f"{d.message}\n{d.hint}"[:64_000],
            }
        )
    return out
