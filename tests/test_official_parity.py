"""Official parity: every number in golden-<year>.json, and the official report.py itself as an oracle."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import REPORTS, report_files, require_shared

from bot.report import official
from bot.report.parse import normalise
from bot.report.rules import builtin

YEARS = {2024: "report-2024-11-21.py", 2025: "report-2025-01-24.py", 2026: "report-2026-01-09.py"}
# The golden file's count for one crash: the official script keeps 30 answers on this file (it drops 43
# characters, which cuts `### Question 1` out of the preamble), the golden says 31. The crash itself agrees;
# `test_golden_count_deviation` runs the official script's own splitting code to show which number is right.
GOLDEN_COUNT_DEVIATIONS = {(2024, "s246070__MLOps_project.md"): (31, 30)}


def _golden() -> list[tuple[int, dict[str, Any]]]:
    out = []
    for year in YEARS:
        path = REPORTS / f"golden-{year}.json"
        if path.is_file():
            out += [(year, e) for e in json.loads(path.read_text("utf-8"))]
    return out


def _source(name: str) -> Path:
    return next(p for p in report_files() if p.name == name)


def _ours(year: int, name: str) -> official.OfficialResult:
    text, bom, _ = normalise(_source(name).read_text("utf-8"))
    return official.run(("\ufeff" if bom else "") + text, builtin(f"dtu-mlops-{year}"))


def test_shared_reports_present(shared: Path) -> None:
    """Fails in CI (REPORT_BOT_REQUIRE_SHARED=1) when ../shared is missing, instead of silently testing nothing."""
    assert len(_golden()) == 3 * 49


@pytest.mark.parametrize(
    ("year", "entry"), _golden(), ids=lambda x: str(x) if isinstance(x, int) else x["file"]
)
def test_golden(year: int, entry: dict[str, Any]) -> None:
    require_shared()
    res = _ours(year, entry["file"])
    assert res.error == entry["error"] or (
        (year, entry["file"]) in GOLDEN_COUNT_DEVIATIONS and res.error and entry["error"]
    )
    expected_answers = GOLDEN_COUNT_DEVIATIONS.get(
        (year, entry["file"]), (entry["answers"], entry["answers"])
    )[1]
    assert res.answers == expected_answers
    if entry["error"] is not None:
        assert res.questions is None and res.passed is None
        return
    assert res.passed == entry["passed"]
    assert res.questions is not None
    got = [
        {
            "question": q.number,
            "words": q.words,
            "images": q.images,
            "passed": q.passed,
            "failed": list(q.failed),
        }
        for q in res.questions
    ]
    assert got == entry["questions"]


def test_golden_count_deviation() -> None:
    """The official splitting code, run on the file: 30 answers, not the golden's 31."""
    require_shared()
    year, name = 2024, "s246070__MLOps_project.md"
    text = _source(name).read_text("utf-8")[43:]
    answers = []
    per_question = text.split("Answer:")
    for q in per_question:
        if "###" in q:
            q = q.split("###")[0]
            if "##" in q:
                q = q.split("##")[0]
            answers.append(q)
    answers.append(per_question[-1])
    answers = answers[1:]
    assert len(answers) == GOLDEN_COUNT_DEVIATIONS[(year, name)][1] == _ours(year, name).answers


# --------------------------------------------------------------------------- the official script as oracle


def _load_official(year: int) -> Any:
    path = REPORTS / "official" / YEARS[year]
    spec = importlib.util.spec_from_file_location(f"official_report_{year}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # test oracle only: the bot never runs a report.py
    return module


_WARN = re.compile(
    r"Question (\d+) failed check\. Expected number of (words|screenshots) to be between \d+ and \d+ but got (\d+)"
)


def _run_official(year: int, readme: str, tmp_path: Path) -> tuple[str | None, dict[int, dict[str, int]]]:
    """Run the official `check` in-process on `readme`; returns (error, {question: {words|images: count}})."""
    pytest.importorskip("markdown")
    module = _load_official(year)
    (tmp_path / "README.md").write_bytes(readme.encode("utf-8"))
    messages: list[str] = []
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        if year == 2024:
            fn = module.check.callback  # a click command
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    fn()
                    error = None
                except ValueError as exc:
                    error = str(exc)
            messages = [str(w.message) for w in caught]
        else:
            from loguru import logger

            sink = logger.add(lambda m: messages.append(str(m)), level="WARNING")
            try:
                with contextlib.redirect_stderr(open(os.devnull, "w")):
                    module.check()
                error = None
            except (ValueError, IndexError) as exc:
                error = str(exc)
            finally:
                logger.remove(sink)
    finally:
        os.chdir(cwd)
    failed: dict[int, dict[str, int]] = {}
    for m in messages:
        for q, what, n in _WARN.findall(m):
            failed.setdefault(int(q), {})["words" if what == "words" else "images"] = int(n)
    return error, failed


@pytest.mark.parametrize("year", list(YEARS))
@pytest.mark.parametrize("path", report_files(), ids=lambda p: p.name)
def test_official_script_agrees(year: int, path: Path, tmp_path: Path) -> None:
    """Our verdict equals what the real official script logs, question by question."""
    require_shared()
    from loguru import logger

    logger.remove()
    raw = path.read_text("utf-8")
    error, failed = _run_official(year, raw, tmp_path)
    res = _ours(year, path.name)
    assert (res.error is None) == (error is None), (res.error, error)
    if error is not None:
        return
    assert res.questions is not None
    ours = {
        q.number: {k: (q.words if k == "words" else q.images) for k in q.failed}
        for q in res.questions
        if q.failed
    }
    assert ours == failed
