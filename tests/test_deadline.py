"""The deadline: `deadline:` validated (a time without an offset is a config error that says how to fix
it), the pinned issue counting down before it, a later push's verdict saying it came after it (held against
GitHub's push time), and the overview counting those pushes per repository (injectable clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from e2e_harness import push_payload, seed
from github_double import GitHubDouble
from github_double.fixtures import AppKey
from job_bot import Clock, job_bot

from bot.github.config import validate
from bot.github.events import decide
from bot.jobs import Bot, handle
from bot.jobs.overview import rows
from bot.queue import Job
from bot.report.deadline import countdown, late_note, span, when

pytestmark = pytest.mark.usefixtures("graphql_schema")
ORG = "course-org"
CET = timezone(timedelta(hours=1))
DUE = datetime(2027, 1, 17, 23, 59, tzinfo=CET)


# -- the config key --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "deadline: 2027-01-17T23:59:00+01:00",
        "deadline: 2027-01-17 23:59:00+01:00",  # YAML's own timestamp
        "deadline: '2027-01-17 23:59 +01:00'",
        "deadline: '2027-01-17T22:59Z'",
    ],
)
def test_deadline_with_an_offset(text: str) -> None:
    assert validate(yaml.safe_load(text), "x").deadline == DUE


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("deadline: 2027-01-17 23:59:00", "has no UTC offset"),
        ("deadline: '2027-01-17T23:59'", "add one, e.g. 2027-01-17T23:59+01:00"),
        ("deadline: 2027-01-17", "has no time and offset"),
        ("deadline: next friday", "is not an ISO 8601 time"),
        ("deadline: 17", "expected an ISO 8601 time"),
    ],
)
def test_a_deadline_without_an_offset_is_a_clear_config_error(text: str, says: str) -> None:
    with pytest.raises(ValueError, match="deadline") as err:
        validate(yaml.safe_load(text), "org/.github:.github/report-bot.yml")
    assert says in str(err.value) and "org/.github:.github/report-bot.yml" in str(err.value)


def test_overview_key_is_validated() -> None:
    assert validate({"overview": {"repo": "class-overview"}}, "x").overview is not None
    for bad in ({"repo": "../x"}, {"repo": "a", "colour": 1}, "class-overview"):
        with pytest.raises(ValueError, match="overview"):
            validate({"overview": bad}, "x")


# -- the texts (pure) ------------------------------------------------------------------------------------
def test_countdown_and_late_note() -> None:
    assert when(DUE) == "2027-01-17 23:59 +01:00"
    before = DUE - timedelta(days=3, hours=4, minutes=20)
    assert countdown(DUE, before) == "⏳ **Deadline: 2027-01-17 23:59 +01:00** — 3 days 4 hours left"
    assert countdown(DUE, DUE - timedelta(seconds=30)).endswith("less than a minute left")
    assert "passed 2 hours ago" in countdown(DUE, DUE + timedelta(hours=2))
    note = late_note(DUE, (DUE + timedelta(minutes=17)).astimezone(UTC))
    assert "pushed at 2027-01-18 00:16 +01:00, 17 minutes after the deadline" in note
    assert span(timedelta(days=1, minutes=5)) == "1 day" and span(timedelta(minutes=61)) == "1 hour 1 minute"


# -- the check job on both sides ----------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock(DUE - timedelta(days=3, hours=4, minutes=1))


@pytest.fixture
def bot(github_double: GitHubDouble, app_key: AppKey, tmp_path: Path, clock: Clock) -> Iterator[Bot]:
    with job_bot(github_double, app_key, tmp_path, clock) as made:
        yield made


async def _push(d: GitHubDouble, bot: Bot, repo: str, text: str, pushed: datetime) -> str:
    before, after = d.push(ORG, repo, "main", {"reports/README.md": text})
    payload = push_payload(d, ORG, repo, before, after, ["reports/README.md"])
    payload["repository"]["pushed_at"] = int(pushed.timestamp())  # GitHub's time of the push
    (job,) = decide("push", payload)
    await handle(bot, Job(1, job.kind, job.key, job.payload, job.installation_id, 1, datetime.now(UTC)))
    return after


def _body(d: GitHubDouble, repo: str) -> str:
    (issue,) = d.issues(ORG, repo)
    return issue.body or ""


async def test_before_the_deadline_the_issue_counts_down_after_it_late_pushes_are_named_and_counted(
    github_double: GitHubDouble, bot: Bot, clock: Clock
) -> None:
    d = github_double
    d.add_repo(ORG, ".github", {".github/report-bot.yml": "deadline: 2027-01-17T23:59:00+01:00\n"})
    d.add_repo(ORG, "group-1", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    d.add_repo(ORG, "group-2", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})

    await _push(d, bot, "group-1", seed("000_8087f8353d4a158a.md"), clock.now)
    assert _body(d, "group-1").split("\n")[1] == (
        "⏳ **Deadline: 2027-01-17 23:59 +01:00** — 3 days 4 hours left"
    )
    assert "after the deadline" not in _body(d, "group-1")

    clock.now = DUE + timedelta(minutes=40)
    await _push(d, bot, "group-1", seed("002_90da82d1f906f152.md"), DUE + timedelta(minutes=17))
    body = _body(d, "group-1")
    assert "pushed after the deadline**: pushed at 2027-01-18 00:16 +01:00, 17 minutes after" in body
    await _push(d, bot, "group-1", seed("003_e2de95122764a2de.md"), DUE + timedelta(minutes=30))
    # group 2 pushed one minute before the deadline: not late, even though it is checked after it
    await _push(d, bot, "group-2", seed("002_90da82d1f906f152.md"), DUE - timedelta(minutes=1))
    assert "pushed after the deadline" not in _body(d, "group-2")

    late = {r["repo"]: r["late_pushes"] for r in rows(bot.store.engine)}
    assert late == {f"{ORG}/group-1": 2, f"{ORG}/group-2": 0}


async def test_without_a_deadline_nothing_is_said_or_counted(github_double: GitHubDouble, bot: Bot) -> None:
    d = github_double
    d.add_repo(ORG, "group-1", {"reports/README.md": seed("001_11aae388d88f3f4c.md")})
    await _push(d, bot, "group-1", seed("000_8087f8353d4a158a.md"), datetime.now(UTC))
    assert "Deadline" not in _body(d, "group-1")
    assert [r["late_pushes"] for r in rows(bot.store.engine)] == [None]
