"""The `command` job in-process against the GitHub double (retries, last attempts, caches, locks) and the
pure texts of its replies."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from e2e_harness import comment_payload, push_payload, seed
from github_double import GitHubDouble
from github_double.fixtures import AppKey
from test_commands import COMMENTS

from bot.artifacts import LocalArtifactStore
from bot.commands.grammar import (
    Command,
    Invalid,
    Parsed,
    Unknown,
    parse_comment,
    parsed_from_payload,
    parsed_to_payload,
)
from bot.commands.texts import compose, help_text, render_limit_text
from bot.github.client import GitHubApp
from bot.github.config import BotConfig
from bot.github.events import decide
from bot.github.permissions import PermissionCache
from bot.jobs import Bot, cpu, handle
from bot.queue import Job, RetryLater, WritePacer
from bot.store import Store, init_db, make_engine

ORG = "course-org"
WRITER = "writer"
APP_BOT = "report-bot[bot]"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Store:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    init_db(engine)
    return Store(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot(
    github_double: GitHubDouble, app_key: AppKey, store: Store, tmp_path: Path, clock: Clock
) -> Iterator[Bot]:
    app = GitHubApp(
        github_double.app_id, app_key.private_pem, api_url=github_double.url, timeout=3, pacer=WritePacer(0)
    )
    yield Bot(
        app,
        store,
        artifacts=LocalArtifactStore(tmp_path / "artifacts", "http://bot.test"),
        max_attempts=3,
        permissions=PermissionCache(clock=clock),
    )


def make_repo(d: GitHubDouble, name: str, report: str | None = None) -> int:
    d.add_repo(
        ORG, name, {"reports/README.md": report if report is not None else seed("001_11aae388d88f3f4c.md")}
    )
    d.set_permission(ORG, name, WRITER, "write")
    d.set_permission(ORG, name, "reader", "read")
    return d.add_issue(ORG, name, "Questions").number


def command_job(
    d: GitHubDouble, repo: str, number: int, body: str, *, user: str = WRITER, attempts: int = 1
) -> Job:
    c = d.add_comment(ORG, repo, number, body, user=user)
    return job_for(d, repo, number, c.id, attempts)


def job_for(d: GitHubDouble, repo: str, number: int, comment_id: int, attempts: int = 1) -> Job:
    (enqueue,) = decide("issue_comment", comment_payload(d, ORG, repo, number, comment_id))
    return Job(
        1, enqueue.kind, enqueue.key, enqueue.payload, enqueue.installation_id, attempts, datetime.now(UTC)
    )


def again(job: Job) -> Job:
    return Job(job.id, job.kind, job.key, job.payload, job.installation_id, job.attempts + 1, job.created_at)


def replies(d: GitHubDouble, repo: str, number: int) -> list[str]:
    return [c.body for c in d.comments(ORG, repo, number) if c.user.login == APP_BOT]


def reactions(d: GitHubDouble, repo: str, comment_id: int) -> list[str]:
    return [r.content for r in d.reactions(ORG, repo, comment_id=comment_id)]


# ------------------------------------------------------------------------------------------- retries


async def test_a_reply_github_made_but_answered_502_for_is_not_made_twice(
    github_double: GitHubDouble, bot: Bot
) -> None:
    d = github_double
    number = make_repo(d, "retry-reply")
    job = command_job(d, "retry-reply", number, "/report help")
    d.succeed_then_fail_next("POST", f"/repos/{ORG}/retry-reply/issues/{number}/comments", status=502)
    with pytest.raises(RetryLater):
        await handle(bot, job)
    assert len(replies(d, "retry-reply", number)) == 1
    await handle(bot, again(job))
    assert len(replies(d, "retry-reply", number)) == 1
    assert reactions(d, "retry-reply", job.payload["comment_id"]) == ["eyes", "rocket"]


async def test_the_last_attempt_answers_when_github_keeps_failing(
    github_double: GitHubDouble, bot: Bot
) -> None:
    d = github_double
    number = make_repo(d, "retry-last")
    job = command_job(d, "retry-last", number, "/report check")
    d.fail_next("POST", "/graphql", status=502, times=10)
    with pytest.raises(RetryLater):
        await handle(bot, job)
    assert replies(d, "retry-last", number) == []
    await handle(bot, Job(job.id, job.kind, job.key, job.payload, job.installation_id, 3, job.created_at))
    (body,) = replies(d, "retry-last", number)
    assert "> `/report check`" in body
    assert (
        "GitHub kept failing (GitHub answered 502) after 3 tries" in body and "Try the command again" in body
    )
    assert "Traceback" not in body
    assert reactions(d, "retry-last", job.payload["comment_id"]) == ["eyes", "confused"]
    d.clear_faults()


async def test_a_deleted_comment_ends_the_job_quietly(github_double: GitHubDouble, bot: Bot) -> None:
    d = github_double
    number = make_repo(d, "deleted")
    job = command_job(d, "deleted", number, "/report check")
    d.delete_comment(ORG, "deleted", job.payload["comment_id"])
    await handle(bot, job)
    assert replies(d, "deleted", number) == [] and d.issues(ORG, "deleted")[0].title == "Questions"


# ------------------------------------------------------------------------------------------- permissions


async def test_permissions_are_asked_once_per_repository_and_person_for_minutes(
    github_double: GitHubDouble, bot: Bot, clock: Clock
) -> None:
    d = github_double
    number = make_repo(d, "perm-cache")
    path = f"/repos/{ORG}/perm-cache/collaborators/*/permission"
    await handle(bot, command_job(d, "perm-cache", number, "/report help"))
    await handle(bot, command_job(d, "perm-cache", number, "/report help"))
    assert d.count("GET", path=path) == 1
    clock.now += 301
    await handle(bot, command_job(d, "perm-cache", number, "/report help"))
    assert d.count("GET", path=path) == 2


async def test_a_refusal_is_remembered_in_the_store(
    github_double: GitHubDouble, bot: Bot, app_key: AppKey, store: Store
) -> None:
    d = github_double
    number = make_repo(d, "refusal")
    await handle(bot, command_job(d, "refusal", number, "/report html", user="reader"))
    assert len(replies(d, "refusal", number)) == 1
    restarted = Bot(bot.app, store)  # a new process: no cache, the same store
    job = command_job(d, "refusal", number, "/report check", user="reader")
    await handle(restarted, job)
    assert len(replies(d, "refusal", number)) == 1
    assert reactions(d, "refusal", job.payload["comment_id"]) == ["eyes", "confused"]
    other = d.add_issue(ORG, "refusal", "Another conversation").number
    await handle(restarted, command_job(d, "refusal", other, "/report check", user="reader"))
    assert len(replies(d, "refusal", other)) == 1  # once per person per conversation


# ------------------------------------------------------------------------------------------- html failures


async def test_html_without_an_artifact_store_says_so(
    github_double: GitHubDouble, bot: Bot, store: Store
) -> None:
    d = github_double
    number = make_repo(d, "no-artifacts")
    job = command_job(d, "no-artifacts", number, "/report html")
    await handle(Bot(bot.app, store), job)
    (body,) = replies(d, "no-artifacts", number)
    assert "Rendering pages is not set up on this server" in body
    assert reactions(d, "no-artifacts", job.payload["comment_id"]) == ["eyes", "confused"]


async def test_a_render_limit_error_is_answered_and_not_counted(
    github_double: GitHubDouble, bot: Bot, store: Store
) -> None:
    d = github_double
    huge = seed("001_11aae388d88f3f4c.md") + "\n" + ("word " * 60_000)
    number = make_repo(d, "too-big", huge)
    job = command_job(d, "too-big", number, "/report html")
    await handle(bot, job)
    (body,) = replies(d, "too-big", number)
    assert "The page could not be rendered: report is" in body and "max_report_bytes" in body
    assert reactions(d, "too-big", job.payload["comment_id"]) == ["eyes", "confused"]
    assert store.count_renders(f"{ORG}/too-big", datetime.now(UTC) - timedelta(hours=1)) == 0


def _render_forever(*_args: object) -> None:
    """Stands in for `cpu.render_snapshot` in the worker process (pickled by reference to this module)."""
    time.sleep(120)


async def test_a_render_over_the_time_budget_is_answered_and_its_process_stopped(
    github_double: GitHubDouble, bot: Bot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is rendered in the budgeted worker processes, not in a thread of the server: a render that
    does not end is stopped at the budget and the group is told, and nothing is counted."""
    d = github_double
    pool = cpu.CpuPool(processes=1, budget=3.0)
    monkeypatch.setattr(cpu, "_POOL", pool)
    monkeypatch.setattr(cpu, "render_snapshot", _render_forever)
    number = make_repo(d, "slow-page")
    job = command_job(d, "slow-page", number, "/report html")
    started = time.monotonic()
    try:
        await handle(bot, job)
    finally:
        pool.close()
    assert time.monotonic() - started < 60
    (body,) = replies(d, "slow-page", number)
    assert "The page could not be rendered within 3 s" in body
    assert reactions(d, "slow-page", job.payload["comment_id"]) == ["eyes", "confused"]
    assert store.count_renders(f"{ORG}/slow-page", datetime.now(UTC) - timedelta(hours=1)) == 0


