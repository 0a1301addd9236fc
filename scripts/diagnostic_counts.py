"""Diagnostics per code over every shared report (../shared/reports/seeds and corpus).

    .venv/bin/python scripts/diagnostic_counts.py [--cli] [--json]

By default each report is checked in-process with the repository's figures from `corpus/manifest.json` (the
seeds have none), so image links are looked up as the bot would; `--cli` instead runs
`report-bot check --format json` on each file (its images are then whatever lies beside the shared reports).
Prints one row per code and the total, and every report that raised (exit code other than 0/1).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = Path(os.environ.get("REPORT_BOT_SHARED", ROOT.parent / "shared")) / "reports"
sys.path.insert(0, str(ROOT))


def reports() -> list[Path]:
    return sorted(p for d in ("seeds", "corpus") for p in (REPORTS / d).glob("*.md"))


def figures() -> dict[str, list[str]]:
    manifest = json.loads((REPORTS / "corpus" / "manifest.json").read_text("utf-8"))
    return {m["file"]: m.get("figures", []) for m in manifest}


def in_process(path: Path, files: dict[str, list[str]]) -> list[dict[str, object]]:
    from bot.report.check import check
    from bot.report.rules import detect_year

    raw = path.read_text("utf-8")
    rules, reason = detect_year(raw)
    return [d.to_json() for d in check(raw, rules, files.get(path.name, []), "reports", reason).diagnostics]


def by_cli(path: Path) -> list[dict[str, object]]:
    exe = ROOT / ".venv" / "bin" / "report-bot"
    run = subprocess.run([str(exe), "check", "--format", "json", str(path)], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        raise RuntimeError(f"exit {run.returncode}: {run.stderr.strip()[-500:]}")
    return list(json.loads(run.stdout)["diagnostics"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", action="store_true", help="run `report-bot check --format json` per file")
    ap.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = ap.parse_args()
    files = figures()
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    failed: list[str] = []
    for path in reports():
        try:
            diags = by_cli(path) if args.cli else in_process(path, files)
        except Exception as exc:
            failed.append(f"{path.name}: {exc!r}")
            continue
        for d in diags:
            counts[str(d["code"])] += 1
            names[str(d["code"])] = str(d["name"])
    if args.json:
        print(json.dumps({"counts": dict(sorted(counts.items())), "failed": failed}, indent=1))
    else:
        print(f"{len(reports())} reports, {'CLI' if args.cli else 'in-process with manifest figures'}")
        print("| code | name | count |\n|---|---|---|")
        for c in sorted(counts):
            print(f"| {c} | {names[c]} | {counts[c]} |")
        print(f"| | total | {sum(counts.values())} |")
        for f in failed:
            print("EXCEPTION", f)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
