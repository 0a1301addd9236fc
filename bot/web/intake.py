"""Reading a webhook body at a bounded cost before anyone is authenticated.

- The HMAC (`X-Hub-Signature-256`) is computed while the body streams in; a request without a well-formed
  signature header is refused before a byte of its body is read.
- `BodyBudget` caps the bytes buffered at once by requests whose signature is not checked yet (across all
  of them): a request that would pass it is answered 503 with `Retry-After` (a Content-Length is reserved
  up front; a chunked body chunk by chunk).
- The whole body must arrive within the read timeout; a client that disconnects half-way costs one log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request

log = logging.getLogger(__name__)
MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB


class BodyBudget:
    """Bytes that unverified requests may hold at once (thread-safe counters, no waiting)."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.used = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            if self.used + n > self.limit:
                return False
            self.used += n
            return True

    def give(self, n: int) -> None:
        with self._lock:
            self.used = max(0, self.used - n)


@dataclass(frozen=True)
class Refused:
    status: int
    message: str
    retry_after: int | None = None


def signature_problem(secret: str | None, signature: str | None) -> Refused | None:
    if secret is None:
        return None
    if not signature or not signature.startswith("sha256=") or len(signature) != 71:
        return Refused(401, "bad or missing X-Hub-Signature-256")  # never fall back to SHA-1
    return None


async def read_verified(
    request: Request, secret: str | None, budget: BodyBudget, timeout: float
) -> bytes | Refused:
    """The body when its signature is right; else why not (401, 408, 413, 503, or 400 when it stopped)."""
    signature = request.headers.get("x-hub-signature-256")
    refused = signature_problem(secret, signature)
    if refused is not None:
        return refused
    length = request.headers.get("content-length")
    declared = int(length) if length is not None and length.isdigit() and len(length) < 12 else None
    if declared is not None and declared > MAX_BODY:
        return Refused(413, "payload too large")
    busy = Refused(503, "too many unverified uploads at once; retry later", retry_after=5)
    reserved = declared or 0
    if reserved and not budget.take(reserved):
        return busy
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha256) if secret is not None else None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY:
                    return Refused(413, "payload too large")
                if size > reserved:
                    if not budget.take(size - reserved):
                        return busy
                    reserved = size
                if mac is not None:
                    mac.update(chunk)
                chunks.append(chunk)
    except TimeoutError:
        log.info("webhook body not received within %.0f s (%d bytes): dropped", timeout, size)
        return Refused(408, "the body was not received in time")
    except ClientDisconnect:
        log.info("webhook upload aborted by the client after %d bytes", size)
        return Refused(400, "the upload was aborted")
    finally:
        budget.give(reserved)
    if mac is not None and not hmac.compare_digest("sha256=" + mac.hexdigest(), signature or ""):
        return Refused(401, "bad or missing X-Hub-Signature-256")
    return b"".join(chunks)
