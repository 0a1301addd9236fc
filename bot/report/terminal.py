"""Verdict -> text for a terminal (`report-bot check --format text`), coloured when asked to."""

from __future__ import annotations

from bot.report import evidence
from bot.report.check import Verdict

_COLORS = {"red": "31", "yellow": "33", "green": "32", "dim": "2", "bold": "1"}
_SEVERITY = {"error": "red", "warning": "yellow", "info": "dim"}


def format_text(v: Verdict, path: str, *, color: bool = False) -> str:
    def paint(text: str, name: str) -> str:
        return f"\033[{_COLORS[name]}m{text}\033[0m" if color else text

    o = v.official
    lines = [paint(f"rule set: {v.reason}", "dim")]
    if v.not_started:
        lines.append(
            paint(f"not started: the report is still the template ({o.total} questions to answer)", "red")
        )
        lines.append("    hint: replace each `--- question N fill here ---` with your answer")
    elif o.error is not None:
        lines.append(paint(f"official check: stops with an error: {o.error}", "red"))
    else:
        ok = o.passed == o.total
        lines.append(paint(f"official check: {o.passed}/{o.total} questions pass", "green" if ok else "red"))
        for q in o.questions or ():
            if q.passed:
                continue
            rule = v.rules.rule(q.number)
            limits = []
            if rule and rule.words:
                limits.append(f"{q.words} words ({rule.words})")
            if rule and rule.images:
                limits.append(f"{q.images} images ({rule.images})")
            topic = rule.topic if rule else ""
            lines.append(f"  question {q.number:>2} {topic}: " + ", ".join(limits))
    for d in v.diagnostics:
        if v.not_started and d.code == "RB001":
            continue  # folded into the line above
        loc = f"{path}:{d.line}" if d.line else path
        which = f" [question {d.question}]" if d.question else ""
        lines.append(
            f"{loc}: {paint(d.severity, _SEVERITY[d.severity])} {d.code} {d.name}{which}: {d.message}"
        )
        lines.append(paint(f"    hint: {d.hint}", "dim"))
    c = v.checklist
    if c.total:
        groups = ", ".join(f"{n or 'checklist'} {t}/{a}" for n, t, a in c.groups)
        lines.append(f"checklist: {c.ticked}/{c.total} ticked ({groups})")
    if any(e.status != "not_checkable" for e in v.evidence):
        n = evidence.counts(v)
        lines.append(
            f"checklist against the repository: {n.evidenced} of {n.ticked} ticked items backed by files, "
            f"{n.not_evidenced} with no evidence found, {n.not_checkable} not checkable"
        )
    errors = v.errors
    warnings = sum(d.severity == "warning" for d in v.diagnostics)
    summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    lines.append(paint(summary, "green" if v.ok else "red"))
    return "\n".join(lines)
