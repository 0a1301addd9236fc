"""The README's examples are the program's real output: the pinned issue of seed report 000 (as
`report-bot check --format markdown` prints it) and the terminal output of `report-bot check`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, require_shared

from bot.cli.main import main

README = (ROOT / "README.md").read_text("utf-8")


def seed_checkout(tmp_path: Path) -> Path:
    """Seed 000 as `reports/README.md` of a folder without its figures (and no git)."""
    shared = require_shared()
    (tmp_path / "reports").mkdir()
    report = tmp_path / "reports" / "README.md"
    shutil.copy(next((shared / "reports" / "seeds").glob("000_*.md")), report)
    return report


def output(report: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    main(["check", str(report), *args])
    return capsys.readouterr().out.splitlines()


def test_the_pinned_issue_example_is_seed_000s_real_reply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    real = set(output(seed_checkout(tmp_path), capsys, "--format", "markdown", "--commit", "3f2c9d1"))
    section = README.split("## What a group sees", 1)[1].split("\n\n(That is seed report", 1)[0]
    quoted = [
        line[2:] if line.startswith("> ") else line[1:]
        for line in section.splitlines()
        if line.startswith(">")
    ]
    shown = [line for line in quoted if line.strip() and "…" not in line]
    assert len(shown) > 10
    missing = [line for line in shown if line.rstrip() not in {r.rstrip() for r in real}]
    assert missing == [], "README lines that are not in the real reply"


def test_the_terminal_example_is_the_real_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seed_checkout(tmp_path)
    real = output(Path("reports/README.md"), capsys)
    block = README.split("```console\n$ report-bot check reports/README.md\n", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line.strip() and line.strip() != "..."]
    assert [line for line in shown if line not in real] == []
    assert re.match(r"rule set: ", real[0]) and shown[0] == real[0] and shown[-1] == real[-1]
