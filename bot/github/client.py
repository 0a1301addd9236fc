"""GitHub clients through githubkit: App JWT, installation clients (tokens cached by githubkit until a minute
before they expire), a timeout on every call, no automatic retries (the job queue retries, and every write
is idempotent), and GitHub failures turned into the queue's `RetryLater` when they are transient.

The App's own credentials failing (a private key that does not parse, an App id or key GitHub answers 401
to) are named as such and never retried: asking again will not fix them. `describe()` gives every failed
call's one-line reason with GitHub's own status and message, for the log and the job's reason."""

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
from bot.queue import Pacer, RetryLater, WritePacer, interval_for
from bot.queue.pacing import Unless

USER_AGENT = "report-bot (+https://github.com/apps/report-bot)"
CREDENTIALS_HINT = "check REPORT_BOT_APP_ID and the private key"


class CredentialsError(Exception):
    """The App's id or private key cannot work: a key that does not parse, or GitHub answered 401."""


def check_private_key(pem: str) -> None:
    """Raise CredentialsError when `pem` is not an RSA private key GitHub Apps can sign with."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError) as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise CredentialsError(
            f"the App's private key does not parse ({reason}): {CREDENTIALS_HINT}"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialsError(f"the App's private key is not an RSA key: {CREDENTIALS_HINT}")


class GitHubApp:
    """Clients for one GitHub App. `api_url` may be api.github.com, a GitHub Enterprise Server, or a test double."""

    def __init__(
        self,
        app_id: int,
        private_key: str,
        *,
        api_url: str = "https://api.github.com",
        timeout: float = 10.0,
        pacer: Pacer | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.app_id = app_id
        self._key = private_key
        self.api_url = api_url.rstrip("/") + "/"
        self.timeout = httpx.Timeout(timeout)
        self.pacer: Pacer = pacer or WritePacer(interval_for(80))
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
                "response": [response_hook(self.ratelimits, installation_id, self._listen, self.pacer.pause)]
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
    async def write(self, installation_id: int, unless: Unless | None = None) -> AsyncIterator[None]:
        """Hold the installation's write slot: writes of one installation go one at a time, paced at GitHub's
        secondary limits (bot/queue/pacing.py), in every process sharing the database on PostgreSQL."""
        async with self.pacer.slot(installation_id, unless):
            yield


def origin(exc: BaseException) -> BaseException:
    """The failure inside githubkit's RequestError wrapper (its auth flow wraps a refused token request and
    a key that does not parse alike)."""
    seen = 0
    while isinstance(exc, RequestError) and not isinstance(exc, RequestTimeout) and seen < 5:
        inner = getattr(exc, "origin_exc", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc, seen = inner, seen + 1
    return exc


def status(exc: BaseException) -> int | None:
    exc = origin(exc)
    if isinstance(exc, RequestFailed):
        return exc.response.status_code
    return None


def github_message(exc: RequestFailed) -> str:
    """GitHub's own `message` of a failed answer (first 300 characters), or the reason phrase."""
    try:
        body = exc.response.json()
    except Exception:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        message = exc.response.raw_response.reason_phrase or ""
    return message.replace("\n", " ")[:300]


def credentials_problem(exc: BaseException) -> str | None:
    """Why the App's credentials fail, when that is what `exc` is; None for any other failure."""
    if isinstance(exc, CredentialsError):
        return str(exc)
    inner = origin(exc)
    if isinstance(inner, CredentialsError):
        return str(inner)
    if isinstance(inner, RequestFailed) and inner.response.status_code == 401:
        return f"GitHub refused the App's credentials (401: {github_message(inner)}): {CREDENTIALS_HINT}"
    try:
        from jwt.exceptions import InvalidKeyError, PyJWTError
    except ImportError:  # pragma: no cover - githubkit[auth-app] brings PyJWT
        return None
    if isinstance(inner, InvalidKeyError | PyJWTError) or (
        isinstance(inner, ValueError) and "key" in str(inner).lower()
    ):
        return f"the App's private key does not work ({inner}): {CREDENTIALS_HINT}"
    return None


def describe(exc: BaseException) -> str:
    """One line for the log: GitHub's status and own message and the call, or the credential problem."""
    problem = credentials_problem(exc)
    if problem is not None:
        return problem
    inner = origin(exc)
    if isinstance(inner, RequestFailed):
        req = inner.response.raw_request
        return (
            f"GitHub answered {inner.response.status_code} ({github_message(inner)}) to "
            f"{req.method} {req.url.path}"
        )
    if isinstance(inner, RequestTimeout | httpx.TimeoutException):
        return "GitHub did not answer in time"
    return f"{type(inner).__name__}: {str(inner)[:300]}"


def as_retry(exc: BaseException) -> RetryLater | None:
    """The queue's RetryLater for a transient GitHub failure (rate limit, 5xx, timeout, network), else None
    (the App's credentials failing is never transient)."""
    if credentials_problem(exc) is not None:
        return None
    exc = origin(exc)
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
        return RetryLater(f"network error talking to GitHub ({describe(exc)})")
    return None
