"""The bot's processes of bench/burst.py: `report-bot serve` (embedded, or web on PostgreSQL) and `report-bot
worker`, started against the double, with their peak RSS (VmHWM of the process and its check pool)."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from github_double import GitHubDouble

ROOT = Path(__file__).resolve().parent.parent
SECRET = "burst-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -------------------------------------------------------------------------------------------- processes
@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    url: str | None = None
    peak_mb: float = 0.0

    def sample(self) -> None:
        self.peak_mb = max(self.peak_mb, _tree_hwm_mb(self.popen.pid))

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        kids = [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _tree_hwm_mb(pid: int) -> float:
    """Peak RSS of a process and its children (the check pool), in MB."""
    return sum(_hwm_kb(p) for p in [pid, *_children(pid)]) / 1024


def _env(double: GitHubDouble, pem: str, db: str, work: Path, args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REPORT_BOT_APP_ID": str(double.app_id),
        "REPORT_BOT_PRIVATE_KEY": pem,
        "REPORT_BOT_WEBHOOK_SECRET": SECRET,
        "REPORT_BOT_GITHUB_API_URL": double.url,
        "REPORT_BOT_DATABASE_URL": db,
        "REPORT_BOT_ARTIFACT_DIR": str(work / "artifacts"),
        "REPORT_BOT_WRITES_PER_MINUTE": str(args.per_minute),
        "REPORT_BOT_WRITES_PER_HOUR": str(args.per_hour),
        "REPORT_BOT_WORKER_CONCURRENCY": str(args.concurrency),
        "REPORT_BOT_INSTALLATION_CONCURRENCY": str(args.per_installation),
        "REPORT_BOT_LOG_LEVEL": "WARNING",
    }


def _start(name: str, cmd: list[str], env: dict[str, str], work: Path, port: int | None) -> Proc:
    log = (work / f"{name}.log").open("ab")
    popen = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *cmd], cwd=work, env=env, stdout=log, stderr=log
    )
    proc = Proc(name, popen, f"http://127.0.0.1:{port}" if port else None)
    if proc.url:
        deadline = time.monotonic() + 60
        while True:
            if popen.poll() is not None:
                raise SystemExit(f"{name} exited {popen.returncode}: see {work / (name + '.log')}")
            try:
                if httpx.get(proc.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not become healthy: see {work / (name + '.log')}")
            time.sleep(0.1)
    return proc


def start_bot(mode: str, double: GitHubDouble, pem: str, work: Path, args: argparse.Namespace) -> list[Proc]:
    if mode == "embedded":
        env = _env(double, pem, f"sqlite:///{work / 'bot.db'}", work, args)
        port = free_port()
        return [_start("serve", ["serve", "--host", "127.0.0.1", "--port", str(port)], env, work, port)]
    env = _env(double, pem, args.database_url, work, args)
    procs = []
    for i in range(args.web):
        port = free_port()
        procs.append(
            _start(f"web{i}", ["serve", "--host", "127.0.0.1", "--port", str(port)], env, work, port)
        )
    for i in range(args.workers):
        procs.append(
            _start(f"worker{i}", ["worker", "--concurrency", str(args.concurrency)], env, work, None)
        )
    return procs


ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_postgres_database() -> str:
    """A new database `burst_<pid>_<time>` on the local server (`drop_database` removes it)."""
    import psycopg

    name = f"burst_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
