"""Load test of the webhook: signed deliveries from 50 concurrent clients for 20 s, alone and with 40
unsigned 24 MB uploads in flight at the same time. Prints p50/p99 acknowledgement latency, throughput
and the server's peak RSS, side by side.

    .venv/bin/python bench/load.py [--seconds 20] [--clients 50] [--uploads 40]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python bench/load.py

Goals: p99 under 50 ms without the uploads; peak RSS under 300 MB with them (the unverified bytes buffered
at once are capped by REPORT_BOT_WEBHOOK_UNVERIFIED_MAX_MB, beyond it the answer is 503).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _client import Server, db_url, delivery, percentile

UPLOAD = 24 * 1024 * 1024


async def _signed(port: int, clients: int, seconds: float) -> tuple[list[float], Counter[int]]:
    """`clients` keep-alive connections, each sending one delivery after another (a minimal HTTP/1.1
    client: httpx would spend more CPU than the server on this 2-core machine)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + seconds

    async def one(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        try:
            while time.monotonic() < deadline:
                body, headers = delivery(i)
                head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
                request = (
                    f"POST /webhook HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(body)}\r\n{head}\r\n"
                )
                start = time.perf_counter()
                writer.write(request.encode() + body)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                statuses[int(status_line.split()[1])] += 1
                i += clients
        finally:
            writer.close()

    await asyncio.gather(*(one(k) for k in range(clients)))
    return latencies, statuses


def _uploader(port: int, stop_at: float, counts: multiprocessing.SimpleQueue) -> None:  # type: ignore[type-arg]
    """One unsigned 24 MB upload after another (a wrong signature: the server must read before it knows)."""
    chunk = b" " * (1024 * 1024)
    head = (
        f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"
        f"X-GitHub-Delivery: upload\r\nX-Hub-Signature-256: sha256={'0' * 64}\r\nContent-Length: {UPLOAD}\r\n\r\n"
    ).encode()
    seen: Counter[str] = Counter()
    while time.monotonic() < stop_at:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(head)
                sent = 0
                while sent < UPLOAD and time.monotonic() < stop_at:
                    s.sendall(chunk)
                    sent += len(chunk)
                seen[s.recv(64).split(b" ")[1].decode() if sent else "?"] += 1
        except (OSError, IndexError):
            seen["refused mid-upload"] += 1
            time.sleep(0.05)
    counts.put(dict(seen))


def phase(url_db: str, seconds: float, clients: int, uploads: int) -> dict[str, object]:
    server = Server(url_db)
    try:
        ctx = multiprocessing.get_context("fork")
        results = ctx.SimpleQueue()
        stop_at = time.monotonic() + seconds + 1
        procs = [ctx.Process(target=_uploader, args=(server.port, stop_at, results)) for _ in range(uploads)]
        for p in procs:
            p.start()
        if uploads:
            time.sleep(1)  # the uploads are in flight before the measurement starts
        latencies, statuses = asyncio.run(_signed(server.port, clients, seconds))
        for p in procs:
            p.join(40)
        upload_answers: Counter[str] = Counter()
        while not results.empty():
            upload_answers.update(results.get())
        return {
            "n": len(latencies),
            "p50": percentile(latencies, 0.5) * 1000,
            "p99": percentile(latencies, 0.99) * 1000,
            "statuses": dict(statuses),
            "rss": server.peak_rss_mb(),
            "server_rss": server.rss_of_server_mb(),
            "uploads": dict(upload_answers),
        }
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--uploads", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        alone = phase(db_url(tmp + "/a"), args.seconds, args.clients, 0)
        loaded = phase(db_url(tmp + "/b"), args.seconds, args.clients, args.uploads)
    print(
        f"{args.clients} concurrent signed deliveries for {args.seconds:.0f} s ({db_url('…').split(':')[0]})"
    )
    print(f"{'':34s} {'alone':>12s} {'with uploads':>14s}")
    print(f"{'deliveries acknowledged':34s} {alone['n']:>12} {loaded['n']:>14}")
    print(f"{'p50 ack latency (ms)':34s} {alone['p50']:>12.1f} {loaded['p50']:>14.1f}")
    print(f"{'p99 ack latency (ms)':34s} {alone['p99']:>12.1f} {loaded['p99']:>14.1f}")
    print(f"{'peak RSS, web process (MB)':34s} {alone['server_rss']:>12.0f} {loaded['server_rss']:>14.0f}")
    print(f"{'peak RSS, with check pool (MB)':34s} {alone['rss']:>12.0f} {loaded['rss']:>14.0f}")
    print(f"ratio p99 with/without uploads: {loaded['p99'] / alone['p99']:.2f}")  # type: ignore[operator]
    print(f"answers to signed deliveries: alone {alone['statuses']}, with uploads {loaded['statuses']}")
    print(f"answers to the {args.uploads} uploaders: {loaded['uploads']}")


if __name__ == "__main__":
    main()
