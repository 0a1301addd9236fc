"""Write pacing in one process: GitHub's documented limits (80 a minute, 500 an hour, serial), pauses from
rate-limit answers, writes dropped when their turn comes (`unless`), and the double's own enforcement of
the secondary limit on content creation."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from github_double import GitHubDouble
from github_double.fixtures import AppKey

from bot.github.client import GitHubApp
from bot.github.ratelimit import limited_for
from bot.queue import Superseded, WritePacer, interval_for

ORG = "course-org"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_the_default_interval_keeps_any_minute_at_80_writes_or_fewer() -> None:
    interval = interval_for(80)
    assert 0.75 < interval <= 0.77
    starts = [k * interval for k in range(200)]
    assert max(sum(1 for t in starts if a <= t < a + 60) for a in starts) in (79, 80)  # the margin: 79


async def test_at_most_per_hour_writes_start_in_any_hour() -> None:
    clock = FakeClock()
    pacer = WritePacer(1.0, per_hour=5, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    for _ in range(7):
        async with pacer.slot(1):
            starts.append(clock.now)
    assert starts[:5] == [1000.0, 1001.0, 1002.0, 1003.0, 1004.0]
    assert starts[5] == 1000.0 + 3600  # the first start left the hour
    assert starts[6] == 1001.0 + 3600


async def test_a_pause_delays_the_installations_next_write_only() -> None:
    clock = FakeClock()
    pacer = WritePacer(1.0, clock=clock, sleep=clock.sleep)
    await pacer.pause(1, 30)
    async with pacer.slot(2):
        assert clock.now == 1000.0  # another installation is not paused
    async with pacer.slot(1):
        assert clock.now == 1030.0


async def test_a_write_dropped_when_its_turn_comes_spends_no_slot() -> None:
    clock = FakeClock()
    pacer = WritePacer(10.0, clock=clock, sleep=clock.sleep)
    asked: list[float] = []

    async def newer() -> bool:
        asked.append(clock.now)
        return True

    async with pacer.slot(1):
        pass
    with pytest.raises(Superseded):
        async with pacer.slot(1, newer):
            raise AssertionError("the dropped write ran")
    assert asked and asked[0] >= 1000.0 + 10 - 0.25  # asked when the turn came, not when it started waiting
    async with pacer.slot(1):
        assert clock.now == pytest.approx(1010.0)  # the slot the dropped write would have had is used


async def test_a_write_whose_turn_is_due_at_once_is_not_asked() -> None:
    pacer = WritePacer(0.0)

    async def never() -> bool:
        raise AssertionError("asked although the write did not wait")

    async with pacer.slot(1, never):
        pass


def test_limited_for_follows_githubs_order() -> None:
    h = httpx.Headers
    assert limited_for(403, h({"retry-after": "7"}), "") == 7.0
    assert (
        limited_for(429, h({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1060"}), "", now=1000) == 60
    )
    assert (
        limited_for(403, h({"x-ratelimit-remaining": "12"}), "You have exceeded a secondary rate limit") == 60
    )
    assert limited_for(429, h({}), "") == 60
    assert (
        limited_for(403, h({"x-ratelimit-remaining": "12"}), "Resource not accessible by integration") is None
    )
    assert limited_for(404, h({"retry-after": "7"}), "") is None


# -- the double's secondary limit, and the client's reaction to it ------------------------------------------
def _app(d: GitHubDouble, key: AppKey, pacer: WritePacer) -> GitHubApp:
    return GitHubApp(d.app_id, key.private_pem, api_url=d.url, timeout=5, pacer=pacer)


async def test_the_double_refuses_writes_past_the_limit_as_github_documents(
    github_double: GitHubDouble, app_key: AppKey
) -> None:
    d = github_double
    d.add_repo(ORG, "group-1", {"README.md": "x"})
    d.enforce_secondary_limits(per_minute=3, per_hour=0)
    gh = _app(d, app_key, WritePacer(0)).installation(100)
    for k in range(3):
        await gh.rest.issues.async_create(ORG, "group-1", title=f"t{k}")
    token = d.installation_token(100)
    async with httpx.AsyncClient(base_url=d.url, headers={"Authorization": f"token {token}"}) as raw:
        resp = await raw.post(f"/repos/{ORG}/group-1/issues", json={"title": "t3"})
    assert resp.status_code == 403
    assert 1 <= int(resp.headers["retry-after"]) <= 60
    assert "You have exceeded a secondary rate limit" in resp.json()["message"]
    await gh.rest.issues.async_list_for_repo(ORG, "group-1")  # reads are not limited
    assert d.request_kinds(100) == {"read": 1, "write": 3, "limited": 1}
    assert len(d.issues(ORG, "group-1")) == 3


async def test_a_secondary_limit_answer_pauses_the_installations_writes(
    github_double: GitHubDouble, app_key: AppKey
) -> None:
    d = github_double
    d.add_repo(ORG, "group-1", {"README.md": "x"})
    pacer = WritePacer(0)
    app = _app(d, app_key, pacer)
    gh = app.installation(100)
    d.secondary_rate_limit_next("POST", "/repos/*/issues", retry_after=1)
    with pytest.raises(Exception):  # noqa: B017 - githubkit's secondary rate limit exception
        async with app.write(100):
            await gh.rest.issues.async_create(ORG, "group-1", title="refused")
    t0 = time.monotonic()
    async with app.write(100):
        waited = time.monotonic() - t0
    assert 0.8 <= waited <= 2.0
    t0 = time.monotonic()
    async with app.write(101):  # another installation writes at once
        assert time.monotonic() - t0 < 0.2
