"""`.github/report-bot.yml`: a repository's settings for the bot.

Read from the repository's default branch, falling back to the same file in the owner's `.github`
repository; `_extends: repo` or `_extends: owner/repo:path/to/file.yml` (the Probot convention) starts
from another file. A config that cannot be used is reported in the bot's reply, and the defaults apply.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONFIG_PATH = ".github/report-bot.yml"
_EXTENDS = re.compile(r"^(?:(?P<owner>[\w.-]+)/)?(?P<repo>[\w.-]+)(?::(?P<path>[\w./-]+))?$")
MAX_EXTENDS = 3


class OverviewConfig(BaseModel):
    """`overview: {repo: NAME}`: the repository of the organisation that holds the live class overview."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    title: str = Field(default="Class overview", min_length=1, max_length=200)


def parse_deadline(value: object) -> datetime | None:
    """ISO 8601 with an offset (`2027-01-17T23:59:00+01:00`, `2027-01-17 23:59 +01:00` or `...Z`); YAML may
    have read it as a datetime already. A time without an offset is ambiguous: a ValueError says so."""
    if value is None or isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        raise ValueError(
            f"{value.isoformat()} has no time and offset: write e.g. {value.isoformat()}T23:59:00+01:00"
        )
    elif isinstance(value, str):
        text = value.strip()
        text = re.sub(r"\s+([+-]\d{2}:?\d{2}|Z)$", r"\1", text)  # "23:59 +01:00" -> "23:59+01:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 time: write e.g. 2027-01-17T23:59:00+01:00"
            ) from None
    else:
        raise ValueError(f"expected an ISO 8601 time such as 2027-01-17T23:59:00+01:00, got {value!r}")
    if parsed is not None and parsed.utcoffset() is None:
        raise ValueError(
            f"{value!s} has no UTC offset, so it is not clear when it is: add one, e.g. "
            f"{parsed.isoformat(timespec='minutes')}+01:00 (or Z for UTC)"
        )
    return parsed


class BotConfig(BaseModel):
    """Every key of `.github/report-bot.yml`, with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report_path: str = Field(default="reports/README.md", pattern=r"^[^/\\][^\\]*\.md$")
    """Where the report is, from the repository root."""
    rules: str = "auto"
    """`auto`, a built-in rule set (dtu-mlops-2026, -2025, -2024), or a YAML file in the repository."""
    issue_title: str = Field(default="Report check", min_length=1, max_length=200)
    pin_issue: bool = True
    comment_on_change: bool = True
    """Post a comment in the issue when the verdict changes (edits of the body notify nobody)."""
    pr_comments: bool = True
    check_runs: bool = True
    command_permission: Literal["read", "triage", "write"] = "write"
    """Who may run `/report` commands: the least permission on the repository."""
    edited_comments: bool = False
    """Also run a command when a comment is edited to contain one."""
    renders_per_hour: int | None = Field(default=None, ge=0, le=1000)
    """`/report html` renders per repository and hour (default: the server's setting)."""
    deadline: datetime | None = None
    """The hand-in deadline (ISO 8601 with an offset): the pinned issue counts down to it, later pushes are
    named as late."""
    overview: OverviewConfig | None = None
    """Only read from the organisation's `.github` repository: where the live class overview is kept."""

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: object) -> datetime | None:
        return parse_deadline(value)

    @property
    def report_dir(self) -> str:
        return self.report_path.rpartition("/")[0]


@dataclass(frozen=True)
class LoadedConfig:
    config: BotConfig
    source: str | None
    """Where it came from (`owner/repo:.github/report-bot.yml`), None for the defaults."""
    error: str | None = None
    """Why the file could not be used (the defaults apply then)."""


Fetch = Callable[[str, str, str], Awaitable[str | None]]
"""(owner, repo, path) -> the file's text on the default branch, or None when there is no such file."""


def parse_config(text: str, source: str) -> tuple[dict[str, object], str | None]:
    """The YAML mapping of a config file and its `_extends` value; ValueError with a clear reason."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ValueError(
            f"{source}:{where}: not valid YAML ({getattr(exc, 'problem', 'syntax error')})"
        ) from None
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a mapping of settings, got {type(data).__name__}")
    extends = data.pop("_extends", None)
    if extends is not None and not isinstance(extends, str):
        raise ValueError(f"{source}: _extends: expected `repo` or `owner/repo:path`, got {extends!r}")
    return data, extends


def validate(data: dict[str, object], source: str) -> BotConfig:
    try:
        return BotConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"{source}: {key}: {first['msg']}") from None


async def load(owner: str, repo: str, fetch: Fetch) -> LoadedConfig:
    """The repository's config, the owner's `.github` repository's, or the defaults; never raises."""
    sources = [(owner, repo, CONFIG_PATH)]
    if repo != ".github":
        sources.append((owner, ".github", CONFIG_PATH))
    for o, r, path in sources:
        text = await fetch(o, r, path)  # a transient failure propagates: the job retries
        if text is None:
            continue
        source = f"{o}/{r}:{path}"
        try:
            merged = await _resolve(o, text, source, fetch, depth=0)
            return LoadedConfig(validate(merged, source), source)
        except ValueError as err:
            return LoadedConfig(BotConfig(), source, str(err))
    return LoadedConfig(BotConfig(), None)


async def _resolve(owner: str, text: str, source: str, fetch: Fetch, depth: int) -> dict[str, object]:
    data, extends = parse_config(text, source)
    if extends is None:
        return data
    if depth >= MAX_EXTENDS:
        raise ValueError(f"{source}: _extends: more than {MAX_EXTENDS} levels")
    m = _EXTENDS.match(extends.strip())
    if not m:
        raise ValueError(f"{source}: _extends: expected `repo` or `owner/repo:path`, got {extends!r}")
    base_owner, base_repo = m.group("owner") or owner, m.group("repo")
    base_path = m.group("path") or CONFIG_PATH
    base_text = await fetch(base_owner, base_repo, base_path)
    base_source = f"{base_owner}/{base_repo}:{base_path}"
    if base_text is None:
        raise ValueError(f"{source}: _extends: {base_source} does not exist (or the app cannot read it)")
    base = await _resolve(base_owner, base_text, base_source, fetch, depth + 1)
    return {**base, **data}
