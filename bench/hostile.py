"""Hostile reports, side by side in one run:

1. the check time of each pathological input (whole `check()` plus the comment) against the seed report's,
   each in a child process with a wall limit (an input still slower than the limit prints `> LIMIT`);
2. the acknowledgement latency of ordinary signed deliveries (10 concurrent clients) on an idle web process,
   and on one that keeps checking a hostile report in its check pool meanwhile (goal: p99 within 2x).

    .venv/bin/python bench/hostile.py [--limit 10] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _client import Server, db_url, percentile  # noqa: E402
from load import _signed  # noqa: E402

from bot.commands.grammar import parse_comment  # noqa: E402
from bot.report import feedback  # noqa: E402
from bot.report.check import check  # noqa: E402
from bot.report.rules import RuleSet, builtin  # noqa: E402

RULES = builtin("dtu-mlops-2026")


def _report(rules: RuleSet, answers: dict[int, str]) -> str:
    """A template-shaped report (every answer long enough), with `answers` replaced."""
    out = ["# Exam template", "", "## Group information", ""]
    for rule in rules.questions:
        words = rule.words.min if rule.words else 3
        text = answers.get(rule.number) or " ".join(f"w{i}" for i in range(words))
        out += [f"### Question {rule.number}", "", f"> **{rule.topic}**", ">", "> Answer:", "", text, ""]
    return "\n".join(out)


def _answer(n: int, text: str) -> Callable[[], str]:
    return lambda: _report(RULES, {n: text})


INPUTS: list[tuple[str, Callable[[], str]]] = [
    ("seed (template-shaped)", lambda: _report(RULES, {})),
    ('"![](" * 1500 (official regex)', _answer(14, "![](" * 1500)),
    ('"![](" * 3000 (official regex)', _answer(14, "![](" * 3000)),
    ('"# a" + " " * 2500 + "x" (_MARKS)', _answer(5, "# a" + " " * 2500 + "x")),
    ('"![" * 60000', _answer(5, "![" * 60000)),
    ("'![](a \"' * 20000", _answer(5, '![](a "' * 20000)),
    ('"<img " * 40000', _answer(5, "<img " * 40000)),
    ('q1 "1" + " " * 100000 + "x"', _answer(1, "1" + " " * 100_000 + "x")),
    (
        "80,000 ### Question N",
        lambda: _report(RULES, {}) + "".join(f"\n### Question {i}\n" for i in range(80000)),
    ),
]


def _timed_check(text: str, out: multiprocessing.SimpleQueue) -> None:  # type: ignore[type-arg]
    start = time.perf_counter()
    for _ in range(3):
        feedback.render(check(text, RULES, ["reports/figures/fig.png"]))
    out.put((time.perf_counter() - start) / 3)


def check_time(text: str, limit: float) -> float | None:
    ctx = multiprocessing.get_context("fork")
    out = ctx.SimpleQueue()
    proc = ctx.Process(target=_timed_check, args=(text, out))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return float(out.get())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    print(f"1. check time per input (whole check() + comment, median of 3; limit {args.limit:.0f} s)")
    seed = None
    for name, make in INPUTS:
        t = check_time(make(), args.limit)
        if seed is None:
            seed = t or 1e-9
        shown = f"> {args.limit:.0f} s" if t is None else f"{t * 1000:10.1f} ms"
        ratio = "" if t is None else f"{t / seed:8.1f}x the seed"
        print(f"   {name:38s} {shown:>14s} {ratio}")
    start = time.perf_counter()
    parse_comment("/report " + "<!--" * 16000)
    label = 'comment "/report " + "<!--" * 16000'
    print(f"   {label:38s} {(time.perf_counter() - start) * 1000:10.1f} ms")

    print(f"\n2. ack latency of signed deliveries, 10 concurrent clients, {args.seconds:.0f} s each")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, hostile in (("idle web process", False), ("while a hostile check runs", True)):
            server = Server(db_url(f"{tmp}/{int(hostile)}"), hostile=hostile)
            try:
                time.sleep(2 if hostile else 0)  # the check pool is busy before the measurement starts
                latencies, _ = asyncio.run(_signed(server.port, 10, args.seconds))
            finally:
                server.stop()
            rows.append((label, latencies))
    for label, lat in rows:
        print(
            f"   {label:30s} n={len(lat):6d} p50 {statistics.median(lat) * 1000:7.1f} ms "
            f"p99 {percentile(lat, 0.99) * 1000:7.1f} ms"
        )
    print(
        f"   p99 ratio hostile/idle: {percentile(rows[1][1], 0.99) / percentile(rows[0][1], 0.99):.2f} (goal: <= 2)"
    )


if __name__ == "__main__":
    main()
