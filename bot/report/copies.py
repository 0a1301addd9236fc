"""An answer that is another question's answer: the same text after whitespace normalisation, or nearly all
of its words in the same order (pasted into a longer answer).

Cheap first: answers are cut into sentences and only pairs sharing most of one answer's sentences are
compared word by word (difflib, on those few pairs).
"""

from __future__ import annotations

import difflib

from bot.report.diagnostics import Diagnostic, make
from bot.report.parse import Question

MIN_WORDS = 15
"""Shorter answers (`No.`, a group number) are alike by chance."""
NEAR = 0.9
"""Share of the copied answer's words found in the other answer, in order."""


def _sentences(text: str) -> list[tuple[str, int]]:
    """Sentences of 4 words or more (split at `. `, line breaks read as spaces), with their rough word
    counts. Only an index to find candidates: the pairs found are compared word by word."""
    out = []
    for s in text.lower().replace("\n", " ").split(". "):
        spaces = s.count(" ")
        if spaces >= 3:
            out.append((s.strip(), spaces + 1))
    return out


def find(questions: list[Question], skip: set[int]) -> list[Diagnostic]:
    """`questions`: one per number, in order; `skip`: numbers whose answer is the placeholder."""
    answers = {
        q.number: q
        for q in questions
        if q.number not in skip and q.answer.count(" ") + q.answer.count("\n") >= MIN_WORDS - 1
    }
    sentences = {n: _sentences(q.answer) for n, q in answers.items()}
    where: dict[str, set[int]] = {}
    for n, ss in sentences.items():
        for s, _ in ss:
            where.setdefault(s, set()).add(n)
    out: list[Diagnostic] = []
    copied: set[int] = set()
    for n, ss in sentences.items():
        total = sum(k for _, k in ss) or 1
        shared: dict[int, int] = {}
        for s, k in ss:
            for other in where[s]:
                if other != n:
                    shared[other] = shared.get(other, 0) + k
        for other in sorted(shared):
            if other in copied or shared[other] < 0.6 * total:
                continue
            a, b = answers[n].answer.lower().split(), answers[other].answer.lower().split()
            if a == b:
                if other > n:
                    continue  # the later one of two equal answers is the copy
                how = "the same text"
            elif len(a) > 3000 or len(b) > 3000:
                if shared[other] < NEAR * total:
                    continue
                how = "nearly all of its sentences are in it"
            else:
                blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
                if sum(m.size for m in blocks) < NEAR * len(a):
                    continue
                how = f"nearly all of its {len(a)} words are in it, in the same order"
            copied.add(n)
            q = answers[n]
            out.append(make("RB004", n, q.answer_span.start,
                f"The answer of question {n} is a copy of question {other}'s answer ({how})",
                f"Write an answer to question {n}'s own prompt (lines {q.answer_span.start}–{q.answer_span.end}); each question is graded on its own."))  # fmt: skip
            break
    return out
