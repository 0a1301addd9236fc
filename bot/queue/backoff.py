"""Retry delays and the one-line, secret-free reasons recorded for failed runs."""

from __future__ import annotations

import random
import re

MAX_REASON_CHARS = 300

# Credentials that could appear in an exception message (tokens, JWTs, Authorization headers, URL users).
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S),
        "[redacted]",
    ),
    (re.compile(r"\b(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{8,}"), "[redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}"), "[redacted]"),
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (
        re.compile(r"(?i)\b(secret|password|passwd|private_key|api_key|access_token)(\s*[=:]\s*)\S+"),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+(?=@)"), "[redacted]"),
)


def backoff_delay(
    attempts: int,
    base: float,
    maximum: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds before the next run after `attempts` runs: `max(retry_after, backoff)` where backoff is
    `min(base * 2**(attempts-1), maximum)` with "equal jitter" (uniform in its upper half)."""
    exponent = max(attempts - 1, 0)
    backoff = min(base * 2.0 ** min(exponent, 64), maximum)
    jittered = backoff / 2 + (rng or random).uniform(0, backoff / 2)
    return max(retry_after or 0.0, jittered)


def redact(text: str) -> str:
    """`text` with credentials (tokens, JWTs, keys, passwords in URLs or `key=value`) replaced."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def one_line_reason(exc: BaseException | str) -> str:
    """A short single line for `last_error`: `Type: first line of the message`, secrets redacted."""
    if isinstance(exc, str):
        text = exc
    else:
        from bot.queue.job import RetryLater

        message = exc.reason if isinstance(exc, RetryLater) else str(exc)
        text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    text = redact(text)
    line = " ".join(text.split())  # newlines, tabs and runs of spaces become one space
    if len(line) > MAX_REASON_CHARS:
        line = line[: MAX_REASON_CHARS - 1] + "…"
    return line
