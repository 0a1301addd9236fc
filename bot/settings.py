"""Every knob of report-bot as an environment variable (`REPORT_BOT_*`), also read from `./.env`.

Secrets are `SecretStr`: `repr()`, `str()`, logging and `model_dump_json()` show `**********`, not the
value.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from bot.report.page_limits import RenderLimits

ENV_PREFIX = "REPORT_BOT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PEM_BEGIN = "-----BEGIN "
_PEM_KEY_MARKER = "PRIVATE KEY-----"


class SettingsError(ValueError):
    """A setting is present but unusable; the message names the variable, never its secret value."""


def normalize_database_url(url: str) -> str:
    """SQLAlchemy URL for `url`: `postgres://` and `postgresql://` use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    app_id: int | None = None
    private_key: SecretStr | None = None
    private_key_path: Path | None = None
    webhook_secret: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_url: str = "https://github.com"
    manifest_path: Path | None = None
    database_url: str = "sqlite:///report-bot.db"
    public_url: str = "http://localhost:8000"
    artifact_dir: Path = Path("artifacts")
    artifact_ttl_hours: float = Field(default=72, gt=0)
    request_timeout_seconds: float = Field(default=10, gt=0)
    worker_concurrency: int = Field(default=4, ge=1)
    installation_concurrency: int = Field(default=2, ge=1)
    writes_per_minute: float = Field(default=80, gt=0)
    writes_per_hour: int = Field(default=500, ge=0)
    write_interval_seconds: float | None = Field(default=None, ge=0)
    """Overrides the spacing writes_per_minute gives (tests: a few ms)."""
    max_attempts: int = Field(default=6, ge=1)
    retry_base_seconds: float = Field(default=2.0, ge=0)
    retry_max_seconds: float = Field(default=600, ge=0)
    job_lease_seconds: float = Field(default=60, gt=0)
    worker_shutdown_grace_seconds: float = Field(default=30, ge=0)
    delivery_retention_days: int = Field(default=14, ge=1)
    render_limit_per_hour: int = Field(default=20, ge=0)
    render_max_report_kb: int = Field(default=256, ge=1)
    render_max_images: int = Field(default=100, ge=0)
    render_max_image_mb: int = Field(default=10, ge=1)
    render_max_total_images_mb: int = Field(default=30, ge=1)
    render_max_page_mb: int = Field(default=48, ge=1)
    backfill_rate_share: float = Field(default=0.5, gt=0, le=1)
    evidence_max_blobs: int = Field(default=20, ge=0)
    """Files whose text one check reads at most to hold the checklist against the repository."""
    webhook_read_timeout_seconds: float = Field(default=15, gt=0)
    """Time a client has to send a request's headers, and then its whole body (GitHub waits 10 s)."""
    webhook_unverified_max_mb: float = Field(default=64, gt=0)
    """Bytes buffered at once by webhook requests whose signature is not checked yet; past it, 503."""
    check_time_budget_seconds: float = Field(default=20, gt=0)
    """Wall time one check (or render) of a report may take in the worker pool before it is given up."""
    check_processes: int = Field(default=2, ge=1)
    """Worker processes that check and render reports (CPU work never runs on the event loop)."""
    log_level: str = "INFO"

    @field_validator("private_key", "webhook_secret", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("private_key", mode="after")
    @classmethod
    def _unescape_newlines(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value().replace("\\r\\n", "\n").replace("\\n", "\n").strip()
        return SecretStr(text + "\n")

    @field_validator("database_url", mode="after")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("github_api_url", "github_url", "public_url", mode="after")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level", mode="after")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"unknown log level {value!r}: use one of {', '.join(LOG_LEVELS)}")
        return level

    def render_limits(self) -> RenderLimits:
        """The rendered page's hard limits (`/report html`)."""
        from bot.report.page_limits import RenderLimits

        mb = 1_000_000
        return RenderLimits(
            max_report_bytes=self.render_max_report_kb * 1000,
            max_images=self.render_max_images,
            max_image_bytes=self.render_max_image_mb * mb,
            max_total_image_bytes=self.render_max_total_images_mb * mb,
            max_output_bytes=self.render_max_page_mb * mb,
        )

    def private_key_pem(self) -> str | None:
        """The App's private key (PEM text), from the variable or the file; None when neither is set."""
        if self.private_key is not None and self.private_key_path is not None:
            raise SettingsError(
                f"set only one of {ENV_PREFIX}PRIVATE_KEY and {ENV_PREFIX}PRIVATE_KEY_PATH, not both"
            )
        if self.private_key is not None:
            pem = self.private_key.get_secret_value()
            if not _looks_like_pem(pem):
                raise SettingsError(f"{ENV_PREFIX}PRIVATE_KEY is not a PEM private key")
            return pem
        if self.private_key_path is None:
            return None
        path = self.private_key_path
        var = f"{ENV_PREFIX}PRIVATE_KEY_PATH"
        try:
            pem = path.read_text("utf-8")
        except FileNotFoundError:
            raise SettingsError(f"{var}: no such file: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{var}: cannot read {path}: {type(exc).__name__}") from None
        if not _looks_like_pem(pem):
            raise SettingsError(f"{var}: {path} is not a PEM private key")
        return pem


def _looks_like_pem(text: str) -> bool:
    return _PEM_BEGIN in text and _PEM_KEY_MARKER in text


def missing_for_serve(settings: Settings, insecure_no_secret: bool) -> list[str]:
    """Names of the variables `report-bot serve` needs and does not have (empty when it can start)."""
    missing: list[str] = []
    if settings.webhook_secret is None and not insecure_no_secret:
        missing.append(f"{ENV_PREFIX}WEBHOOK_SECRET")
    if settings.app_id is None:
        missing.append(f"{ENV_PREFIX}APP_ID")
    if settings.private_key is None and settings.private_key_path is None:
        missing.append(f"{ENV_PREFIX}PRIVATE_KEY or {ENV_PREFIX}PRIVATE_KEY_PATH")
    return missing
