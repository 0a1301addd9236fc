"""Questions 1 and 2: the group number, and every member's study number. Linear-time, no regex backtracking."""

from __future__ import annotations

import re

from bot.report.diagnostics import Diagnostic, code, make

_STUDY = re.compile(r"(?<![0-9A-Za-z])[sS][0-9]{6}(?![0-9A-Za-z])")
_SEPARATORS = re.compile(r"[,;\n/|&]+|\band\b")
_DIGITS = re.compile(r"[0-9]+")
_WRAP = " \t*_`'\"."


def _unwrap(text: str, extra: str = "") -> str:
    """Emphasis and quotes (and `extra` characters) around an answer removed."""
    return text.strip().strip(_WRAP + extra).strip()


def group_number(answer: str) -> str | None:
    """The group number if the answer is only a number (`42`, `Group 42`, `#42`, `*42*`), else None."""
    text = _unwrap(answer)
    low = text.lower()
    if low.startswith("group"):
        text = text[5:].lstrip(" \t:")
    text = text.lstrip("#").strip()
    return text if text.isascii() and text.isdigit() and len(text) <= 4 else None


def group(number: int, answer: str, line: int) -> list[Diagnostic]:
    if group_number(answer) is not None:
        return []
    shown = answer.strip().splitlines()[0] if answer.strip() else ""
    digits = _DIGITS.findall(shown)
    example = f"`{digits[-1]}`" if digits else "`42`"
    return [make("RB060", number, line,
        f"Question {number} must be the group number alone, found {code(shown, 40)}",
        f"Write only the number of the group you signed up as, e.g. {example}, on line {line}.")]  # fmt: skip


def not_study_numbers(answer: str) -> list[str]:
    """The members listed without a study number (`183546`, a username, a name alone)."""
    out = []
    for item in _SEPARATORS.split(answer):
        item = _unwrap(item, "-")
        if item and not _STUDY.search(item):
            out.append(item)
    return out


def study(number: int, answer: str, line: int) -> list[Diagnostic]:
    bad = not_study_numbers(answer)
    if not bad:
        return []
    named = ", ".join(code(b, 40) for b in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    fix = []
    for b in bad[:3]:
        if b.isascii() and b.isdigit() and len(b) == 6:
            fix.append(f"{code(b)} → {code('s' + b)}")
    how = f" ({'; '.join(fix)})" if fix else ""
    many = len(bad) != 1
    return [make("RB061", number, line,
        f"Question {number}: {named} {'are not study numbers' if many else 'is not a study number'} (`s` and 6 digits)",
        f"Write every member's study number{how} on line {line}, separated by commas: `s123456, s234567, s345678`.")]  # fmt: skip
