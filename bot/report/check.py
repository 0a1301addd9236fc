"""Report text + rule set + repository file list -> Verdict (official parity + diagnostics). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.report import (
    checklist,
    copies,
    evidence,
    fillins,
    images,
    lazy,
    links,
    members,
    official,
    prompts,
)
from bot.report.checklist import ChecklistSummary
from bot.report.counts import Counts, range_text
from bot.report.diagnostics import Diagnostic, code, make, sort_key
from bot.report.evidence import ItemEvidence
from bot.report.official import OfficialResult
from bot.report.parse import BOM, Question, Report, parse
from bot.report.rules import RuleSet

__all__ = ["ChecklistSummary", "NotAReport", "Verdict", "check", "require_report"]


class NotAReport(ValueError):
    """The text has no questions and no `Answer:` at all: not a report from a template."""


@dataclass(frozen=True)
class Verdict:
    rules: RuleSet
    reason: str
    """Which rule set was used and why."""
    official: OfficialResult
    diagnostics: tuple[Diagnostic, ...]
    checklist: ChecklistSummary
    report: Report
    evidence: tuple[ItemEvidence, ...] = ()
    """Each ticked checklist item held against the repository (empty: not looked at; see `evidence.py`)."""

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def ok(self) -> bool:
        o = self.official
        return o.error is None and o.passed == o.total and self.errors == 0

    @property
    def not_started(self) -> bool:
        """Still the untouched template: every question there is holds only its placeholder."""
        asked = {q.number for q in self.report.questions}
        empty = {d.question for d in self.diagnostics if d.code == "RB001"}
        return bool(asked) and asked <= empty

    def failing(self) -> set[int]:
        qs = self.official.questions or ()
        return {q.number for q in qs if not q.passed}

    def to_json(self) -> dict[str, Any]:
        o = self.official
        questions = None
        if o.questions is not None:
            questions = [
                {
                    "number": q.number,
                    "words": q.words,
                    "images": q.images,
                    "passed": q.passed,
                    "failed": list(q.failed),
                }
                for q in o.questions
            ]
        return {
            "rules": self.rules.name,
            "rules_reason": self.reason,
            "official": {
                "error": o.error,
                "answers": o.answers,
                "passed": o.passed,
                "total": o.total,
                "questions": questions,
            },
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "checklist": {
                "ticked": self.checklist.ticked,
                "total": self.checklist.total,
                "groups": [{"name": n, "ticked": t, "total": a} for n, t, a in self.checklist.groups],
                "evidence": [
                    {
                        "item": e.item,
                        "line": e.line,
                        "status": e.status,
                        "files": list(e.files),
                        "more": e.more,
                        "reason": e.reason,
                    }
                    for e in self.evidence
                ],
            },
        }


def check(
    raw: str | Report,
    rules: RuleSet,
    files: Iterable[str] | None = None,
    report_dir: str = "reports",
    reason: str = "",
    permalink_base: str | None = None,
    *,
    handin: bool = True,
    contents: Mapping[str, str | None] | None = None,
    max_files: int = evidence.DEFAULT_MAX_FILES,
) -> Verdict:
    """Check a report. `files` are the repository's paths (None: unknown, image files are not looked up;
    images only: links to other files are not looked up); `report_dir` is the report's folder in the
    repository, where relative links start. `raw` may be the text or its `parse()`d Report (callers that
    parsed it already need not parse it twice). `permalink_base` is
    `https://github.com/OWNER/REPO/blob/SHA` of the checked commit, for the fix of a dead link. `handin`:
    compare each answer's hand-in rendering (Python-Markdown, as `report.py html`) with GitHub's (`handin-*`
    diagnostics); it renders the report twice, so it is by far the dearest part of a check. `contents`: hold
    the ticked checklist against the repository, with the texts read for `evidence.to_read(..., max_files)`
    (path -> text, None for a skipped file); None: the checklist is not held against it."""
    report = parse(raw) if isinstance(raw, str) else raw
    files = list(files) if files is not None else None
    text = (BOM if report.bom else "") + report.text
    result = official.run(text, rules)
    index = images.FileIndex.of(files) if files is not None else None
    found = _Checker(report, rules, result, index, report_dir.strip("/"), permalink_base).run()
    if handin:
        from bot.report import handin_diff  # Python-Markdown and two renderings: only when asked for

        found = [*found, *handin_diff.diagnostics(report)]
    held: tuple[ItemEvidence, ...] = ()
    if contents is not None:
        held = evidence.assess(report, rules, files, contents)
        found = [*found, *evidence.diagnostics(held, max_files)]
    return Verdict(
        rules,
        reason or rules.name,
        result,
        tuple(sorted(found, key=sort_key)),
        checklist.summary(report),
        report,
        held,
    )


def require_report(report: Report) -> None:
    if not report.questions and "Answer:" not in report.text:
        raise NotAReport(
            "no `### Question N` headings and no `Answer:` found: this is not a report from the template"
        )


class _Checker(Counts):
    def __init__(
        self,
        report: Report,
        rules: RuleSet,
        result: OfficialResult,
        files: images.FileIndex | None,
        report_dir: str,
        permalink_base: str | None = None,
    ) -> None:
        self.report, self.rules, self.result, self.files, self.dir = report, rules, result, files, report_dir
        self.permalink_base = permalink_base
        self.out: list[Diagnostic] = []
        # The first heading of each question number; duplicates are diagnosed separately.
        self.by_number: dict[int, Question] = {}
        for q in report.questions:
            self.by_number.setdefault(q.number, q)
        self.question_lines = sorted({q.heading_line for q in report.questions})
        # BOM: the official text has one more leading character than report.text.
        self.shift = result.offset - (1 if report.bom else 0)

    def line_at(self, offset: int) -> int:
        return self.report.line_of_offset(max(0, offset + self.shift))

    def question_at(self, line: int) -> int | None:
        best = None
        for q in self.report.questions:
            if q.heading_line <= line:
                best = q.number
        return best

    def run(self) -> list[Diagnostic]:
        self.structure()
        candidates = fillins.candidate_lines(self.report)
        for q in self.by_number.values():
            self.placeholders(q)
            self.out.extend(fillins.find(self.report, q, candidates))
        self.counts()
        for q in self.by_number.values():
            self.quote(q)
            rule = self.rules.rule(q.number)
            if rule is not None:
                self.out.extend(prompts.check(q, rule))
        self.expectations()
        unanswered = {d.question for d in self.out if d.code == "RB001" and d.question is not None}
        self.out.extend(copies.find(list(self.by_number.values()), unanswered))
        self.image_links()
        self.out.extend(checklist.boxes(self.report))
        return self.out

    # ---------------------------------------------------------------- structure and the official crash

    def structure(self) -> None:
        report, total = self.report, self.rules.total
        seen: dict[int, Question] = {}
        for q in report.questions:
            if q.number in seen:
                first = seen[q.number]
                self.out.append(make("RB044", q.number, q.heading_line,
                    f"Question {q.number} appears twice (lines {first.heading_line} and {q.heading_line})",
                    f"Merge the answers into the first copy and delete the heading on line {q.heading_line} with its quote and answer."))  # fmt: skip
            else:
                seen[q.number] = q
            if q.marker_line is None and q.number <= total:
                at = q.prompt_span.end if q.prompt_span else q.heading_line
                self.out.append(make("RB045", q.number, at,
                    f"Question {q.number} has no `Answer:` line: the official script cannot find this answer",
                    f"Add `> Answer:` as the last line of the quoted question (after line {at}), then your answer below it."))  # fmt: skip
        for n in range(1, total + 1):
            if n not in seen:
                before = max((q.span.end for q in report.questions if q.number < n), default=0)
                where = f"after line {before}" if before else "before question 2"
                self.out.append(make("RB043", n, before or None, f"Question {n} is missing",
                    f"Copy question {n} back from the template {where}: the `### Question {n}` heading, its quoted prompt ending in `> Answer:`, then your answer."))  # fmt: skip
        self.markers()
        self.tail()
        if self.result.error is not None:
            causes = sum(d.code in {"RB040", "RB042", "RB043", "RB044", "RB045"} for d in self.out)
            hint = ("Fix the errors listed for the questions below: each one changes how many answers the script finds."
                    if causes else
                    f"Keep the template's structure: {total} questions, each with one `Answer:` line in its quote, and no `###` after the last answer.")  # fmt: skip
            msg = f"The official `report.py check` stops: {self.result.error}"
            self.out.append(make("RB046", None, None, msg, hint))

    def markers(self) -> None:
        """`Answer:` written inside an answer: the official script splits there."""
        for q in self.by_number.values():
            if "Answer:" not in q.answer:
                continue
            for k, line in enumerate(self.report.lines[q.answer_span.start - 1 : q.answer_span.end]):
                at = q.answer_span.start + k
                if "Answer:" in line and at != q.marker_line:
                    self.out.append(make("RB040", q.number, at,
                        f"`Answer:` on line {at} is inside the answer of question {q.number}: the official script starts a new answer there",
                        f"Reword it on line {at} (e.g. `answer -` or lowercase `answer:`); only the quoted `> Answer:` may contain it."))  # fmt: skip

    def tail(self) -> None:
        """A `###` after the last `Answer:` makes the official script keep the last answer twice."""
        text = self.report.text
        last = text.rfind("Answer:")
        if last == -1:
            return
        cut = text.find("###", last)
        if cut == -1:
            return
        line = self.report.line_of_offset(cut)
        last_q = max((q.number for q in self.report.questions), default=self.rules.total)
        self.out.append(make("RB042", last_q, line,
            f"{code(self.report.lines[line - 1], 60)} on line {line} comes after the last answer: the official script counts that answer twice and stops",
            f"Remove line {line} (and what follows it) or move it above `### Question 1`; nothing with `###` may follow the last answer."))  # fmt: skip

    # ---------------------------------------------------------------- per question

    def placeholders(self, q: Question) -> None:
        if not q.placeholder_lines:
            return
        first = q.placeholder_lines[0]
        ph = self.report.lines[first - 1].strip()
        rest = q.answer.replace(ph, "", 1).strip()
        rule = self.rules.rule(q.number)
        if not rest and not q.quoted_answer:
            need = f" ({range_text(rule.words, 'word')})" if rule and rule.words else ""
            self.out.append(make("RB001", q.number, first, f"Question {q.number} is not answered",
                f"Replace {code(ph)} on line {first} with your answer{need}."))  # fmt: skip
        else:
            n = len(ph.split())
            self.out.append(make("RB002", q.number, first,
                f"The placeholder is still there next to the answer: it adds {n} words to the count",
                f"Remove the placeholder, it adds {n} words: delete {code(ph)} on line {first}."))  # fmt: skip

    def quote(self, q: Question) -> None:
        if q.quoted_answer and q.marker_line is not None:
            self.out.append(make("RB030", q.number, q.marker_line,
                f"The answer of question {q.number} is written inside the quoted question",
                f"Move the text after `Answer:` on line {q.marker_line} below the quote, on a new line without `>` after a blank line."))  # fmt: skip
        elif lazy.continues_quote(self.report, q):
            assert q.marker_line is not None
            self.out.append(make("RB030", q.number, q.marker_line + 1,
                f"The answer of question {q.number} starts on the line right after `> Answer:`: Markdown shows it inside the quote",
                f"Add a blank line after line {q.marker_line} (between `> Answer:` and your answer)."))  # fmt: skip

    def expectations(self) -> None:
        for rule in self.rules.questions:
            q = self.by_number.get(rule.number)
            if q is None or rule.expect is None:
                continue
            answer = (q.answer or q.quoted_answer).strip()
            if not answer or q.placeholder_lines:
                continue
            line = self.first_text_line(q)
            if rule.expect == "group_number":
                self.out.extend(members.group(q.number, answer, line))
            else:
                self.out.extend(members.study(q.number, answer, line))

    def first_text_line(self, q: Question) -> int:
        """The answer's first line with text (not the blank line after the quote)."""
        if not q.answer and q.quoted_answer and q.marker_line is not None:
            return q.marker_line
        for n in range(q.answer_span.start, q.answer_span.end + 1):
            if self.report.lines[n - 1].strip():
                return n
        return q.answer_span.start

    def image_links(self) -> None:
        for link in links.in_answers(self.report, self.by_number.values()):
            self.out.extend(images.diagnose(link, self.dir, self.files, self.permalink_base))
