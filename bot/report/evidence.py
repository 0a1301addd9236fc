"""The checklist held against the repository: is each ticked item backed by a file? Pure (no I/O).

A rule set says, per checklist item, which files back a tick (`ChecklistRule.evidence`: globs, and maybe a
literal text one of those files must hold). A check runs in two steps, so that this module never reads a file:

1. `to_read(report, rules, files, max_files)`: the files whose text the check needs (at most `max_files`,
   the files nearest the root first, shared fairly between the items);
2. the caller reads them (the bot through GitHub, cached by blob SHA; the CLI from disk) and passes
   `contents` (path -> text, None for a file it skipped: binary or too large) to `assess`.

Every ticked item then gets a status: `evidenced` (the files are named), `not_evidenced` (no file can back
it: every candidate was looked at), `not_checked` (a candidate could not be read — over the bound, too
large, or the file list is unknown: never a guess) or `not_checkable` (no evidence defined: a file cannot
tell).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.report.diagnostics import Diagnostic, code, make
from bot.report.globs import Glob
from bot.report.parse import ChecklistItem, Report
from bot.report.rules import ChecklistRule, Evidence, RuleSet, words

MAX_NAMED = 5
"""Files named per evidenced item at most (the rest are counted)."""
DEFAULT_MAX_FILES = 20
"""Files read for text evidence per check at most (REPORT_BOT_EVIDENCE_MAX_BLOBS)."""
MAX_FILE_BYTES = 1_000_000
"""Larger files are not read (their text is not looked at)."""

Status = Literal["evidenced", "not_evidenced", "not_checked", "not_checkable"]

TOO_MANY = "too many files"
SKIPPED = "a file was binary or too large to read"
UNREAD = "the files were not read"
NO_LIST = "the repository's file list is unknown"


@dataclass(frozen=True)
class ItemEvidence:
    item: str
    """The item's text as the report has it."""
    line: int
    status: Status
    files: tuple[str, ...] = ()
    """`evidenced`: the files that back it (at most MAX_NAMED)."""
    more: int = 0
    """`evidenced`: how many more files back it."""
    reason: str = ""
    """`not_checked`: why (TOO_MANY, SKIPPED, UNREAD, NO_LIST)."""
    rule: ChecklistRule | None = None


@dataclass(frozen=True)
class EvidenceCounts:
    """For the instructors: ticked = evidenced + not_evidenced + not_checkable (what could not be checked,
    for any reason, is counted as not checkable: never as a missing file)."""

    ticked: int
    evidenced: int
    not_evidenced: int
    not_checkable: int


def rule_for(rules: RuleSet, text: str) -> ChecklistRule | None:
    """The rule set's entry whose `item` starts the item's text (word by word, case and punctuation aside)."""
    have = words(text)
    for rule in rules.checklist:
        want = words(rule.item)
        if have[: len(want)] == want:
            return rule
    return None