async def test_html_with_no_report_says_there_is_nothing_to_render(
    github_double: GitHubDouble, bot: Bot
) -> None:
    d = github_double
    d.add_repo(ORG, "no-report", {"README.md": "project"})
    d.set_permission(ORG, "no-report", WRITER, "write")
    number = d.add_issue(ORG, "no-report", "Where?").number
    await handle(bot, command_job(d, "no-report", number, "/report html"))
    (body,) = replies(d, "no-report", number)
    assert "nothing to render" in body and "No report at `reports/README.md`" in body


# ------------------------------------------------------------------------------------------- one writer per place


async def test_a_command_and_a_push_at_once_make_one_pinned_issue(
    github_double: GitHubDouble, bot: Bot
) -> None:
    d = github_double
    number = make_repo(d, "at-once")
    before, after = d.push(ORG, "at-once", "main", {"reports/README.md": seed("000_8087f8353d4a158a.md")})
    (push_job,) = decide("push", push_payload(d, ORG, "at-once", before, after, ["reports/README.md"]))
    check = Job(
        2, push_job.kind, push_job.key, push_job.payload, push_job.installation_id, 1, datetime.now(UTC)
    )
    command = command_job(d, "at-once", number, "/report check")
    d.set_latency(0.5, "POST", f"/repos/{ORG}/at-once/issues")  # the first creation is slow: the race is open
    await asyncio.gather(handle(bot, check), handle(bot, command))
    d.clear_faults()
    assert len([i for i in d.issues(ORG, "at-once") if i.title == "Report check"]) == 1
    assert "21/31 questions pass" in replies(d, "at-once", number)[-1]


