"""`report-bot worker`: refuses SQLite with one line (exit 2), and names what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_BOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_worker_refuses_sqlite_with_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "worker", REPORT_BOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "report-bot worker: error: needs PostgreSQL (REPORT_BOT_DATABASE_URL=postgresql://...); with SQLite, "
        "`report-bot serve` runs the jobs itself"
    ]
    assert not (tmp_path / "bot.db").exists()  # refused before opening anything


def test_worker_names_the_missing_app_settings(tmp_path: Path) -> None:
    done = _run(tmp_path, "worker", REPORT_BOT_DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    assert done.returncode == 2
    assert "REPORT_BOT_APP_ID" in done.stderr and "WEBHOOK_SECRET" not in done.stderr


def test_help_lists_worker_and_with_worker(tmp_path: Path) -> None:
    assert "worker" in _run(tmp_path, "--help").stdout
    assert "--with-worker" in _run(tmp_path, "serve", "--help").stdout
    assert "--concurrency" in _run(tmp_path, "worker", "--help").stdout
