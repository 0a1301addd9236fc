"""How fast `report-bot check` is, side by side with the official `python report.py check` (same run, same file).

    .venv/bin/python bench/check_speed.py [--runs 15]

Prints the median in-process check time (without and with the hand-in comparison) of the largest report in ../shared/reports and the median wall time of
whole processes (ours and the official script's, interleaved so that machine noise hits both alike), and their
ratio. Targets: under 2 ms in-process; a whole `report-bot check` under half of the official script's time.
The official script runs here only as the baseline to compare with (never in the bot).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = Path(os.environ.get("REPORT_BOT_SHARED", ROOT.parent / "shared")) / "reports"
sys.path.insert(0, str(ROOT))

from bot.report.check import check  # noqa: E402
from bot.report.rules import detect_year  # noqa: E402


def largest() -> Path:
    files = [p for d in ("seeds", "corpus") for p in (REPORTS / d).glob("*.md")]
    return max(files, key=lambda p: p.stat().st_size)


def in_process(raw: str, files: list[str], runs: int, *, handin: bool = False) -> float:
    """Median time of one `check` of `raw`; with `handin`, the hand-in comparison's cache is emptied before
    each run (the bot checks each push's text once)."""
    from bot.report import handin_diff

    rules, _ = detect_year(raw)
    check(raw, rules, files, handin=handin)  # warm up
    times = []
    for _ in range(runs):
        handin_diff._cache.clear()
        t = time.perf_counter()
        check(raw, rules, files, handin=handin)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def official_in_process(raw: str, script: Path, runs: int) -> float:
    """The official script's own `check()` called in-process (reading README.md from a temporary folder)."""
    import importlib.util
    import warnings

    from loguru import logger

    logger.remove()
    spec = importlib.util.spec_from_file_location("official_report", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module.check, "callback", module.check)  # click command (2024) or plain function
    cwd = os.getcwd()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "README.md").write_text(raw, "utf-8")
        os.chdir(tmp)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for _ in range(runs):
                    t = time.perf_counter()
                    with contextlib.suppress(ValueError):
                        fn()
                    times.append(time.perf_counter() - t)
        finally:
            os.chdir(cwd)
    return statistics.median(times)


def wall(cmd: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    path = largest()
    raw = path.read_text("utf-8")
    print(f"report: {path.name} ({len(raw):,} characters)")
    manifest = {e["file"]: e for e in json.loads((REPORTS / "corpus" / "manifest.json").read_text("utf-8"))}
    files = manifest.get(path.name, {}).get("figures", [])  # the repository's real image files at that commit
    rules, _ = detect_year(raw)
    year = rules.name.rsplit("-", 1)[1]
    script = {"2024": "report-2024-11-21.py", "2025": "report-2025-01-24.py", "2026": "report-2026-01-09.py"}[
        year
    ]
    n = max(args.runs * 20, 200)
    ms = in_process(raw, files, n) * 1000
    with_handin = in_process(raw, files, max(args.runs, 10), handin=True) * 1000
    base = official_in_process(raw, REPORTS / "official" / script, n) * 1000
    print(f"in-process check (parse + official + diagnostics): median {ms:.2f} ms (target < 2 ms)")
    print(f"  with the hand-in comparison (two renderings, RB07x): median {with_handin:.1f} ms")
    print(
        f"official check() in-process on the same file: median {base:.2f} ms; ratio ours / official {ms / base:.2f}"
    )
    exe = Path(sys.executable).parent / "report-bot"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "reports"
        work.mkdir()
        shutil.copy(path, work / "README.md")
        shutil.copy(REPORTS / "official" / script, work / "report.py")
        env_cmds = {
            "report-bot check --no-handin": [
                str(exe),
                "check",
                "README.md",
                "--rules",
                rules.name,
                "--no-handin",
            ],
            "report-bot check": [str(exe), "check", "README.md", "--rules", rules.name],
            "official report.py check": [sys.executable, "report.py", "check"],
        }
        for cmd in env_cmds.values():  # warm the file cache and .pyc files
            wall(cmd, work)
        results: dict[str, list[float]] = {k: [] for k in env_cmds}
        for _ in range(args.runs):
            for name, cmd in env_cmds.items():
                results[name].append(wall(cmd, work))
    theirs = statistics.median(results["official report.py check"]) * 1000
    print(f"whole process, median of {args.runs}: official report.py check {theirs:.0f} ms")
    for name in ("report-bot check --no-handin", "report-bot check"):
        ours = statistics.median(results[name]) * 1000
        print(f"  {name}: {ours:.0f} ms, ratio to the official {ours / theirs:.2f} (target < 0.50)")


if __name__ == "__main__":
    main()
