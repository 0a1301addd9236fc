"""Rule sets: which questions a report has and the constraints of each.

A rule set comes from a built-in YAML file (`rules/*.yml`), from a YAML text of a course's own, or from a
course's `report.py`, whose constraint table is read with `ast` and never executed. `resolve` implements
`--rules auto|NAME|FILE` given texts the caller has read (this module does no I/O but reading the package's
own built-in rule files).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Literal

from bot.report.globs import Glob, GlobError, compile_glob
from bot.report.report_py import ReportPyError, ScriptRules, read_report_py

if TYPE_CHECKING:
    from bot.report.parse import Report

BUILTIN_DIR = os.path.join(os.path.dirname(__file__), "rules")
BUILTIN = ("dtu-mlops-2026", "dtu-mlops-2025", "dtu-mlops-2024")
DEFAULT_ERROR = "Number of answers are different from the expected {n}. Have you changed the template?"


class RuleSetError(ValueError):
    """A rule set that cannot be used; the message names the source, the key and what was expected."""


@dataclass(frozen=True)
class Range:
    min: int
    max: int

    def __str__(self) -> str:
        return f"{self.min}–{self.max}" if self.min != self.max else str(self.min)


@dataclass(frozen=True)
class QuestionRule:
    number: int
    topic: str
    prompt: str | None = None
    words: Range | None = None
    images: Range | None = None
    expect: Literal["group_number", "study_numbers"] | None = None
    variants: tuple[str, ...] = ()
    """Other published wordings of the prompt (the template changed during a course year)."""


@dataclass(frozen=True)
class Official:
    """How the course's official script splits the file (its quirks, reproduced exactly)."""

    skip_chars: int = 0
    """Characters dropped from the start of the file before splitting (43 in the 2023/2024 script)."""
    drop_preamble: Literal["pop", "slice"] = "pop"
    """`pop`: drop the text before the first `Answer:` (2025+); `slice`: drop the first kept answer (2024)."""
    error: str = ""


@dataclass(frozen=True)
class Evidence:
    """One way the repository can back a checklist item: a file matching one of `files`, and when `text` is
    given, holding one of those literal strings (case-sensitive)."""

    files: tuple[Glob, ...]
    text: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecklistRule:
    """A checklist item of the template (`item`: the start of its text, compared word by word) and what in
    the repository backs it; no `evidence`: a file cannot tell ("not checkable")."""

    item: str
    evidence: tuple[Evidence, ...] = ()
    absent: str = ""
    """What is missing, for the message: "no Dockerfile is in the repository"."""
    fix: str = ""
    """What to commit, for the hint: "a Dockerfile"."""


@dataclass(frozen=True)
class RuleSet:
    name: str
    description: str
    official: Official
    questions: tuple[QuestionRule, ...]
    source: str = "built-in"
    checklist: tuple[ChecklistRule, ...] = ()

    @property
    def total(self) -> int:
        return len(self.questions)

    def rule(self, number: int) -> QuestionRule | None:
        if 1 <= number <= len(self.questions):
            return self.questions[number - 1]
        return None


# --------------------------------------------------------------------------- YAML


def _expect(cond: bool, source: str, key: str, what: str, got: Any) -> None:
    if not cond:
        raise RuleSetError(f"{source}: {key}: expected {what}, got {got!r}")


def _range(value: Any, source: str, key: str) -> Range | None:
    if value is None:
        return None
    _expect(isinstance(value, dict), source, key, "a mapping with min and max", value)
    unknown = set(value) - {"min", "max"}
    _expect(not unknown, source, key, "only the keys min and max", sorted(unknown))
    lo, hi = value.get("min", 0), value.get("max")
    for k, v in (("min", lo), ("max", hi)):
        ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
        _expect(ok, source, f"{key}.{k}", "a whole number >= 0", v)
    _expect(lo <= hi, source, key, "min <= max", f"min {lo} > max {hi}")
    return Range(lo, hi)


