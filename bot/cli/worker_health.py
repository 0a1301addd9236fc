"""`report-bot worker --port N`: a worker's own `GET /healthz` (200 when the database and the queue answer,
503 when not), for platforms that start an instance only once its container answers on a port (Cloud Run's
startup probe) or that probe liveness over HTTP. A few bytes of HTTP/1.1 on asyncio's server: a worker has
no web stack to run, and every other path is 404."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger("bot.cli.worker")
READ_TIMEOUT = 5.0
MAX_REQUEST_LINE = 8192


async def serve_health(host: str, port: int, probe: Callable[[], object]) -> asyncio.Server:
    """Listen on host:port; `probe` (run in a thread) raises when the worker is not healthy."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
            parts = line[:MAX_REQUEST_LINE].decode("latin-1").split()
            if len(parts) >= 2 and parts[0] in ("GET", "HEAD") and parts[1].split("?")[0] == "/healthz":
                try:
                    await asyncio.to_thread(probe)
                    status, text = "200 OK", "ok\n"
                except Exception as exc:  # the database or the queue does not answer
                    log.warning("healthz: %s", type(exc).__name__)
                    status, text = "503 Service Unavailable", "unavailable\n"
            else:
                status, text = "404 Not Found", "not found\n"
            body = b"" if parts[:1] == ["HEAD"] else text.encode()
            head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(text)}\r\n"
            writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return await asyncio.start_server(answer, host, port)
