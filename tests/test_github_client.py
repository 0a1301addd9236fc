"""The GitHub client's contract, with respx: one request per write (no automatic retry), timeouts set,
transient failures mapped to the queue's RetryLater honouring Retry-After and x-ratelimit-reset."""

from __future__ import annotations

import time

import httpx
import pytest
import respx
from github_double.fixtures import make_app_key
from githubkit.exception import RequestFailed

from bot.github.client import CredentialsError, GitHubApp, as_retry, check_private_key, describe
from bot.queue import RetryLater

API = "https://ghe.example.edu/api/v3"
TOKEN = {
    "token": "ghs_test",
    "expires_at": "2099-01-01T00:00:00Z",
    "permissions": {},
    "repository_selection": "all",
}


@pytest.fixture(scope="module")
def app() -> GitHubApp:
    return GitHubApp(1, make_app_key().private_pem, api_url=API, timeout=3)


async def _call(app: GitHubApp, route: respx.Route, response: httpx.Response) -> BaseException:
    route.mock(return_value=response)
    gh = app.installation(5)
    with pytest.raises(RequestFailed) as err:
        await gh.rest.issues.async_create("o", "r", title="t", body="b")
    return err.value


@respx.mock
async def test_a_failed_post_is_sent_once(app: GitHubApp) -> None:
    respx.post(f"{API}/app/installations/5/access_tokens").mock(return_value=httpx.Response(201, json=TOKEN))
    route = respx.post(f"{API}/repos/o/r/issues")
    exc = await _call(app, route, httpx.Response(502, json={"message": "bad gateway"}))
    assert route.call_count == 1  # githubkit's default would retry: a second issue if the first was made
    retry = as_retry(exc)
    assert isinstance(retry, RetryLater) and retry.reason == "GitHub answered 502"


@respx.mock
async def test_secondary_rate_limit_honours_retry_after(app: GitHubApp) -> None:
    respx.post(f"{API}/app/installations/5/access_tokens").mock(return_value=httpx.Response(201, json=TOKEN))
    body = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    }
    exc = await _call(
        app,
        respx.post(f"{API}/repos/o/r/issues"),
        httpx.Response(403, json=body, headers={"Retry-After": "42"}),
    )
    retry = as_retry(exc)
    assert retry is not None and retry.retry_after == 42 and "secondary" in retry.reason


@respx.mock
async def test_primary_rate_limit_waits_until_the_reset(app: GitHubApp) -> None:
    respx.post(f"{API}/app/installations/5/access_tokens").mock(return_value=httpx.Response(201, json=TOKEN))
    reset = int(time.time()) + 120
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    exc = await _call(
        app,
        respx.post(f"{API}/repos/o/r/issues"),
        httpx.Response(403, json={"message": "API rate limit exceeded"}, headers=headers),
    )
    retry = as_retry(exc)
    assert retry is not None and 100 <= (retry.retry_after or 0) <= 125 and "primary" in retry.reason


@respx.mock
async def test_timeouts_and_network_errors_are_transient_and_4xx_are_not(app: GitHubApp) -> None:
    respx.post(f"{API}/app/installations/5/access_tokens").mock(return_value=httpx.Response(201, json=TOKEN))
    respx.get(f"{API}/repos/o/r").mock(side_effect=httpx.ReadTimeout("slow"))
    gh = app.installation(5)
    with pytest.raises(Exception) as err:
        await gh.rest.repos.async_get("o", "r")
    retry = as_retry(err.value)
    assert retry is not None and retry.reason == "GitHub did not answer in time"
    exc = await _call(
        app, respx.post(f"{API}/repos/o/r/issues"), httpx.Response(422, json={"message": "Validation Failed"})
    )
    assert as_retry(exc) is None


def test_every_client_has_a_timeout_and_no_automatic_retry(app: GitHubApp) -> None:
    gh = app.installation(9)
    assert gh.config.timeout.read == 3
    assert gh.config.auto_retry is None  # githubkit stores auto_retry=False as "no retry decision"
    assert str(gh.config.base_url).startswith(API)


@respx.mock
async def test_github_refusing_the_apps_credentials_is_named_and_not_retried() -> None:
    """A wrong App id or key: GitHub answers 401 to the token request (githubkit wraps it in RequestError,
    which used to be retried as a "network error")."""
    respx.post(f"{API}/app/installations/5/access_tokens").mock(
        return_value=httpx.Response(401, json={"message": "A JSON web token could not be decoded"})
    )
    fresh = GitHubApp(1, make_app_key().private_pem, api_url=API)  # no token cached from other tests
    with pytest.raises(Exception) as err:
        await fresh.installation(5).rest.issues.async_get("o", "r", 1)
    assert as_retry(err.value) is None
    reason = describe(err.value)
    assert reason.startswith("GitHub refused the App's credentials")
    assert "A JSON web token could not be decoded" in reason and "REPORT_BOT_APP_ID" in reason


@respx.mock
async def test_a_private_key_that_does_not_parse_is_named_and_not_retried() -> None:
    bad = GitHubApp(
        1, "-----BEGIN RSA PRIVATE KEY-----\nMIIBroken\n-----END RSA PRIVATE KEY-----\n", api_url=API
    )
    with pytest.raises(Exception) as err:
        await bad.installation(5).rest.issues.async_get("o", "r", 1)
    assert as_retry(err.value) is None
    assert "private key" in describe(err.value) and "REPORT_BOT_APP_ID" in describe(err.value)
    with pytest.raises(CredentialsError, match="does not parse"):
        check_private_key("-----BEGIN RSA PRIVATE KEY-----\nMIIBroken\n-----END RSA PRIVATE KEY-----\n")
    check_private_key(make_app_key().private_pem)


@respx.mock
async def test_every_failed_call_is_described_with_githubs_status_and_message(app: GitHubApp) -> None:
    respx.post(f"{API}/app/installations/5/access_tokens").mock(return_value=httpx.Response(201, json=TOKEN))
    exc = await _call(
        app,
        respx.post(f"{API}/repos/o/r/issues"),
        httpx.Response(410, json={"message": "Issues are disabled for this repo"}),
    )
    assert describe(exc) == (
        "GitHub answered 410 (Issues are disabled for this repo) to POST /api/v3/repos/o/r/issues"
    )
