"""The quoted question against every known wording of it (each template's, the rule set's).

Neither the official check nor the hand-in depends on the prompt's words, so a typo fixed, a URL changed
or a phrase reworded is at most an info that shows the words changed; a deleted prompt is a warning (the
reader no longer sees what the answer answers). Edits of the `Answer:` line, the heading or the number are
the structure checks' (RB043–RB045).
"""

from __future__ import annotations

import difflib
import re

from bot.report.diagnostics import Diagnostic, code, make
from bot.report.parse import Question
from bot.report.rules import QuestionRule, _words, prompt_matches

_LINK_TARGET = re.compile(r"\]\([^()\s]*\)")
"""A link's target in a prompt (`[this figure](figures/bucket.png)`): a changed URL changes nothing."""
_TYPO = 0.6
"""Two words this alike (difflib ratio) are the same word with a typo fixed or made."""


def _changes(actual: tuple[str, ...], known: tuple[str, ...]) -> list[tuple[str, str]]:
    """(old words, new words) for each change that is more than a typo or a changed link."""
    out = []
    sm = difflib.SequenceMatcher(None, known, actual, autojunk=False)
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal":
            continue
        old, new = known[a0:a1], actual[b0:b1]
        if len(old) == len(new) and all(
            difflib.SequenceMatcher(None, o, n).ratio() >= _TYPO for o, n in zip(old, new, strict=True)
        ):
            continue  # typos
        if any(w in ("http", "https", "www", "com") for w in old + new):
            continue  # a link changed
        out.append((" ".join(old), " ".join(new)))
    return out


def check(q: Question, rule: QuestionRule) -> list[Diagnostic]:
    if not rule.prompt:
        return []
    at = q.prompt_span.start if q.prompt_span else q.heading_line
    if q.prompt_span is None or not q.prompt:
        canonical = rule.prompt if len(rule.prompt) <= 120 else rule.prompt[:117] + "..."
        return [make("RB051", q.number, at,
            f"The quoted question {q.number} is deleted: whoever grades the answer no longer sees what it answers",
            f"Copy the quote back below the heading on line {q.heading_line}: `> **{canonical}**`, ending in `> Answer:`.")]  # fmt: skip
    known = (rule.prompt, *rule.variants)
    if any(prompt_matches(q.prompt, p) for p in known):
        return []
    actual = _words(_LINK_TARGET.sub("]", q.prompt))
    stripped = [_words(_LINK_TARGET.sub("]", p)) for p in known]
    if actual in stripped:
        return []
    best = max(stripped, key=lambda p: difflib.SequenceMatcher(None, p, actual, autojunk=False).ratio())
    changes = _changes(actual, best)
    if not changes:
        return []
    shown = "; ".join(f"{code(o or '∅', 60)} → {code(n or '∅', 60)}" for o, n in changes[:3])
    more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
    return [make("RB050", q.number, at,
        f"The quoted question {q.number} is worded differently from the template: {shown}{more}",
        "Nothing to do for the check: it does not read the prompt's words. Keep the template's question if you changed it by accident.")]  # fmt: skip
