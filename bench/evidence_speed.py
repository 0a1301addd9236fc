"""What holding the checklist against the repository adds to a check, side by side in one run.

    .venv/bin/python bench/evidence_speed.py [--runs 9] [--files 2000,20000,100000]

For the corpus report with the most ticked items and made-up repositories of N files (GitHub lists at most
100,000 in one tree), prints the median time of `evidence.to_read` + `check(..., contents=...)` against
`check` alone (both without the hand-in comparison, the dearer part a check has anyway), and their ratio.
The target: well under the check's own time for a course-sized repository (2,000 files), and linear in N.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = Path(os.environ.get("REPORT_BOT_SHARED", ROOT.parent / "shared")) / "reports"
sys.path.insert(0, str(ROOT))

from bot.report import evidence  # noqa: E402
from bot.report.check import check  # noqa: E402
from bot.report.parse import parse  # noqa: E402
from bot.report.rules import resolve  # noqa: E402


def repository(n: int) -> list[str]:
    """N paths shaped like a group's repository: code, tests, configs, data files, figures."""
    kinds = ["src/project/mod{k}.py", "tests/unit/test_{k}.py", "configs/exp/{k}.yaml", "data/raw/{k}.csv",
             "reports/figures/{k}.png", "notebooks/{k}/analysis.ipynb", "outputs/2026-01-{k}/log.txt"]  # fmt: skip
    return [kinds[k % len(kinds)].format(k=k) for k in range(n)]


def median(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--files", default="2000,20000,100000")
    args = ap.parse_args()
    reports = sorted((REPORTS / "corpus").glob("*.md"))
    path = max(reports, key=lambda p: sum(i.ticked for i in parse(p.read_text("utf-8")).checklist))
    raw = path.read_text("utf-8")
    report = parse(raw)
    rules, _ = resolve("auto", report)
    ticked = sum(i.ticked for i in report.checklist)
    print(f"{path.name}: {ticked} ticked items, rule set {rules.name}")
    print(f"{'files':>8} {'check alone':>12} {'with evidence':>14} {'ratio':>6}")
    for n in (int(x) for x in args.files.split(",")):
        files = repository(n)

        def alone(files: list[str] = files) -> None:
            check(report, rules, files, handin=False)

        def held(files: list[str] = files) -> None:
            wanted = evidence.to_read(report, rules, files)
            check(report, rules, files, handin=False, contents=dict.fromkeys(wanted, "import torch\n"))

        a, b = median(alone, args.runs), median(held, args.runs)
        print(f"{n:>8} {a * 1000:>10.1f} ms {b * 1000:>12.1f} ms {b / a:>6.2f}")


if __name__ == "__main__":
    main()
