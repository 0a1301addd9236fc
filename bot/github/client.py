"""GitHub clients through githubkit: App JWT, installation clients (tokens cached by githubkit until a minute
before they expire), a timeout on every call, no automatic retries (the job queue retries, and every write
is idempotent), and GitHub failures turned into the queue's `RetryLater` when they are transient."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from githubkit import AppAuthStrategy, AppInstallationAuthStrategy, GitHub
from githubkit.cache import MemCacheStrategy
from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed, RequestTimeout

from bot.github.ratelimit import Listener, RateBook, response_hook
from bot.queue import RetryLater, WritePacer

USER_AGENT = "report-bot (+https://github.com/apps/report-bot)"


class GitHubApp:
    """Clients for one GitHub App. `api_url` may be api.github.com, a GitHub Enterprise Server, or a test double."""

    def __init__(
        self,
        app_id: int,
        private_key: str,
        *,
        api_url: str = "https://api.github.com",
        timeout: float = 10.0,
        pacer: WritePacer | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.app_id = app_id
        self._key = private_key
        self.api_url = api_url.rstrip("/") + "/"
        self.timeout = httpx.Timeout(timeout)
        self.pacer = pacer or WritePacer(1.0)
        self._ssl = ssl.create_default_context()
        self._cache = MemCacheStrategy()  # one context: githubkit builds a client (and TLS set-up) per call
        self._installations: dict[int, GitHub[Any]] = {}
        self._app: GitHub[Any] | None = None
        self.ratelimits = RateBook()
        """The latest x-ratelimit-* per installation (None: the App's JWT calls)."""
        self.listener = listener
        """Told (installation, endpoint group, status) of every answer (the metrics)."""

    def _options(self, installation_id: int | None = None) -> dict[str, Any]:
        return {
            "base_url": self.api_url,
            "timeout": self.timeout,
            "auto_retry": False,  # a retried POST after a 5xx can create a second issue: the queue retries
            "http_cache": False,  # always read the current head
            "user_agent": USER_AGENT,
            "ssl_verify": self._ssl,
            "cache_strategy": self._cache,  # tokens cached per app object, not process-wide
            "async_event_hooks": {
                "response": [response_hook(self.ratelimits, installation_id, self._listen)]
            },
        }

    def _listen(self, installation_id: int | None, group: str, status: int) -> None:
        if self.listener is not None:
            self.listener(installation_id, group, status)

    def app(self) -> GitHub[Any]:
        if self._app is None:
            self._app = GitHub(AppAuthStrategy(str(self.app_id), self._key), **self._options())
        return self._app

    def installation(self, installation_id: int) -> GitHub[Any]:
        gh = self._installations.get(installation_id)
        if gh is None:
            auth = AppInstallationAuthStrategy(str(self.app_id), self._key, installation_id)
            gh = self._installations[installation_id] = GitHub(auth, **self._options(installation_id))
        return gh

    @asynccontextmanager
    async def write(self, installation_id: int) -> AsyncIterator[None]:
        """Hold the installation's write slot: writes of one installation go one at a time, >= 1 s apart."""
        async with self.pacer.slot(installation_id):
            yield


def status(exc: BaseException) -> int | None:
    if isinstance(exc, RequestFailed):
        return exc.response.status_code
    return None


def as_retry(exc: BaseException) -> RetryLater | None:
    """The queue's RetryLater for a transient GitHub failure (rate limit, 5xx, timeout, network), else None."""
    if isinstance(exc, RateLimitExceeded):
        kind = "secondary" if "Secondary" in type(exc).__name__ else "primary"
        return RetryLater(f"GitHub {kind} rate limit", exc.retry_after.total_seconds())
    if isinstance(exc, RequestFailed) and exc.response.status_code >= 500:
        return RetryLater(f"GitHub answered {exc.response.status_code}")
    if isinstance(exc, RequestFailed) and exc.response.status_code in (403, 429):
        retry_after = exc.response.headers.get("retry-after")
        if retry_after and retry_after.isdigit():
            return RetryLater(f"GitHub answered {exc.response.status_code}", float(retry_after))
    if isinstance(exc, RequestFailed):
        return None  # any other answer (404, 422, ...) will not change by asking again
    if isinstance(exc, RequestTimeout | httpx.TimeoutException):
        return RetryLater("GitHub did not answer in time")
    if isinstance(exc, RequestError | httpx.TransportError):
        return RetryLater(f"network error talking to GitHub ({type(exc).__name__})")
    return None
