"""The pure-ASGI layer in front of every route: request log, latency, faults, authentication, rate-limit
headers. Routes find the caller in `request.state.principal`."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import Principal, authenticate
from .context import Context
from .errors import ApiError
from .faults import Fault
from .ratelimit import content_creating
from .requestlog import LoggedRequest, RequestLog

SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {rid}."
)
RATE_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class _Exchange:
    """One request on its way through; logged exactly once, before the client can see the response end
    (so a test that just got its answer always finds the request in the log)."""

    def __init__(self, scope: Scope, raw: bytes, log: RequestLog) -> None:
        self.arrived = time.time()
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        self.raw = raw
        self.log = log
        self.status = 0
        self.actor: str | None = None
        self.fault: str | None = None
        self.logged = False
        self.route_state: dict[str, Any] = scope.setdefault("state", {})  # what the route noted

    def record(self) -> None:
        if self.logged:
            return
        self.logged = True
        self.log.add(
            LoggedRequest(
                self.arrived,
                self.method,
                self.path,
                self.query,
                _json_or_none(self.raw),
                self.status,
                time.time() - self.arrived,
                self.actor,
                self.fault,
                tuple(self.route_state.get("unmodelled", ())),
            )
        )


class DoubleMiddleware:
    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope, await _read_body(receive), self.ctx.log)
        try:
            await self._serve(scope, receive, send, exchange)
        finally:
            exchange.record()

    async def _serve(self, scope: Scope, receive: Receive, send: Send, exchange: _Exchange) -> None:
        ctx = self.ctx
        method, path = exchange.method, exchange.path
        request_id = secrets.token_hex(8).upper()
        extra: dict[str, str] = {
            "x-github-request-id": request_id,
            "x-github-media-type": "github.v3; format=json",
        }

        async def respond(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                headers = MutableHeaders(scope=message)
                for k, v in extra.items():
                    headers[k] = v
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                exchange.record()
            await send(message)

        delay = ctx.faults.latency(method, path)
        if delay:
            await self._wait(delay, receive)
        fault = ctx.faults.take(method, path)
        if fault is not None:
            exchange.fault = fault.kind
            if fault.kind == "timeout":
                await self._wait(fault.hang, receive)
                await self._drop(send)
                return

        principal: Principal | None = None
        auth_error: ApiError | None = None
        try:
            principal = authenticate(
                path, Headers(scope=scope).get("authorization"), ctx.state, ctx.public_key
            )
        except ApiError as err:
            auth_error = err
        exchange.actor = principal.actor if principal else None
        budget = ctx.rate.consume(exchange.actor, "graphql" if path == "/graphql" else "core")
        extra.update(budget.headers())

        if fault is not None and fault.kind in ("status", "secondary_rate_limit", "primary_rate_limit"):
            await self._error(self._fault_error(fault, request_id, extra), scope, receive, respond)
            return
        if auth_error is not None:
            await self._error(auth_error, scope, receive, respond)
            return
        if budget.remaining < 0:
            message = f"API rate limit exceeded for {exchange.actor}."
            await self._error(ApiError(403, message, documentation_url=RATE_DOCS), scope, receive, respond)
            return
        writes = content_creating(method, path, _json_or_none(exchange.raw))
        wait = ctx.secondary.admit(exchange.actor, writes) if auth_error is None else None
        if wait is not None:  # GitHub's documented answer: 403, retry-after, the secondary-limit message
            exchange.fault = "secondary_limit_enforced"
            extra["retry-after"] = str(max(int(wait + 0.999), 1))
            err = ApiError(
                403,
                SECONDARY.format(rid=request_id),
                documentation_url=RATE_DOCS + "#about-secondary-rate-limits",
            )
            await self._error(err, scope, receive, respond)
            return
        scope.setdefault("state", {})["principal"] = principal
        replay = _Replay(exchange.raw, receive)
        if fault is not None and fault.kind == "succeed_then_fail":
            await self.app(scope, replay, _discard)
            await self._error(ApiError(fault.status, "Server Error"), scope, receive, respond)
            return
        await self.app(scope, replay, respond)

    def _fault_error(self, fault: Fault, request_id: str, extra: dict[str, str]) -> ApiError:
        if fault.kind == "secondary_rate_limit":
            extra["retry-after"] = str(fault.retry_after)
            return ApiError(
                403,
                SECONDARY.format(rid=request_id),
                documentation_url=RATE_DOCS + "#about-secondary-rate-limits",
            )
        if fault.kind == "primary_rate_limit":
            extra["x-ratelimit-remaining"] = "0"
            extra["x-ratelimit-reset"] = str(int(time.time()) + fault.reset_in)
            extra["x-ratelimit-used"] = extra.get("x-ratelimit-limit", "5000")
            return ApiError(
                fault.status, "API rate limit exceeded for installation.", documentation_url=RATE_DOCS
            )
        return ApiError(fault.status, "Server Error" if fault.status >= 500 else "Injected failure")

    async def _error(self, err: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(err.body(), status_code=err.status, headers=err.headers)
        await response(scope, receive, send)

    async def _drop(self, send: Send) -> None:
        """End a hung request without an answer: promise a body, send none, return (uvicorn then closes
        the connection; a client still waiting sees it cut)."""
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})

    async def _wait(self, seconds: float, receive: Receive) -> None:
        """Sleep up to `seconds`, ending early if the client disconnects or the double stops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        gone = asyncio.ensure_future(_until_disconnect(receive))
        try:
            while not gone.done() and not self.ctx.stopping.is_set():
                left = deadline - loop.time()
                if left <= 0:
                    break
                await asyncio.wait({gone}, timeout=min(left, 0.05))
        finally:
            gone.cancel()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _discard(message: Message) -> None:
    return None


class _Replay:
    """Hands the already-read body to the app once, then defers to the real `receive`."""

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body: bytes | None = body
        self.receive = receive

    async def __call__(self) -> Message:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        return await self.receive()