class _Paths:
    """The repository's paths, and which of them each glob matches (computed once per pattern: many items
    share `**/*.py`)."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = list(files)
        self._memo: dict[str, list[str]] = {}
        self._containing: dict[str, list[str]] = {}

    def of(self, globs: tuple[Glob, ...]) -> list[str]:
        found: dict[str, None] = {}
        for g in globs:
            hit = self._memo.get(g.pattern)
            if hit is None:
                near = self._containing.get(g.needle)
                if near is None:  # the paths holding the pattern's longest literal piece (`in`: C speed)
                    near = self._containing[g.needle] = [p for p in self.files if g.needle in p]
                hit = self._memo[g.pattern] = [p for p in near if g.match(p)]
            found.update(dict.fromkeys(hit))
        return list(found)


def _ticked(report: Report, rules: RuleSet) -> list[tuple[ChecklistItem, ChecklistRule | None]]:
    return [(item, rule_for(rules, item.text)) for item in report.checklist if item.ticked]


def _nearest_first(paths: list[str]) -> list[str]:
    return sorted(paths, key=lambda p: (p.count("/"), len(p), p))


def to_read(
    report: Report, rules: RuleSet, files: Iterable[str], max_files: int = DEFAULT_MAX_FILES
) -> list[str]:
    """The files whose text the ticked items need, at most `max_files`: item by item in turn, each item's
    candidates nearest the repository root first (an item a file alone already backs needs none)."""
    paths = _Paths(files)
    queues: list[list[str]] = []
    for _, rule in _ticked(report, rules):
        if rule is None or not rule.evidence:
            continue
        if any(not e.text and paths.of(e.files) for e in rule.evidence):
            continue  # backed by a file alone
        wanted = [p for e in rule.evidence if e.text for p in _nearest_first(paths.of(e.files))]
        if wanted:
            queues.append(list(dict.fromkeys(wanted)))
    chosen: dict[str, None] = {}
    at = [0] * len(queues)
    while len(chosen) < max_files:
        moved = False
        for k, queue in enumerate(queues):
            while at[k] < len(queue) and queue[at[k]] in chosen:
                at[k] += 1
            if at[k] < len(queue) and len(chosen) < max_files:
                chosen[queue[at[k]]] = None
                at[k] += 1
                moved = True
        if not moved:
            break
    return list(chosen)


def _holds(text: str | None, needles: tuple[str, ...]) -> bool:
    return text is not None and any(n in text for n in needles)  # `in`: linear-time substring search


def _one(rule: ChecklistRule, item: ChecklistItem, paths: _Paths | None,
         contents: Mapping[str, str | None] | None) -> ItemEvidence:  # fmt: skip
    if not rule.evidence:
        return ItemEvidence(item.text, item.line, "not_checkable", rule=rule)
    if paths is None:
        return ItemEvidence(item.text, item.line, "not_checked", reason=NO_LIST, rule=rule)
    backing: dict[str, None] = {}
    unknown = ""
    for e in rule.evidence:
        found, why = _alternative(e, paths, contents)
        backing.update(dict.fromkeys(found))
        unknown = unknown or why
    if backing:
        named = tuple(list(backing)[:MAX_NAMED])
        return ItemEvidence(item.text, item.line, "evidenced", named, len(backing) - len(named), rule=rule)
    if unknown:
        return ItemEvidence(item.text, item.line, "not_checked", reason=unknown, rule=rule)
    return ItemEvidence(item.text, item.line, "not_evidenced", rule=rule)


def _alternative(
    e: Evidence, paths: _Paths, contents: Mapping[str, str | None] | None
) -> tuple[list[str], str]:
    """(files that back the item this way, why it is unknown whether it does: "" when known)."""
    matched = paths.of(e.files)
    if not e.text:
        return matched, ""
    if not matched:
        return [], ""
    if contents is None:
        return [], UNREAD
    hits = [p for p in matched if _holds(contents.get(p), e.text)]
    if hits:
        return hits, ""
    if any(p not in contents for p in matched):
        return [], TOO_MANY
    if any(contents[p] is None for p in matched):
        return [], SKIPPED
    return [], ""


def assess(report: Report, rules: RuleSet, files: Iterable[str] | None,
           contents: Mapping[str, str | None] | None) -> tuple[ItemEvidence, ...]:  # fmt: skip
    """Every ticked item's evidence. `files`: the repository's paths (None: unknown); `contents`: the texts
    read for `to_read`'s files (None: none were read, text evidence is not checked)."""
    paths = _Paths(files) if files is not None else None
    out = []
    for item, rule in _ticked(report, rules):
        if rule is None:
            out.append(ItemEvidence(item.text, item.line, "not_checkable"))
        else:
            out.append(_one(rule, item, paths, contents))
    return tuple(out)


class _Ticked(Protocol):
    @property
    def ticked(self) -> int: ...


class _Checked(Protocol):
    """A `check.Verdict` (not imported: check imports this module)."""

    @property
    def checklist(self) -> _Ticked: ...

    @property
    def evidence(self) -> tuple[ItemEvidence, ...]: ...


def counts(verdict: _Checked) -> EvidenceCounts:
    """The checklist's ticks against the repository, for the class overview."""
    ticked = verdict.checklist.ticked
    evidenced = sum(e.status == "evidenced" for e in verdict.evidence)
    missing = sum(e.status == "not_evidenced" for e in verdict.evidence)
    return EvidenceCounts(ticked, evidenced, missing, ticked - evidenced - missing)


# --------------------------------------------------------------------------- diagnostics


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _how(rule: ChecklistRule) -> str:
    """What counts, in words: "a file matching `**/*.py` that contains `import wandb` counts"."""
    ways = []
    for e in rule.evidence:
        globs = _or([code(g.pattern) for g in e.files[:6]])
        if e.text:
            ways.append(f"a file matching {globs} that contains {_or([code(t) for t in e.text[:6]])}")
        else:
            ways.append(f"any file matching {globs}")
    return "; or ".join(ways) + " counts"


def diagnostics(found: tuple[ItemEvidence, ...], max_files: int) -> list[Diagnostic]:
    """An info per ticked item no file backs, and one for the items that could not be checked."""
    out = []
    for e in found:
        if e.status != "not_evidenced" or e.rule is None:
            continue
        rule = e.rule
        absent = rule.absent or "no file in the repository backs it"
        fix = rule.fix or "the files that back it"
        out.append(make("RB081", None, e.line, f"{code(e.item, 80)} is ticked, but {absent}",
            f"Commit {fix} ({_how(rule)}), or untick the box on line {e.line} if the item is not done."))  # fmt: skip
    unchecked = [e for e in found if e.status == "not_checked" and e.reason != UNREAD]
    if unchecked:
        n = len(unchecked)
        shown = ", ".join(code(e.item, 50) for e in unchecked[:5]) + (" ..." if n > 5 else "")
        reasons = sorted({e.reason for e in unchecked})
        hint = ("They count neither way. The bot reads the text of at most "
                f"{max_files} files per check, nearest the repository root first: evidence such as `import wandb` "
                "in `src/PROJECT/train.py` is found before evidence deep in subfolders.")  # fmt: skip
        if NO_LIST in reasons:
            hint = "They count neither way: GitHub listed only part of this repository's files."
        out.append(make("RB082", None, unchecked[0].line,
            f"{n} ticked checklist item{'s' * (n != 1)} could not be held against the repository ({'; '.join(reasons)}): {shown}",
            hint))  # fmt: skip
    return out
