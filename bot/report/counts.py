"""Word and image counts against the rule set, root cause first: a `###`/`##` that stops the official count,
or the placeholder left beside an answer, is named with the count the answer will have once it is fixed."""

from __future__ import annotations

import bisect

from bot.report import official
from bot.report.diagnostics import Diagnostic, code, make
from bot.report.official import OfficialResult, QuestionResult
from bot.report.parse import Question, Report
from bot.report.rules import Range, RuleSet


def plural(n: int, unit: str) -> str:
    """`1 word`, `2 words`."""
    return f"{n} {unit}{'s' * (n != 1)}"


def range_text(r: Range, unit: str) -> str:
    if r.min != r.max:
        return f"{r.min}–{r.max} {unit}s"
    return f"exactly {plural(r.min, unit)}"


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers))
    return f"line{'s' * (len(numbers) != 1)} {shown}"


class Counts:
    """Mixed into the checker: it provides `report`, `rules`, `result`, `by_number`, `question_lines`,
    `out`, `line_at` and `first_text_line`."""

    report: Report
    rules: RuleSet
    result: OfficialResult
    by_number: dict[int, Question]
    question_lines: list[int]
    out: list[Diagnostic]

    def line_at(self, offset: int) -> int:
        raise NotImplementedError

    def first_text_line(self, q: Question) -> int:
        raise NotImplementedError

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
            cut: tuple[list[int], int] | None = None
            if qr.answer.cut and found is not None:
                cut = self.cut_short(qr, found)
            before = len(self.out)
            self.ranges(qr.number, found, qr.words, qr.images, rule.words, rule.images, True, cut, qr)
            said = any(d.code in ("RB010", "RB011") for d in self.out[before:])
            if cut is not None and found is not None and not said:
                self.cut_warning(qr, found, cut, rule.words)

    def placeholder_words(self, q: Question | None, qr: QuestionResult | None) -> tuple[int, int | None]:
        """Words of the placeholder left beside an answer (0 when none, or when it is the whole answer)."""
        if (
            q is None
            or not q.placeholder_lines
            or any(d.code == "RB001" and d.question == q.number for d in self.out)
        ):
            return 0, None
        first = q.placeholder_lines[0]
        text = qr.answer.text if qr is not None else q.answer
        ph = self.report.lines[first - 1].strip()
        return (len(ph.split()), first) if ph and ph in text else (0, None)

    def ranges(
        self,
        n: int,
        q: Question | None,
        words: int,
        imgs: int,
        wr: Range | None,
        ir: Range | None,
        official_count: bool,
        cut: tuple[list[int], int] | None = None,
        qr: QuestionResult | None = None,
    ) -> None:
        if any(d.code == "RB001" and d.question == n for d in self.out):
            return  # not answered: the count is the placeholder's, RB001 says it all
        line = q.answer_span.start if q else None
        span = f"lines {q.answer_span.start}–{q.answer_span.end}" if q else "its answer"
        whose = "" if official_count else " (our count: the official script stops before counting)"
        ph, ph_line = self.placeholder_words(q, qr)
        causes: list[str] = []
        fixes: list[str] = []
        true = words
        if cut is not None:
            heads, true = cut
            many = len(heads) != 1
            causes.append(
                f"the heading{'s' * many} on {_lines(heads)} stop{'' if many else 's'} the official count at {plural(words, 'word')}"
            )
            fixes.append(
                f"Replace the heading{'s' * many} on {_lines(heads)} with **bold text** (or remove the `#`s)"
            )
        if ph:
            true -= ph
            causes.append(f"the count includes the placeholder's {ph} words")
            fixes.append(f"delete the placeholder on line {ph_line}")
        if wr and (words < wr.min or (ph and true < wr.min) or (words > wr.max)):
            code_ = "RB010" if words < wr.min or true < wr.min else "RB011"
            if true < wr.min:
                short = wr.min - true
                head = f"{plural(short, 'word')} short: {true} words{' once that is fixed' if causes else ''}, needs {range_text(wr, 'word')}"
                fixes.append(f"add at least {plural(short, 'word')} to the answer of question {n} ({span})")
            elif true > wr.max:
                over = true - wr.max
                head = f"{plural(over, 'word')} over: {true} words{' once that is fixed' if causes else ''}, allows {range_text(wr, 'word')}"
                fixes.append(
                    f"cut at least {plural(over, 'word')} from the answer of question {n} ({span}); code and links count as words"
                )
            else:
                head = f"{true} words once that is fixed, which passes ({range_text(wr, 'word')})"
                fixes.append("no words need adding")
            hint = "; ".join(fixes)
            if causes:
                cause = "; ".join(causes)
                head = f"{cause[0].upper()}{cause[1:]}: {head}"
            self.out.append(make(code_, n, line, head + whose, hint[0].upper() + hint[1:] + "."))
        if ir and imgs < ir.min:
            self.out.append(make("RB012", n, line,
                f"{plural(ir.min - imgs, 'image')} short: {imgs}, needs {range_text(ir, 'image')}{whose}",
                f"Add the screenshot to `{getattr(self, 'dir', 'reports')}/figures/` and link it in the answer as `![description](figures/<name>.png)`, on one line."))  # fmt: skip
        elif ir and imgs > ir.max:
            self.out.append(make("RB013", n, line,
                f"{plural(imgs - ir.max, 'image')} over: {imgs}, allows {range_text(ir, 'image')}{whose}",
                f"Keep {plural(ir.max, 'image link')} in question {n}; remove the others or combine them into one figure."))  # fmt: skip

    def cut_short(self, qr: QuestionResult, q: Question) -> tuple[list[int], int] | None:
        """`###`/`##` inside an answer, or a section heading in the middle of one, stops the official count:
        the lines of every such heading and the words the answer has without them."""
        assert qr.answer.cut_at is not None
        cut_line = self.line_at(qr.answer.cut_at)
        if cut_line < q.answer_span.start:
            return None
        if cut_line <= q.span.end:
            lines = self.report.lines
            heads = [k for k in range(cut_line, q.span.end + 1) if "##" in lines[k - 1]]
            full = sum(1 for w in q.answer.split() if w.strip("#"))
        else:
            lost = self.lost_words(cut_line)
            if not lost:
                return None  # the next question or a template section: the normal end of an answer
            heads, full = [cut_line], qr.words + lost
        if full <= qr.words:
            return None
        return heads, full

    def cut_warning(
        self, qr: QuestionResult, q: Question, cut: tuple[list[int], int], wr: Range | None
    ) -> None:
        """The cut hides words but the count still passes: a warning, with what the count will be."""
        heads, full = cut
        marker = qr.answer.cut or "##"
        first = heads[0]
        text_line = self.report.lines[first - 1]
        many = len(heads) != 1
        after = ""
        if wr is not None and full > wr.max:
            after = f"; without {'them' if many else 'it'} it would be {plural(full - wr.max, 'word')} over ({range_text(wr, 'word')})"
        self.out.append(make("RB041", q.number, first,
            f"`{marker}` on line {first} ({code(text_line, 60)}) cuts the official count short: it counts {qr.words} words, the whole answer has {full}{after}",
            f"Replace the heading{'s' * many} on {_lines(heads)} with **bold text**, or remove the `#`s (inside code too, e.g. write `# comment`)."))  # fmt: skip

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
