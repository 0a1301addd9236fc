"""Helpers of the webhook benchmarks: start `bench/webhook_server.py`, signed push deliveries, percentiles,
and the server's peak RSS (VmHWM from /proc)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, db_url: str, *, hostile: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, str(ROOT / "bench" / "webhook_server.py"), db_url, str(self.port), SECRET]
        self.proc = subprocess.Popen(cmd + (["--hostile"] if hostile else []), cwd=ROOT)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/healthz", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the benchmark server did not start") from None
                time.sleep(0.05)

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the server process and its children (the check pool), in MB."""
        total = 0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        return total / 1024

    def rss_of_server_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(k) for k in kids]
    for k in list(out):
        out += _children(k)
    return out


def delivery(i: int) -> tuple[bytes, dict[str, str]]:
    payload = {
        "ref": "refs/heads/main",
        "repository": {
            "id": 1 + i % 500,
            "name": f"group-{i % 500}",
            "full_name": f"org/group-{i % 500}",
            "owner": {"login": "org", "name": "org"},
            "default_branch": "main",
        },
        "installation": {"id": 7},
        "sender": {"login": "student", "type": "User"},
        "commits": [{"added": [], "removed": [], "modified": ["reports/README.md"]}],
    }
    body = json.dumps(payload).encode()
    return body, {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def db_url(tmp: str) -> str:
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
