"""`GET /artifacts/{token}/{filename}` (and `HEAD`, the same without a body): serves stored artifacts inside
a sandboxing CSP, never cached (`Cache-Control: no-store`), plus the sweeper."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from bot.artifacts import ArtifactExpired, ArtifactStore, valid_token

log = logging.getLogger(__name__)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
GONE_BODY = "This link is not valid or has expired. Ask the bot again, e.g. with `/report html`.\n"
"""The same body for an unknown and an expired link."""


def _refuse(status: int) -> Response:
    return PlainTextResponse(
        GONE_BODY, status_code=status, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"}
    )


def artifact_router(store: ArtifactStore) -> APIRouter:
    router = APIRouter()

    @router.api_route("/artifacts/{token}/{filename}", methods=["GET", "HEAD"], include_in_schema=False)
    def serve_artifact(request: Request, token: str, filename: str, download: str | None = None) -> Response:
        response = _artifact(token, filename, download)
        if request.method == "HEAD":  # the same status and headers (Content-Length included), no body
            return Response(status_code=response.status_code, headers=dict(response.headers))
        return response

    def _artifact(token: str, filename: str, download: str | None) -> Response:
        # A plain `def`: FastAPI runs it in a thread, so a slow backend never blocks the event loop.
        if not valid_token(token):
            return _refuse(404)
        try:
            artifact = store.get(token)
        except ArtifactExpired as exc:
            return _refuse(410 if filename == exc.filename else 404)
        if artifact is None or filename != artifact.filename:
            return _refuse(404)
        disposition = "attachment" if download in ("1", "true", "yes") else "inline"
        headers = {
            **SECURITY_HEADERS,
            "Cache-Control": "no-store",  # a capability link: never kept by a browser or proxy cache
            "Content-Disposition": f'{disposition}; filename="{artifact.filename}"',
        }
        return Response(artifact.data, media_type=artifact.content_type, headers=headers)

    return router


async def sweep_forever(store: ArtifactStore, interval_s: float, stop: asyncio.Event) -> int:
    """Sweep expired artifacts every `interval_s` seconds until `stop` is set; returns how many were deleted.

    A failing sweep is logged and retried on the next round; it never ends the loop.
    """
    total = 0
    while not stop.is_set():
        try:
            total += await asyncio.to_thread(store.sweep, datetime.now(UTC))
        except Exception:
            log.exception("artifact sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
    return total
