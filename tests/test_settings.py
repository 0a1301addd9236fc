"""Settings: environment and .env, defaults, URL mapping, private key loading, and secrets never shown."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, SettingsError, missing_for_serve, normalize_database_url

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAsecretkeymaterial0123456789\n"
    "-----END RSA PRIVATE KEY-----\n"
)
SECRET_BITS = ("secretkeymaterial0123456789", "hook-secret-value-42")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No REPORT_BOT_* variable from the outer environment, and a working folder without a .env."""
    for name in list(os.environ):
        if name.upper().startswith("REPORT_BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults() -> None:
    s = Settings()
    assert s.app_id is None and s.private_key is None and s.webhook_secret is None
    assert s.github_api_url == "https://api.github.com"
    assert s.database_url == "sqlite:///report-bot.db"
    assert s.public_url == "http://localhost:8000"
    assert s.artifact_dir == Path("artifacts")
    assert (s.artifact_ttl_hours, s.request_timeout_seconds) == (72, 10)
    assert (s.worker_concurrency, s.installation_concurrency, s.max_attempts) == (4, 2, 6)
    assert (s.write_interval_seconds, s.retry_base_seconds, s.retry_max_seconds) == (None, 2.0, 600)
    assert (s.writes_per_minute, s.writes_per_hour) == (80, 500)
    assert (s.delivery_retention_days, s.render_limit_per_hour, s.log_level) == (14, 20, "INFO")


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_BOT_APP_ID", "12345")
    monkeypatch.setenv("REPORT_BOT_GITHUB_API_URL", "http://127.0.0.1:9999/api/v3/")
    monkeypatch.setenv("REPORT_BOT_WORKER_CONCURRENCY", "8")
    monkeypatch.setenv("REPORT_BOT_ARTIFACT_TTL_HOURS", "0.5")
    monkeypatch.setenv("REPORT_BOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("APP_ID", "999")  # unprefixed: ignored
    s = Settings()
    assert s.app_id == 12345
    assert s.github_api_url == "http://127.0.0.1:9999/api/v3"
    assert s.worker_concurrency == 8
    assert s.artifact_ttl_hours == 0.5
    assert s.log_level == "DEBUG"


def test_reads_dotenv_in_working_folder_and_environment_wins(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text(
        "REPORT_BOT_APP_ID=7\nREPORT_BOT_PUBLIC_URL=https://bot.example.org\nOTHER_TOOL_SETTING=x\n"
        "REPORT_BOT_MAX_ATTEMPTS=3\n",
        "utf-8",
    )
    s = Settings()
    assert (s.app_id, s.public_url, s.max_attempts) == (7, "https://bot.example.org", 3)
    monkeypatch.setenv("REPORT_BOT_MAX_ATTEMPTS", "9")
    assert Settings().max_attempts == 9


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/bot", "postgresql+psycopg://u:p@db:5432/bot"),
        ("postgres://u@db/bot", "postgresql+psycopg://u@db/bot"),
        ("postgresql+psycopg://u@db/bot", "postgresql+psycopg://u@db/bot"),
        ("sqlite:////var/lib/bot.db", "sqlite:////var/lib/bot.db"),
    ],
)
def test_database_url_uses_psycopg3(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected
    monkeypatch.setenv("REPORT_BOT_DATABASE_URL", given)
    assert Settings().database_url == expected


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_BOT_WORKER_CONCURRENCY", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_private_key_with_escaped_newlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY", PEM.strip().replace("\n", "\\n"))
    assert Settings().private_key_pem() == PEM


def test_private_key_from_dotenv_multiline(clean_env: Path) -> None:
    (clean_env / ".env").write_text(f'REPORT_BOT_PRIVATE_KEY="{PEM}"\n', "utf-8")
    assert Settings().private_key_pem() == PEM


def test_private_key_from_path(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = clean_env / "app.pem"
    key.write_text(PEM, "utf-8")
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY_PATH", str(key))
    assert Settings().private_key_pem() == PEM


def test_no_private_key_is_none() -> None:
    assert Settings().private_key_pem() is None


def test_missing_key_file_names_the_variable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY_PATH", str(clean_env / "nope.pem"))
    with pytest.raises(SettingsError, match=r"REPORT_BOT_PRIVATE_KEY_PATH.*no such file"):
        Settings().private_key_pem()


def test_key_file_that_is_not_pem(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "k.pem").write_text("secretkeymaterial0123456789", "utf-8")
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY_PATH", str(clean_env / "k.pem"))
    with pytest.raises(SettingsError, match=r"REPORT_BOT_PRIVATE_KEY_PATH.*not a PEM") as info:
        Settings().private_key_pem()
    assert "secretkeymaterial" not in str(info.value)


def test_inline_key_that_is_not_pem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY", "secretkeymaterial0123456789")
    with pytest.raises(SettingsError, match="REPORT_BOT_PRIVATE_KEY is not a PEM") as info:
        Settings().private_key_pem()
    assert "secretkeymaterial" not in str(info.value)


def test_both_key_sources_is_an_error(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "k.pem").write_text(PEM, "utf-8")
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY", PEM)
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY_PATH", str(clean_env / "k.pem"))
    with pytest.raises(SettingsError, match="only one of"):
        Settings().private_key_pem()


def test_missing_for_serve_names_each_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert missing_for_serve(Settings(), insecure_no_secret=False) == [
        "REPORT_BOT_WEBHOOK_SECRET",
        "REPORT_BOT_APP_ID",
        "REPORT_BOT_PRIVATE_KEY or REPORT_BOT_PRIVATE_KEY_PATH",
    ]
    assert "REPORT_BOT_WEBHOOK_SECRET" not in missing_for_serve(Settings(), insecure_no_secret=True)
    monkeypatch.setenv("REPORT_BOT_WEBHOOK_SECRET", "hook-secret-value-42")
    monkeypatch.setenv("REPORT_BOT_APP_ID", "1")
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY", PEM)
    assert missing_for_serve(Settings(), insecure_no_secret=False) == []


def test_empty_secret_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_BOT_WEBHOOK_SECRET", "")
    assert missing_for_serve(Settings(), insecure_no_secret=False)[0] == "REPORT_BOT_WEBHOOK_SECRET"


def test_secrets_never_shown(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY", PEM.replace("\n", "\\n"))
    monkeypatch.setenv("REPORT_BOT_WEBHOOK_SECRET", "hook-secret-value-42")
    s = Settings()
    logger = logging.getLogger("test.settings")
    with caplog.at_level(logging.DEBUG, logger="test.settings"):
        logger.info("settings: %s", s)
        logger.info("settings: %r", s)
        logger.info("dump: %s", s.model_dump())
    shown = [repr(s), str(s), s.model_dump_json(), caplog.text, f"{s}", f"{s.webhook_secret}"]
    for text in shown:
        for secret in SECRET_BITS:
            assert secret not in text
    assert "**********" in repr(s)
    assert s.webhook_secret is not None and s.webhook_secret.get_secret_value() == "hook-secret-value-42"


def test_render_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_BOT_RENDER_MAX_REPORT_KB", "64")
    monkeypatch.setenv("REPORT_BOT_RENDER_MAX_IMAGES", "5")
    limits = Settings(_env_file=None).render_limits()  # type: ignore[call-arg]
    assert (limits.max_report_bytes, limits.max_images, limits.max_image_bytes) == (64_000, 5, 10_000_000)
