"""Exactly what the course's official `report.py check` computes, quirks included.

See `shared/reports/OFFICIAL.md`: split on the literal `Answer:`, cut each part at the first `###` then the
first `##` (a part without `###` is dropped), append the last part once more uncut, strip `\\n`, crash
unless the count is right, count `str.split()` words and `!\\[.*?\\]\\(.*?\\)` images. Every kept answer
also carries its character span in the text, so diagnostics can point at lines.

The image regex backtracks quadratically and worse (`"![](" * 1500` on one line takes seconds), so `IMAGE`
finds the same matches with `str.find` in one pass (see `OfficialImages`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from bot.report.rules import RuleSet

IMAGE_PATTERN = r"\!\[.*?\]\(.*?\)"
"""The official script's regex, for tests only: never run it on student text (it backtracks)."""
MARK = "Answer:"


class OfficialImages:
    """`re.findall(IMAGE_PATTERN, text)` in linear time, match for match.

    `.` does not cross a newline. From an `![` at p the regex matches exactly when the first `](` at or after
    p + 2 on that line is followed by a `)` on that line, and ends at the first such `)`. When it does not
    match, no later `![` on the same line can match either (its first `](` is no earlier, and no `)`
    follows), so the search goes on at the next line. Every `find` starts where the last one stopped.
    """

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        pos, n = 0, len(text)
        while (p := text.find("![", pos)) != -1:
            eol = text.find("\n", p)
            if eol == -1:
                eol = n
            i = text.find("](", p + 2, eol)
            j = text.find(")", i + 2, eol) if i != -1 else -1
            if j == -1:
                pos = eol + 1
                continue
            yield p, j + 1
            pos = j + 1

    def findall(self, text: str) -> list[str]:
        return [text[s:e] for s, e in self.spans(text)]


IMAGE = OfficialImages()
"""What the official script counts as an image (its regex's matches, found without backtracking)."""


class Answer(NamedTuple):
    """One answer as the official script keeps it; `start`/`end` are offsets into the checked text."""

    text: str
    start: int
    end: int
    cut: str | None
    """`###` or `##` when the part was cut short at that marker, else None."""
    cut_at: int | None
    part: int
    """Index of the `Answer:` part it came from (0 = the first text after the first `Answer:`)."""


class QuestionResult(NamedTuple):
    number: int
    words: int
    images: int
    passed: bool
    failed: tuple[str, ...]
    answer: Answer


@dataclass(frozen=True)
class OfficialResult:
    error: str | None
    """The crash message (with the count found), or None."""
    answers: int
    """How many answers the script kept."""
    passed: int | None
    total: int
    questions: tuple[QuestionResult, ...] | None
    kept: tuple[Answer, ...]
    offset: int
    """Offset of the checked text in the normalised file (the characters skipped)."""


def split_answers(text: str, rules: RuleSet) -> tuple[list[Answer], int]:
    """The answers the official script keeps, and the number of leading characters it skipped."""
    skip = rules.official.skip_chars
    body = text[skip:]
    starts = []
    pos = body.find(MARK)
    bounds = [0]
    while pos != -1:
        starts.append(pos)
        bounds.append(pos + len(MARK))
        pos = body.find(MARK, pos + len(MARK))
    parts: list[tuple[int, int]] = []  # (start, end) of each piece between marks
    for k, begin in enumerate(bounds):
        end = starts[k] if k < len(starts) else len(body)
        parts.append((begin, end))
    if rules.official.drop_preamble == "pop":
        parts = parts[1:]
        first_index = 1
    else:
        first_index = 0
    kept: list[Answer] = []
    for idx, (s, e) in enumerate(parts, first_index):
        piece = body[s:e]
        cut3 = piece.find("###")
        if cut3 == -1:
            continue
        end, cut = s + cut3, "###"
        cut2 = body.find("##", s, end)
        if cut2 != -1:
            end, cut = cut2, "##"
        kept.append(_answer(body, s, end, cut, idx - 1, end))
    if not parts:
        # `per_question[-1]` on an empty list: the 2025+ script dies with IndexError.
        raise IndexError("list index out of range")
    s, e = parts[-1]
    kept.append(_answer(body, s, e, None, len(parts) - 1 + first_index - 1, None))
    if rules.official.drop_preamble == "slice":
        kept = kept[1:]
    return kept, skip


def _answer(body: str, s: int, e: int, cut: str | None, part: int, cut_at: int | None) -> Answer:
    while s < e and body[s] == "\n":
        s += 1
    while e > s and body[e - 1] == "\n":
        e -= 1
    return Answer(body[s:e], s, e, cut, cut_at, part)


def count(answer: str) -> tuple[int, int]:
    """(words, images) as the official script counts them."""
    return len(answer.split()), sum(1 for _ in IMAGE.spans(answer))


def run(text: str, rules: RuleSet) -> OfficialResult:
    """`text` is the file as Python's `open()` reads it: universal newlines, a BOM kept."""
    total = rules.total
    try:
        kept, skip = split_answers(text, rules)
    except IndexError as exc:
        return OfficialResult(f"IndexError: {exc}", 0, None, total, None, (), rules.official.skip_chars)
    if len(kept) != total:
        msg = f"Number of answers are different from the expected {total} (got {len(kept)})"
        return OfficialResult(msg, len(kept), None, total, None, tuple(kept), skip)
    results = []
    for rule, ans in zip(rules.questions, kept, strict=True):
        words, images = count(ans.text)
        failed = []
        if rule.words and not rule.words.min <= words <= rule.words.max:
            failed.append("words")
        if rule.images and not rule.images.min <= images <= rule.images.max:
            failed.append("images")
        results.append(QuestionResult(rule.number, words, images, not failed, tuple(failed), ans))
    passed = sum(r.passed for r in results)
    return OfficialResult(None, len(kept), passed, total, tuple(results), tuple(kept), skip)
