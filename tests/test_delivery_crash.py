"""No delivery is lost between recording and enqueueing: the webhook process is killed with SIGKILL again
and again during a stream of deliveries, everything that got no answer is redelivered (as GitHub's
"Redeliver" does), and every delivery ends with its job exactly once. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from conftest import ROOT
from db_backends import *  # noqa: F403
from e2e_harness import free_port
from sqlalchemy import func, select
from test_webhook_hostile import SECRET, headers, push

from bot.store import make_engine
from bot.store.models import deliveries_table, jobs_table

DELIVERIES = 150
ROUNDS = 6


class _Proc:
    def __init__(self, db_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "webhook_proc.py"), db_url, str(self.port), SECRET],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, log.read_text()[-2000:]
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=0.5)
                return
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def _send(url: str, delivery: str, body: bytes) -> int | None:
    try:
        return httpx.post(url, content=body, headers=headers(body, "push", delivery), timeout=5).status_code
    except httpx.HTTPError:
        return None


def test_kill_9_during_deliveries_loses_none(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(13)
    deliveries = {f"crash-{uuid.uuid4()}": json.dumps(push(f"group-{i}")).encode() for i in range(DELIVERIES)}
    answered: dict[str, int] = {}
    pending = list(deliveries)
    log = tmp_path / "webhook.log"
    lock = threading.Lock()
    for _ in range(ROUNDS):
        proc = _Proc(db_url, log)
        batch, pending = pending[:40], pending[40:]

        def worker(ids: list[str], url: str = proc.url) -> None:
            for d in ids:
                status = _send(url, d, deliveries[d])
                if status is not None and status < 500:
                    with lock:
                        answered[d] = status

        threads = [threading.Thread(target=worker, args=(batch[k::6],)) for k in range(6)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 0.4))
        proc.kill()  # mid-stream: some requests are in flight, some transactions half done
        for t in threads:
            t.join()
        pending += [d for d in batch if d not in answered]
    # GitHub's redelivery of everything that got no answer (or a 5xx), until each is answered.
    proc = _Proc(db_url, log)
    try:
        for d in deliveries:
            if d not in answered:
                status = _send(proc.url, d, deliveries[d])
                assert status in (200, 202), status
                answered[d] = status
    finally:
        proc.kill()
    assert set(answered) == set(deliveries)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            recorded = {r.guid for r in conn.execute(select(deliveries_table.c.guid))}
            per_key = dict(
                conn.execute(select(jobs_table.c.key, func.count()).group_by(jobs_table.c.key)).all()
            )
    finally:
        engine.dispose()
    assert recorded == set(deliveries)
    expected = {f"check:org/group-{i}:branch:main" for i in range(DELIVERIES)}
    assert set(per_key) == expected  # every delivery has its job ...
    assert set(per_key.values()) == {1}  # ... exactly once