# ------------------------------------------------------------------------------------------- texts


@pytest.mark.parametrize(("name", "body", "expected"), COMMENTS, ids=[c[0] for c in COMMENTS])
def test_a_parsed_command_survives_the_queue(name: str, body: str, expected: Parsed) -> None:
    parsed = parse_comment(body)
    assert parsed_from_payload(parsed_to_payload(parsed)) == parsed


@pytest.mark.parametrize(
    "payload",
    [None, "x", {}, {"first": "x"}, {"first": {"type": "command", "name": "rm"}}, {"first": {"type": "?"}}],
)
def test_a_malformed_payload_is_no_command(payload: object) -> None:
    assert parsed_from_payload(payload).first is None


def test_a_payload_ref_is_validated_again() -> None:
    data = {
        "first": {"type": "command", "name": "check", "ref": "../x", "line": 1, "raw": "/report check ../x"}
    }
    assert parsed_from_payload(data).first == Command("check", None, 1, "/report check ../x")


def test_a_reply_quotes_the_command_without_mentions_and_names_ignored_lines() -> None:
    hostile = "/report chek @everyone <img src=x onerror=alert(1)> ``` [x](javascript:alert(1))"
    later = tuple(f"/report html @user{i}" for i in range(7))
    body = compose(Parsed(Unknown("chek", "check", 1, hostile), later), "text", "failed")
    lines = body.splitlines()
    assert lines[0].startswith("> ````") and lines[0].endswith("````")
    assert not re.search(r"@(?!\u200d)\w", body)  # every @ is broken by a zero-width joiner
    assert body.count("> `/report html @\u200duser") == 5 and "…and 2 more" in body
    assert body.endswith("<!-- report-bot:outcome failed -->")


def test_help_shows_hostile_settings_inside_a_fence_they_cannot_close() -> None:
    cfg = BotConfig(issue_title="x\n````\n@teacher <script>", report_path="reports/README.md")
    text = help_text(
        cfg.model_dump(),
        source="o/r:.github/report-bot.yml",
        error=None,
        config_path=".github/report-bot.yml",
        rules=("dtu-mlops-2025", "detected"),
        rule_notes=[],
        issue=None,
        default_branch="main",
        render_limit=20,
        ttl=timedelta(hours=72),
    )
    fence = re.search(r"^(`{3,})yaml$", text, re.M)
    assert fence is not None and len(fence.group(1)) > 4
    body = text[fence.end() :]
    assert body.index("@teacher") < body.index("\n" + fence.group(1) + "\n")


def test_render_limit_text_says_when_the_next_is_possible() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    text = render_limit_text(20, now - timedelta(minutes=45), now)
    assert (
        "its 20 page renders of the last hour" in text and "at 2026-11-30 12:15 UTC (in 15 minutes)" in text
    )
    assert "turned off" in render_limit_text(0, None, now)


def test_invalid_commands_keep_their_reason() -> None:
    body = compose(
        Parsed(Invalid("invalid ref: a ref cannot contain '~'", 1, "/report check a~1"), ()), "x", "failed"
    )
    assert body.startswith("> `/report check a~1`")
