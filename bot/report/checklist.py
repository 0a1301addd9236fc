"""The project checklist before question 1: ticked boxes per group (Week 1, Week 2, ..., Extra), and boxes
GitHub will not show as checkboxes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.report.diagnostics import Diagnostic, code, make
from bot.report.parse import _QUESTION, STANDARD_BOXES, Report


@dataclass(frozen=True)
class ChecklistSummary:
    ticked: int
    total: int
    groups: tuple[tuple[str, int, int], ...]
    """(heading, ticked, total) per checklist heading, e.g. ("Week 1", 12, 20); every heading of the
    checklist section is listed, also one whose boxes were all deleted."""


def _section_groups(report: Report) -> list[str]:
    """The sub-headings of the checklist section (`## Overall project checklist`), in order."""
    out: list[str] = []
    inside = False
    for h in report.headings:
        if h.level >= 2 and _QUESTION.match(h.title):
            break
        if "checklist" in h.title.lower():
            inside, level = True, h.level
            continue
        if inside:
            if h.level <= level:
                break
            out.append(h.title)
    return out


def summary(report: Report) -> ChecklistSummary:
    groups: dict[str, list[int]] = {}
    for item in report.checklist:
        g = groups.setdefault(item.group, [0, 0])
        g[0] += item.ticked
        g[1] += 1
    if groups:
        section = _section_groups(report)
        for name in section:
            groups.setdefault(name, [0, 0])
        order = {name: k for k, name in enumerate(section)}
        groups = dict(sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order))))
    ticked = sum(g[0] for g in groups.values())
    total = sum(g[1] for g in groups.values())
    return ChecklistSummary(ticked, total, tuple((n, t, a) for n, (t, a) in groups.items()))


def boxes(report: Report) -> list[Diagnostic]:
    """One info per unusual box form (`[✅]`, `[ x ]`, `[]`): counted as ticked (or not) but shown as text."""
    odd = [item for item in report.checklist if item.box not in STANDARD_BOXES]
    if not odd:
        return []
    forms = ", ".join(dict.fromkeys(code(f"[{item.box}]") for item in odd))
    lines = ", ".join(str(item.line) for item in odd[:10]) + (" ..." if len(odd) > 10 else "")
    n = len(odd)
    return [make("RB080", None, odd[0].line,
        f"{n} checklist box{'es' * (n != 1)} written as {forms} (line{'s' * (n != 1)} {lines}): GitHub will not show {'them' if n != 1 else 'it'} as a checkbox (a mark inside counts as ticked)",
        "Write a ticked box as `- [x]` and an open one as `- [ ]`.")]  # fmt: skip
