"""Verdict -> the Markdown the bot posts (issue body, PR comment, check-run summary) and check-run annotations.

Pure. Whatever the input, the body stays under `LIMIT` characters and student text cannot @-mention anyone,
reference an issue, inject HTML or break a table.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.report import evidence
from bot.report.check import Verdict
from bot.report.diagnostics import Diagnostic
from bot.report.escape import code as code
from bot.report.escape import escape as escape

LIMIT = 65_000
ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}
LEVEL = {"error": "failure", "warning": "warning", "info": "notice"}


def _checked(sha: str | None) -> str:
    """What was checked, as a fact (never an instruction)."""
    return f"commit `{sha[:7]}`" if sha else "a local file"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'s' * (n != 1)}"


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
    if v.not_started:
        return f"📝 Not started: the report is still the template ({_plural(o.total, 'question')} to answer)"
    if o.error is not None:
        return f"💥 The official `report.py check` would stop with an error{counts}"
    if o.passed != o.total:
        return f"❌ {o.passed}/{o.total} questions pass the official check{counts}"
    errors = sum(d.severity == "error" for d in v.diagnostics)
    warnings = sum(d.severity == "warning" for d in v.diagnostics)
    if errors:  # every question passes the official check: no ❌, but what is left to fix
        return f"🟠 {o.passed}/{o.total} pass the official check · {_plural(errors + warnings, 'problem')} to fix"
    if warnings:
        return f"⚠️ {o.passed}/{o.total} pass the official check · {_plural(warnings, 'warning')}"
    return f"✅ {o.passed}/{o.total} questions pass the official check"


def _counts(diags: tuple[Diagnostic, ...]) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = sum(d.severity == "warning" for d in diags)
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return " · " + ", ".join(parts) if parts else ""


_COUNT_CODES = ("RB010", "RB011", "RB012", "RB013")


def _todo(v: Verdict, number: int) -> str:
    """The row's fix: the count's own diagnostic (its hint names the root cause), else the first error."""
    mine = [d for d in v.diagnostics if d.question == number and d.severity == "error"]
    first = next((d for d in mine if d.code in _COUNT_CODES), mine[0] if mine else None)
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
    if failing_rows and not v.not_started:
        failing = [
            "| # | Topic | Words (allowed) | Images (allowed) | What to do |",
            "|---|---|---|---|---|",
            *failing_rows,
            "",
        ]
    passing: list[str] = []
    if passing_rows and not v.not_started:
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
        checklist = [f"**Checklist:** {c.ticked}/{c.total} ticked ({weeks})", "", *_evidence(v)]
    # The reason usually starts with the name ("dtu-mlops-2025: 31 questions ...", "x (asked for)"): once.
    named = f"`{escape(rules.name)}`"
    if v.reason.startswith(rules.name):
        rule_set = named + escape(v.reason[len(rules.name) :])
    else:
        rule_set = f"{named} ({escape(v.reason)})"
    footer = [
        "",  # `---` right under a line of text would make that line a heading
        "---",
        f"<sub>Rule set {rule_set} · checked {_checked(commit)} · "
        "`report-bot check reports/README.md` shows the same locally · `/report help` lists the commands</sub>",
    ]
    fixed = "\n".join(head + failing + passing + checklist + footer)
    diag = _diagnostics(v, limit - len(fixed) - 200)
    body = "\n".join([*head, *failing, *diag, *passing, *checklist, *footer])
    if len(body) > limit:  # only if the fixed parts alone are enormous: cut hard, keep the notice
        notice = "\n\n*(truncated: the verdict is too long for one comment; run `report-bot check` locally)*"
        body = body[: limit - len(notice)] + notice
    return body


_STATUS = {
    "evidenced": "✅ backed by",
    "not_evidenced": "ℹ️ no evidence found",
    "not_checked": "❔ not checked",
    "not_checkable": "➖ a file cannot tell",
}


def _evidence(v: Verdict) -> list[str]:
    """The ticked items held against the repository: the files that back each one, or what is missing."""
    held = [e for e in v.evidence if e.status != "not_checkable"]
    if not held:
        return []
    n = evidence.counts(v)
    rows = []
    for e in held[:80]:
        what = _STATUS[e.status]
        if e.status == "evidenced":
            named = ", ".join(escape(code(f, 120), table=True) for f in e.files)
            what += " " + named + (f" and {e.more} more" if e.more else "")
        elif e.status == "not_checked":
            what += f" ({escape(e.reason, table=True)})"
        rows.append(f"| {e.line} | {escape(e.item[:120], table=True)} | {what} |")
    return [
        f"<details><summary>Checklist against the repository: {n.evidenced} of {n.ticked} ticked items backed "
        f"by files, {n.not_evidenced} with no evidence found, {n.not_checkable} not checkable</summary>",
        "",
        "| Line | Ticked item | In the repository |",
        "|---|---|---|",
        *rows,
        "",
        "</details>",
        "",
    ]


GROUP_AT = 3
"""The same diagnostic on this many questions is shown once, naming the questions."""


_QUESTION_NUMBER = re.compile(r"\b([Qq]uestion) (\d+)\b")
_LINE_NUMBER = re.compile(r"\bline (\d+)\b")


def _alike(d: Diagnostic) -> str:
    """The message with its own question and line numbers taken out (word counts and the rest kept)."""
    own_q, own_line = str(d.question), str(d.line)
    text = _QUESTION_NUMBER.sub(lambda m: f"{m.group(1)} #" if m.group(2) == own_q else m.group(0), d.message)
    if not d.line:
        return text
    return _LINE_NUMBER.sub(lambda m: "line #" if m.group(1) == own_line else m.group(0), text)


def _groups(v: Verdict) -> tuple[list[list[Diagnostic]], set[int]]:
    """Diagnostics alike but for their question and line on GROUP_AT or more questions; and the ids of the
    diagnostics they hold."""
    alike: dict[tuple[str, str], list[Diagnostic]] = {}
    for d in v.diagnostics:
        if d.question is not None:
            alike.setdefault((d.code, _alike(d)), []).append(d)
    groups = [ds for ds in alike.values() if len({d.question for d in ds}) >= GROUP_AT]
    return groups, {id(d) for ds in groups for d in ds}


def _group_line(ds: list[Diagnostic]) -> str:
    d, rest = ds[0], ds[1:]
    qs = list(dict.fromkeys(x.question for x in rest))
    shown = ", ".join(map(str, qs[:15])) + (f" and {len(qs) - 15} more" if len(qs) > 15 else "")
    where = f" (line {d.line})" if d.line else ""
    return (
        f"- {ICON[d.severity]} **{escape(d.message)}**{where}, and the same on {_plural(len(qs), 'more question')}: "
        f"{shown} `{d.code} {d.name}`  \n  ↳ {escape(d.hint)} Do the same in each of them."
    )


def _title(v: Verdict, number: int | None) -> str:
    if number is None:
        return "The whole report"
    rule = v.rules.rule(number)
    title = f"Question {number}" + (f" · {escape(rule.topic)}" if rule else "")
    passed = {q.number for q in v.official.questions or () if q.passed}
    if number in passed:
        title += " (passes the official check, but:)"
    return title


def _diagnostics(v: Verdict, budget: int) -> list[str]:
    if not v.diagnostics:
        return []
    out = ["#### What to fix", ""]
    if v.not_started:
        out = ["#### What to do", "", "Replace each `--- question N fill here ---` with your answer.", ""]
        out += [f"<details><summary>{len(v.diagnostics)} items, question by question</summary>", ""]
    used = sum(len(x) + 1 for x in out)
    groups, grouped = _groups(v)
    singles = [d for d in v.diagnostics if id(d) not in grouped]
    total = len(groups) + len(singles)

    def blocks() -> Iterator[list[str]]:
        """One block a group or a diagnostic, rendered only when it is reached (a hostile report can
        have tens of thousands; a comment shows what fits)."""
        for k, ds in enumerate(groups):
            yield (["", "**On several questions**", ""] if k == 0 else []) + [_group_line(ds)]
        current: int | str | None = "unset"
        for d in singles:
            block = []
            if d.question != current:
                current = d.question
                block += ["", f"**{_title(v, d.question)}**", ""]
            block.append(_diag_line(d))
            yield block

    for shown, block in enumerate(blocks()):
        size = sum(len(x) + 1 for x in block)
        if used + size > budget:
            out.append(
                f"\n*…and {total - shown} more not shown (too long for one comment): run `report-bot check` locally.*"
            )
            break
        out.extend(block)
        used += size
    if v.not_started:
        out += ["", "</details>"]
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
