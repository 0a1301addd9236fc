"""`report-bot serve` at start: one-line errors with exit 2 for what an operator can fix (database, log
level, private key, credentials GitHub refuses), and a useful INFO log of who the App is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from e2e_harness import BotServer, free_port, wait_until
from github_double import GitHubDouble
from github_double.fixtures import AppKey


def serve(tmp_path: Path, key: AppKey, api_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("REPORT_BOT_")}
    base.update(
        REPORT_BOT_APP_ID="1",
        REPORT_BOT_PRIVATE_KEY=key.private_pem,
        REPORT_BOT_WEBHOOK_SECRET="s",
        REPORT_BOT_GITHUB_API_URL=api_url,
        REPORT_BOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        REPORT_BOT_ARTIFACT_DIR=str(tmp_path / "artifacts"),
        PYTHONPATH=str(ROOT),
    )
    base.update(env)
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port())]
    return subprocess.run(cmd, cwd=tmp_path, env=base, capture_output=True, text=True, timeout=60)


def one_line_exit_2(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("report-bot serve: error: ")
    for word in words:
        assert word in lines[0]
    return lines[0]


CLOSED = "http://127.0.0.1:9"  # nothing listens: GitHub unreachable


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("nosuchdb://x", ["REPORT_BOT_DATABASE_URL", "nosuchdb"]),
        ("not a url at all", ["REPORT_BOT_DATABASE_URL"]),
        ("postgresql://postgres:hunter2@127.0.0.1:9/report", ["REPORT_BOT_DATABASE_URL", "cannot open"]),
    ],
)
def test_a_bad_or_unreachable_database_is_one_line(
    tmp_path: Path, app_key: AppKey, url: str, words: list[str]
) -> None:
    line = one_line_exit_2(serve(tmp_path, app_key, CLOSED, REPORT_BOT_DATABASE_URL=url), *words)
    assert "hunter2" not in line


@pytest.mark.postgres
def test_a_missing_postgres_database_is_one_line(tmp_path: Path, app_key: AppKey, postgres_url: str) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/report_bot_no_such_database"
    one_line_exit_2(
        serve(tmp_path, app_key, CLOSED, REPORT_BOT_DATABASE_URL=missing),
        "REPORT_BOT_DATABASE_URL",
        "report_bot_no_such_database",
    )


def test_an_unknown_log_level_is_one_line(tmp_path: Path, app_key: AppKey) -> None:
    one_line_exit_2(
        serve(tmp_path, app_key, CLOSED, REPORT_BOT_LOG_LEVEL="LOUD"), "REPORT_BOT_LOG_LEVEL", "LOUD"
    )


def test_a_private_key_that_does_not_parse_is_one_line(tmp_path: Path, app_key: AppKey) -> None:
    bad = "-----BEGIN RSA PRIVATE KEY-----\nMIIBroken\n-----END RSA PRIVATE KEY-----\n"
    one_line_exit_2(
        serve(tmp_path, app_key, CLOSED, REPORT_BOT_PRIVATE_KEY=bad), "private key", "does not parse"
    )


def test_credentials_github_refuses_stop_the_start(
    tmp_path: Path, app_key: AppKey, github_double: GitHubDouble
) -> None:
    done = serve(tmp_path, app_key, github_double.url, REPORT_BOT_APP_ID="999")
    one_line_exit_2(done, "GitHub refused the App's credentials", "REPORT_BOT_APP_ID")


def test_the_start_logs_the_app_its_installations_and_the_webhook_url(
    tmp_path: Path, app_key: AppKey, github_double: GitHubDouble
) -> None:
    with BotServer(github_double, app_key.private_pem, tmp_path) as bot:
        ping = {"zen": "Keep it logically awesome.", "hook_id": 4242, "hook": {"id": 4242}}
        assert bot.send("ping", ping, delivery="ping-delivery-1").status_code == 200
        wait_until(lambda: "ping-delivery-1" in bot.log.read_text())
        log = bot.log.read_text()
    assert "delivery ping-delivery-1: ping from hook 4242" in log
    assert "GitHub App report-bot (id 1)" in log
    assert "installed on 1 account(s): course-org (100)" in log
    assert f"webhook URL GitHub must send to: {bot.url}/webhook" in log
    assert "report-bot serve on http://127.0.0.1:" in log and "database sqlite:///" in log


def test_debug_keeps_our_modules_readable(tmp_path: Path, app_key: AppKey) -> None:
    """REPORT_BOT_LOG_LEVEL=DEBUG: our modules at DEBUG, markdown-it's and httpx's chatter off."""
    import logging

    from bot.cli.startup import configure_logging

    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        configure_logging("DEBUG")
        assert logging.getLogger("bot.jobs").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("markdown_it.rules_block").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
