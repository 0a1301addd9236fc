"""`report-bot worker --port N`: GET /healthz is 200 while the probe (the queue's database) answers, 503 when
it does not, and nothing else is served."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.cli.main import main
from bot.cli.worker_health import serve_health


async def test_healthz_follows_the_probe_and_nothing_else_is_served() -> None:
    healthy = True

    def probe() -> None:
        if not healthy:
            raise OSError("database gone")

    server = await serve_health("127.0.0.1", 0, probe)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            ok = await client.get("/healthz")
            assert (ok.status_code, ok.text) == (200, "ok\n")
            assert (await client.get("/")).status_code == 404
            assert (await client.post("/healthz")).status_code == 404
            healthy = False
            assert (await client.get("/healthz?x=1")).status_code == 503
    finally:
        server.close()
        await server.wait_closed()


async def test_a_client_that_sends_nothing_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.cli.worker_health.READ_TIMEOUT", 0.2)
    server = await serve_health("127.0.0.1", 0, lambda: None)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed without an answer
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_the_worker_takes_a_health_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--help"])
    assert exited.value.code == 0
    assert "--port" in capsys.readouterr().out
