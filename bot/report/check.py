"""Report text + rule set + repository file list -> Verdict (official parity + diagnostics). Pure."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.report import handin_diff, images, official
from bot.report.diagnostics import Diagnostic, code, make, sort_key
from bot.report.official import OfficialResult
from bot.report.parse import BOM, Question, Report, parse
from bot.report.rules import Range, RuleSet, prompt_matches

_GROUP = re.compile(r"^\s*(?:group\s*)?#?\s*(\d{1,4})\s*\.?\s*$", re.IGNORECASE)
_STUDY = re.compile(r"\b[sS]\d{6}\b")


class NotAReport(ValueError):
    """The text has no questions and no `Answer:` at all: not a report from a template."""


@dataclass(frozen=True)
class ChecklistSummary:
    ticked: int
    total: int
    groups: tuple[tuple[str, int, int], ...]
    """(heading, ticked, total) per checklist heading, e.g. ("Week 1", 12, 20)."""


@dataclass(frozen=True)
class Verdict:
    rules: RuleSet
    reason: str
    """Which rule set was used and why."""
    official: OfficialResult
    diagnostics: tuple[Diagnostic, ...]
    checklist: ChecklistSummary
    report: Report

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def ok(self) -> bool:
        o = self.official
        return o.error is None and o.passed == o.total and self.errors == 0

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
            },
        }


def check(
    raw: str | Report,
    rules: RuleSet,
    files: Iterable[str] | None = None,
    report_dir: str = "reports",
    reason: str = "",
) -> Verdict:
    """Check a report. `files` are the repository's paths (None: unknown, image files are not looked up);
    `report_dir` is the report's folder in the repository, where relative image links start. `raw` may be
    the text or its `parse()`d Report (callers that parsed it already need not parse it twice)."""
    report = parse(raw) if isinstance(raw, str) else raw
    text = (BOM if report.bom else "") + report.text
    result = official.run(text, rules)
    index = images.FileIndex.of(files) if files is not None else None
    found = _Checker(report, rules, result, index, report_dir.strip("/")).run()
    found = [*found, *handin_diff.diagnostics(report)]
    return Verdict(
        rules, reason or rules.name, result, tuple(sorted(found, key=sort_key)), _checklist(report), report
    )


def require_report(report: Report) -> None:
    if not report.questions and "Answer:" not in report.text:
        raise NotAReport(
            "no `### Question N` headings and no `Answer:` found: this is not a report from the template"
        )


def _checklist(report: Report) -> ChecklistSummary:
    groups: dict[str, list[int]] = {}
    for item in report.checklist:
        g = groups.setdefault(item.group, [0, 0])
        g[0] += item.ticked
        g[1] += 1
    ticked = sum(g[0] for g in groups.values())
    total = sum(g[1] for g in groups.values())
    return ChecklistSummary(ticked, total, tuple((n, t, a) for n, (t, a) in groups.items()))


def _range_text(r: Range, unit: str) -> str:
    return f"{r.min}–{r.max} {unit}" if r.min != r.max else f"exactly {r.min} {unit}"


class _Checker:
    def __init__(
        self,
        report: Report,
        rules: RuleSet,
        result: OfficialResult,
        files: images.FileIndex | None,
        report_dir: str,
    ) -> None:
        self.report, self.rules, self.result, self.files, self.dir = report, rules, result, files, report_dir
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
        for q in self.by_number.values():
            self.placeholders(q)
        self.counts()
        for q in self.by_number.values():
            self.quote(q)
            self.prompt(q)
        self.expectations()
        self.image_links()
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

    # ---------------------------------------------------------------- counts

    def counts(self) -> None:
        res = self.result
        if res.questions is None:
            # The official script crashed: count our own parse so the group still learns what to fix.
            for n, q in self.by_number.items():
                rule = self.rules.rule(n)
                if rule:
                    words, imgs = official.count(q.answer)
                    self.ranges(n, q, words, imgs, rule.words, rule.images, official_count=False)
            return
        for qr in res.questions:
            found = self.by_number.get(qr.number)
            rule = self.rules.rule(qr.number)
            if rule is None:
                continue
            start_line = self.line_at(qr.answer.start)
            if found is not None and not (found.span.start <= start_line <= found.span.end + 1):
                self.out.append(make("RB047", qr.number, start_line,
                    f"The official script checks the text at line {start_line} as the answer of question {qr.number}",
                    "An `Answer:` is missing or one too many before this point; fix the structure errors above it."))  # fmt: skip
            self.ranges(qr.number, found, qr.words, qr.images, rule.words, rule.images, official_count=True)
            if qr.answer.cut and found is not None:
                self.cut_short(qr, found, rule.words)

    def ranges(
        self,
        n: int,
        q: Question | None,
        words: int,
        imgs: int,
        wr: Range | None,
        ir: Range | None,
        official_count: bool,
    ) -> None:
        if any(d.code == "RB001" and d.question == n for d in self.out):
            return  # not answered: the count is the placeholder's, RB001 says it all
        line = q.answer_span.start if q else None
        span = f"lines {q.answer_span.start}–{q.answer_span.end}" if q else "its answer"
        whose = "" if official_count else " (our count: the official script stops before counting)"
        if wr and words < wr.min:
            short = wr.min - words
            self.out.append(make("RB010", n, line,
                f"{short} words short: {words} words, needs {_range_text(wr, 'words')}{whose}",
                f"Add at least {short} words to the answer of question {n} ({span})."))  # fmt: skip
        elif wr and words > wr.max:
            over = words - wr.max
            self.out.append(make("RB011", n, line,
                f"{over} words over: {words} words, allows {_range_text(wr, 'words')}{whose}",
                f"Cut at least {over} words from the answer of question {n} ({span}); code and links count as words."))  # fmt: skip
        if ir and imgs < ir.min:
            self.out.append(make("RB012", n, line,
                f"{ir.min - imgs} image{'s' if ir.min - imgs > 1 else ''} short: {imgs}, needs {_range_text(ir, 'images')}{whose}",
                f"Add the screenshot to `{self.dir}/figures/` and link it in the answer as `![description](figures/<name>.png)`, on one line."))  # fmt: skip
        elif ir and imgs > ir.max:
            self.out.append(make("RB013", n, line,
                f"{imgs - ir.max} image{'s' if imgs - ir.max > 1 else ''} over: {imgs}, allows {_range_text(ir, 'images')}{whose}",
                f"Keep {ir.max} image link{'s' if ir.max > 1 else ''} in question {n}; remove the others or combine them into one figure."))  # fmt: skip

    def cut_short(self, qr: official.QuestionResult, q: Question, wr: Range | None) -> None:
        """`###`/`##` inside an answer, or a section heading in the middle of one: the official count stops."""
        assert qr.answer.cut_at is not None
        cut_line = self.line_at(qr.answer.cut_at)
        if cut_line < q.answer_span.start:
            return
        if cut_line <= q.span.end:
            full_words = len(q.answer.split())
        else:
            lost = self.lost_words(cut_line)
            if not lost:
                return  # the next question or a template section: the normal end of an answer
            full_words = qr.words + lost
        if full_words <= qr.words:
            return
        marker = qr.answer.cut or "##"
        # An error when the cut is why the official check fails; a warning when it only hides words.
        changes = wr is not None and not qr.passed and wr.min <= full_words <= wr.max
        text_line = self.report.lines[cut_line - 1]
        self.out.append(make("RB041", q.number, cut_line,
            f"`{marker}` on line {cut_line} ({code(text_line, 60)}) cuts the official count short: it counts {qr.words} words, the whole answer has {full_words}",
            f"Replace the heading on line {cut_line} with **bold text**, or remove the `{marker}` (inside code too, e.g. write `# comment`).",
            "error" if changes else "warning"))  # fmt: skip

    def lost_words(self, heading_line: int) -> int:
        """Words after a section heading up to the next question that belong to no answer (quotes and
        headings, the template's own section intros, left out)."""
        starts = self.question_lines
        if heading_line in starts:
            return 0
        k = bisect.bisect_right(starts, heading_line)
        end = starts[k] - 1 if k < len(starts) else len(self.report.lines)
        words = 0
        for line in self.report.lines[heading_line:end]:
            stripped = line.lstrip()
            if stripped and not stripped.startswith((">", "#")):
                words += len(line.split())
        return words

    # ---------------------------------------------------------------- per question

    def placeholders(self, q: Question) -> None:
        if not q.placeholder_lines:
            return
        first = q.placeholder_lines[0]
        ph = self.report.lines[first - 1].strip()
        rest = q.answer.replace(ph, "", 1).strip()
        rule = self.rules.rule(q.number)
        if not rest and not q.quoted_answer:
            need = f" ({_range_text(rule.words, 'words')})" if rule and rule.words else ""
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
                f"The answer of question {q.number} is written inside the quoted question (line {q.marker_line})",
                f"Move the text after `Answer:` on line {q.marker_line} below the quote, on a new line without `>` after a blank line."))  # fmt: skip

    def prompt(self, q: Question) -> None:
        rule = self.rules.rule(q.number)
        if not rule or not rule.prompt or q.prompt_span is None or not q.prompt:
            return
        if any(prompt_matches(q.prompt, p) for p in (rule.prompt, *rule.variants)):
            return
        canonical = rule.prompt if len(rule.prompt) <= 120 else rule.prompt[:117] + "..."
        self.out.append(make("RB050", q.number, q.prompt_span.start,
            f"The quoted question {q.number} differs from the template ({self.rules.name})",
            f"Restore the template's wording on line {q.prompt_span.start}: **{canonical}**"))  # fmt: skip

    def expectations(self) -> None:
        for rule in self.rules.questions:
            q = self.by_number.get(rule.number)
            if q is None or rule.expect is None:
                continue
            answer = (q.answer or q.quoted_answer).strip()
            if not answer or q.placeholder_lines:
                continue
            line = q.answer_span.start
            shown = answer.splitlines()[0][:40]
            if rule.expect == "group_number" and not _GROUP.match(answer):
                self.out.append(make("RB060", q.number, line,
                    f"Question {q.number} should be the group number alone, found {code(shown, 40)}",
                    "Write only the group number you signed up with, e.g. `42`."))  # fmt: skip
            if rule.expect == "study_numbers" and not _STUDY.search(answer):
                self.out.append(make("RB061", q.number, line,
                    f"Question {q.number} should list study numbers like `s123456`, found {code(shown, 40)}",
                    "Write each member's study number, separated by commas: `s123456, s234567, s345678`."))  # fmt: skip

    def image_links(self) -> None:
        for link in images.links(self.report):
            q = self.question_at(link.line)
            if q is None:
                continue  # links in the intro/checklist are the template's own
            self.out.extend(images.diagnose(link, q, self.dir, self.files))
