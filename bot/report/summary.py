"""A repository's row of the class overview, built from its Verdict: pure (no I/O).

`summarise(verdict)` gives what the instructors' table shows about the report itself (official pass count
or the crash, errors and warnings, placeholders, missing images, hand-in differences, the checklist); the
check job stores it beside the verdict, so the overview is read from the database, never recomputed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.report import evidence
from bot.report.check import Verdict

PLACEHOLDER_CODES = frozenset({"RB001", "RB002", "RB003"})
"""Not answered (only the placeholder), the placeholder left next to an answer, a fill-in left in."""
MISSING_IMAGE_CODES = frozenset({"RB020", "RB021"})
"""An image link whose file is not in the repository (or differs in case: GitHub does not find it)."""
HANDIN_PREFIX = "RB07"
"""`handin-*`: where the hand-in (Python-Markdown) shows an answer differently from GitHub."""


@dataclass(frozen=True)
class ChecklistCounts:
    ticked: int
    total: int
    evidenced: int | None
    """Ticked items whose evidence is in the repository; None: not known."""
    not_evidenced: int | None
    """Ticked items with evidence defined but none found; None: not known."""


@dataclass(frozen=True)
class ReportSummary:
    passed: int | None
    """Questions that pass the official check (None when the official script crashes)."""
    total: int
    crash: str | None
    """Why the official script stops (None when it runs)."""
    errors: int
    warnings: int
    placeholders: int
    missing_images: int
    handin_differences: int
    checklist: ChecklistCounts

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportSummary:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "checklist"}
        c = data.get("checklist") or {}
        checklist = ChecklistCounts(
            int(c.get("ticked", 0)), int(c.get("total", 0)), c.get("evidenced"), c.get("not_evidenced")
        )
        return cls(**fields, checklist=checklist)


def _checklist(verdict: Verdict) -> ChecklistCounts:
    """The checklist's ticks and how many the repository backs (`bot.report.evidence.counts`); None when the
    check was not given the repository's files (then nothing about the evidence is known)."""
    c = evidence.counts(verdict)
    if verdict.checklist.ticked and not verdict.evidence:
        return ChecklistCounts(c.ticked, verdict.checklist.total, None, None)
    return ChecklistCounts(c.ticked, verdict.checklist.total, c.evidenced, c.not_evidenced)


def summarise(verdict: Verdict) -> ReportSummary:
    o = verdict.official
    diags = verdict.diagnostics
    return ReportSummary(
        passed=None if o.error is not None else o.passed,
        total=o.total,
        crash=o.error,
        errors=sum(d.severity == "error" for d in diags),
        warnings=sum(d.severity == "warning" for d in diags),
        placeholders=sum(d.code in PLACEHOLDER_CODES for d in diags),
        missing_images=sum(d.code in MISSING_IMAGE_CODES for d in diags),
        handin_differences=sum(d.code.startswith(HANDIN_PREFIX) for d in diags),
        checklist=_checklist(verdict),
    )