def from_yaml(text: str, source: str) -> RuleSet:
    """Parse and validate a rule set from YAML text; `source` names it in errors (a path)."""
    import yaml  # imported here: `report-bot check` with a built-in rule set never needs it (startup time)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 20x faster
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise RuleSetError(f"{source}:{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return from_mapping(data, source)


def from_mapping(data: Any, source: str) -> RuleSet:
    _expect(
        isinstance(data, dict),
        source,
        "(top level)",
        "a mapping with name and questions",
        type(data).__name__,
    )
    unknown = set(data) - {"name", "description", "official", "questions", "checklist"}
    _expect(not unknown, source, "(top level)", "only name, description, official, questions, checklist",
            sorted(unknown))  # fmt: skip
    name = data.get("name")
    _expect(isinstance(name, str) and bool(name.strip()), source, "name", "a non-empty string", name)
    questions = data.get("questions")
    _expect(
        isinstance(questions, list) and bool(questions), source, "questions", "a non-empty list", questions
    )
    rules: list[QuestionRule] = []
    for i, q in enumerate(questions):
        key = f"questions[{i}]"
        _expect(isinstance(q, dict), source, key, "a mapping", q)
        extra = set(q) - {"number", "topic", "prompt", "words", "images", "expect"}
        _expect(not extra, source, key, "only number, topic, prompt, words, images, expect", sorted(extra))
        _expect(
            q.get("number") == i + 1,
            source,
            f"{key}.number",
            f"{i + 1} (questions numbered 1, 2, ...)",
            q.get("number"),
        )
        topic = q.get("topic", f"Question {i + 1}")
        _expect(isinstance(topic, str), source, f"{key}.topic", "a string", topic)
        prompt = q.get("prompt")
        prompts = prompt if isinstance(prompt, list) else [prompt] if prompt is not None else []
        _expect(all(isinstance(p, str) for p in prompts) and (prompt is None or bool(prompts)), source, f"{key}.prompt",
                "a string or a list of strings (the first is the canonical wording)", prompt)  # fmt: skip
        expect = q.get("expect")
        _expect(expect in (None, "group_number", "study_numbers"), source, f"{key}.expect",
                "group_number or study_numbers", expect)  # fmt: skip
        rules.append(
            QuestionRule(
                number=i + 1,
                topic=topic,
                prompt=prompts[0] if prompts else None,
                variants=tuple(prompts[1:]),
                words=_range(q.get("words"), source, f"{key}.words"),
                images=_range(q.get("images"), source, f"{key}.images"),
                expect=expect,
            )
        )
    off = data.get("official") or {}
    _expect(isinstance(off, dict), source, "official", "a mapping", off)
    extra = set(off) - {"skip_chars", "drop_preamble", "error"}
    _expect(not extra, source, "official", "only skip_chars, drop_preamble, error", sorted(extra))
    skip = off.get("skip_chars", 0)
    _expect(isinstance(skip, int) and not isinstance(skip, bool) and skip >= 0, source, "official.skip_chars",
            "a whole number >= 0", skip)  # fmt: skip
    drop = off.get("drop_preamble", "pop")
    _expect(drop in ("pop", "slice"), source, "official.drop_preamble", "pop or slice", drop)
    error = off.get("error", DEFAULT_ERROR.format(n=len(rules)))
    _expect(isinstance(error, str), source, "official.error", "a string", error)
    description = data.get("description", "")
    _expect(isinstance(description, str), source, "description", "a string", description)
    checklist = _checklist(data.get("checklist") or [], source)
    return RuleSet(name.strip(), description, Official(skip, drop, error), tuple(rules), source, checklist)


MAX_CHECKLIST = 200
MAX_TEXT = 200


def _strings(value: Any, source: str, key: str, limit: int) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    ok = bool(items) and len(items) <= 50 and all(isinstance(v, str) and 0 < len(v) <= limit for v in items)
    _expect(ok, source, key, f"a string or a list of at most 50 strings (1–{limit} characters)", value)
    return tuple(items)


def _evidence(value: Any, source: str, key: str) -> Evidence:
    _expect(isinstance(value, dict), source, key, "a mapping with files (and text)", value)
    extra = set(value) - {"files", "text"}
    _expect(not extra, source, key, "only files and text", sorted(extra))
    globs = []
    for pattern in _strings(value.get("files"), source, f"{key}.files", 1000):
        try:
            globs.append(compile_glob(pattern))
        except GlobError as exc:
            raise RuleSetError(f"{source}: {key}.files: {pattern!r}: {exc}") from None
    text = _strings(value["text"], source, f"{key}.text", MAX_TEXT) if "text" in value else ()
    return Evidence(tuple(globs), text)


def _checklist(value: Any, source: str) -> tuple[ChecklistRule, ...]:
    """`checklist:` — items with the evidence that backs them (see `bot/report/rules/dtu-mlops-2026.yml`)."""
    ok = isinstance(value, list) and len(value) <= MAX_CHECKLIST
    _expect(ok, source, "checklist", f"a list of at most {MAX_CHECKLIST} items", value)
    out = []
    for i, entry in enumerate(value):
        key = f"checklist[{i}]"
        _expect(isinstance(entry, dict), source, key, "a mapping with item (and evidence)", entry)
        extra = set(entry) - {"item", "evidence", "absent", "fix"}
        _expect(not extra, source, key, "only item, evidence, absent, fix", sorted(extra))
        item = entry.get("item")
        _expect(isinstance(item, str) and bool(words(item)), source, f"{key}.item", "the item's text", item)
        raw = entry.get("evidence") or []
        raw = raw if isinstance(raw, list) else [raw]
        _expect(len(raw) <= 20, source, f"{key}.evidence", "at most 20 alternatives", len(raw))
        evidence = tuple(_evidence(e, source, f"{key}.evidence[{k}]") for k, e in enumerate(raw))
        texts = {}
        for k in ("absent", "fix"):
            texts[k] = entry.get(k, "")
            _expect(isinstance(texts[k], str) and len(texts[k]) <= 300, source, f"{key}.{k}",
                    "a sentence of at most 300 characters", texts[k])  # fmt: skip
        out.append(ChecklistRule(item.strip(), evidence, texts["absent"], texts["fix"]))
    return tuple(out)


@cache
def builtin(name: str) -> RuleSet:
    """A built-in rule set. `rules/NAME.yml` is the source; `rules/NAME.json` is its compiled twin, loaded
    because the JSON parser starts much faster than YAML's (`python -m bot.report.rules` rewrites it; a test
    keeps the two equal)."""
    if name not in BUILTIN:
        raise RuleSetError(f"{name}: unknown rule set; built-in ones are {', '.join(BUILTIN)}")
    with open(os.path.join(BUILTIN_DIR, f"{name}.json"), encoding="utf-8") as f:
        return from_mapping(json.load(f), f"built-in {name}")


def compile_builtin() -> list[str]:
    """Rewrite every `rules/NAME.json` from `rules/NAME.yml`; returns the files written."""
    import yaml

    written = []
    for name in BUILTIN:
        with open(os.path.join(BUILTIN_DIR, f"{name}.yml"), encoding="utf-8") as f:
            data = yaml.safe_load(f)
        from_mapping(data, f"{name}.yml")  # refuse to compile an invalid rule set
        out = os.path.join(BUILTIN_DIR, f"{name}.json")
        with open(out, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write("\n")
        written.append(out)
    return written


# --------------------------------------------------------------------------- detection


def detect_year(report: str | Report) -> tuple[RuleSet, str]:
    """Best guess of the course year from the template's text (or its parsed Report); returns the rule set
    and why."""
    if isinstance(report, str):
        from bot.report.parse import parse

        report = parse(report)
    numbers = {q.number for q in report.questions}
    newest = builtin(BUILTIN[0])
    if numbers and max(numbers) <= 27 and not report.find(28):
        return builtin(
            "dtu-mlops-2024"
        ), f"the report has {max(numbers)} questions (the 27-question template)"
    q3 = report.find(3)
    q3_prompt = q3[0].prompt if q3 else ""
    if q3_prompt and prompt_matches(q3_prompt, newest.questions[2].prompt or ""):
        return newest, "question 3 has the 2026 wording"
    if "uv add typer markdown" in report.text:
        return newest, "the template mentions `uv add typer markdown` (added in January 2026)"
    return builtin("dtu-mlops-2025"), "31 questions with the 2025 wording"


_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=2048)  # bounded: it also sees students' prompts, on a long-running server
def words(text: str) -> tuple[str, ...]:
    """The words of a text, lowercase, without punctuation or Markdown emphasis."""
    return tuple(_WORD.findall(text.lower()))


_words = words


def prompt_matches(actual: str, canonical: str) -> bool:
    """Prompts compare equal ignoring case, punctuation, Markdown emphasis and spacing."""
    return _words(actual) == _words(canonical)


def _bounds(bounds: tuple[int, int] | None) -> Range | None:
    return None if bounds is None else Range(*bounds)


def from_script(script: ScriptRules, source: str) -> RuleSet:
    """The rule set of a course's `report.py`, keeping topics and canonical prompts from the built-in rule
    set of the same shape when there is one."""
    table = [(_bounds(w), _bounds(i)) for w, i in script.table]
    official = Official(script.skip_chars, script.drop_preamble, script.error)
    for name in BUILTIN:
        known = builtin(name)
        same = [(q.words, q.images) for q in known.questions] == table
        if same and known.official == official:
            return replace(known, source=source)
    template = next((builtin(n) for n in BUILTIN if builtin(n).total == len(table)), None)
    questions = []
    for i, (words, images) in enumerate(table, 1):
        base = template.questions[i - 1] if template else QuestionRule(i, f"Question {i}")
        questions.append(replace(base, words=words, images=images))
    checklist = template.checklist if template else ()
    return RuleSet("report.py", f"read from {source}", official, tuple(questions), source, checklist)


def from_report_py(text: str, source: str = "report.py") -> RuleSet:
    """The rule set a course's `report.py check` applies (read with `ast`, never run). Raises RuleSetError."""
    try:
        return from_script(read_report_py(text, source), source)
    except ReportPyError as exc:
        raise RuleSetError(str(exc)) from None


def resolve(
    spec: str,
    report: str | Report,
    *,
    report_py: str | None = None,
    report_py_source: str = "report.py",
    yaml_text: str | None = None,
) -> tuple[RuleSet, str]:
    """Pick the rule set for `spec` (`auto`, a built-in name, or a YAML file whose text is `yaml_text`) for
    `report` (its text, or its parsed Report).

    Returns the rule set and a sentence saying which one was picked and why.
    """
    if spec in BUILTIN:
        return builtin(spec), f"{spec} (asked for)"
    if spec != "auto":
        if yaml_text is None:
            raise RuleSetError(f"{spec}: not a built-in rule set ({', '.join(BUILTIN)}) and no such file")
        rules = from_yaml(yaml_text, spec)
        return rules, f"{rules.name} (from {spec})"
    if report_py is not None:
        try:
            rules = from_report_py(report_py, report_py_source)
        except RuleSetError as exc:
            guess, why = detect_year(report)
            return guess, f"{guess.name}: {report_py_source} could not be read ({exc}); {why}"
        return rules, f"{rules.name}: read from {report_py_source} beside the report"
    guess, why = detect_year(report)
    return guess, f"{guess.name}: {why}"


if __name__ == "__main__":  # pragma: no cover
    print("\n".join(compile_builtin()))
