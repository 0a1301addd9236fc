"""Diagnostics: what the official checker misses, each with a stable code, like a linter rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.report.escape import code as code  # student text as a safe code span (used by the checks)

Severity = Literal["error", "warning", "info"]

# code -> (name, severity). Codes are stable: never reuse or renumber one.
CODES: dict[str, tuple[str, Severity]] = {
    "RB001": ("not-answered", "error"),
    "RB002": ("placeholder-left", "error"),
    "RB003": ("fill-in-left", "warning"),
    "RB004": ("answer-copied", "warning"),
    "RB010": ("too-few-words", "error"),
    "RB011": ("too-many-words", "error"),
    "RB012": ("too-few-images", "error"),
    "RB013": ("too-many-images", "error"),
    "RB014": ("image-in-code", "warning"),
    "RB020": ("image-missing", "error"),
    "RB021": ("image-case-mismatch", "error"),
    "RB022": ("image-backslash-path", "error"),
    "RB023": ("image-absolute-path", "error"),
    "RB024": ("image-remote-url", "warning"),
    "RB025": ("image-extension", "warning"),
    "RB026": ("image-template-brackets", "error"),
    "RB027": ("link-outside-report", "warning"),
    "RB028": ("link-missing", "warning"),
    "RB029": ("image-outside-report", "warning"),
    "RB030": ("answer-in-quote", "warning"),
    "RB040": ("answer-marker-in-answer", "error"),
    "RB041": ("heading-cuts-answer", "warning"),
    "RB042": ("heading-after-last-question", "error"),
    "RB043": ("question-missing", "error"),
    "RB044": ("question-duplicated", "error"),
    "RB045": ("answer-marker-missing", "error"),
    "RB046": ("official-crash", "error"),
    "RB047": ("answer-misaligned", "error"),
    "RB050": ("prompt-edited", "info"),
    "RB051": ("prompt-deleted", "warning"),
    "RB060": ("group-number", "warning"),
    "RB061": ("study-numbers", "warning"),
    "RB070": ("handin-code-block", "warning"),
    "RB071": ("handin-table", "warning"),
    "RB072": ("handin-list", "warning"),
    "RB073": ("handin-html", "warning"),
    "RB074": ("handin-cut", "warning"),
    "RB075": ("handin-heading", "warning"),
    "RB076": ("handin-image", "warning"),
    "RB077": ("handin-link", "warning"),
    "RB078": ("handin-not-compared", "warning"),
    "RB080": ("checkbox-form", "info"),
    "RB081": ("checklist-not-evidenced", "info"),
    "RB082": ("checklist-not-checked", "info"),
}

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    question: int | None
    line: int | None
    message: str
    hint: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def make(
    code: str,
    question: int | None,
    line: int | None,
    message: str,
    hint: str,
    severity: Severity | None = None,
) -> Diagnostic:
    name, default = CODES[code]
    return Diagnostic(code, name, severity or default, question, line, message, hint)


def sort_key(d: Diagnostic) -> tuple[int, int, int, str]:
    return (d.question or 0, d.line or 0, SEVERITY_ORDER[d.severity], d.code)
