"""Write pacing across processes on PostgreSQL (`PgWritePacer`): two processes writing for one installation
keep GitHub's spacing between them, never overlap, and a pause one of them records holds the other."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from db_backends import pg_session_url_fixture  # noqa: F401  (the fixture)
from sqlalchemy import Engine, delete, select

from bot.queue import PgWritePacer, Superseded, WritePacer, make_pacer
from bot.store import make_engine
from bot.store.write_pacing import write_lanes_table, write_starts_table

pytestmark = pytest.mark.postgres

WRITER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from bot.queue import PgWritePacer
    from bot.store import make_engine

    url, n, interval, hold, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])

    async def main():
        engine = make_engine(url)
        with engine.connect() as conn:  # connected before the start: a slow first connection under load
            conn.exec_driver_sql("SELECT 1")  # must not make one process start after the other finished
        pacer = PgWritePacer(engine, interval, per_hour=100000)  # write_starts logs each start
        spans = []
        while time.time() < start_at:
            await asyncio.sleep(0.005)
        for _ in range(n):
            async with pacer.slot(4242):
                began = time.time()
                await asyncio.sleep(hold)  # the write's own time
                spans.append((began, time.time()))
        print(json.dumps(spans))

    asyncio.run(main())
    """
)


@pytest.fixture
def pg_engine(pg_session_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_session_url)
    with eng.begin() as conn:
        conn.execute(delete(write_lanes_table))
        conn.execute(delete(write_starts_table))
    yield eng
    eng.dispose()


def _writers(
    url: str, processes: int, n: int, interval: float, hold: float
) -> list[list[tuple[float, float]]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start_at = time.time() + 6.0  # both are running (imports done, connected) before either writes
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(n), str(interval), str(hold), str(start_at)],
            stdout=subprocess.PIPE,
            env=env,
        )
        for _ in range(processes)
    ]
    out = []
    for p in procs:
        stdout, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        out.append([tuple(span) for span in json.loads(stdout)])
    return out  # type: ignore[return-value]


def test_two_processes_keep_the_spacing_between_them_and_never_overlap(
    pg_session_url: str, pg_engine: Engine
) -> None:
    interval, n = 0.1, 12
    per_process = _writers(pg_session_url, 2, n, interval, hold=0.03)
    spans = sorted(s for spans in per_process for s in spans)
    assert len(spans) == 2 * n and all(len(p) == n for p in per_process)
    with pg_engine.connect() as conn:  # the starts by the database's clock, as the pacer took them
        starts = sorted(conn.execute(select(write_starts_table.c.at)).scalars())
    assert len(starts) == 2 * n
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= interval, gaps
    assert all(a[1] <= b[0] + 0.002 for a, b in itertools.pairwise(spans)), "two writes overlapped"
    total = starts[-1] - starts[0]
    floor = (2 * n - 1) * interval
    assert floor <= total <= floor * 1.5, (total, floor)  # close to the floor: the slots are used
    a, b = per_process  # both processes wrote at the same time, not one after the other
    assert a[0][0] < b[-1][0] and b[0][0] < a[-1][0]


async def test_a_pause_recorded_by_one_process_holds_the_others(
    pg_session_url: str, pg_engine: Engine
) -> None:
    other = make_engine(pg_session_url)  # another process's engine and pacer
    try:
        mine, theirs = PgWritePacer(pg_engine, 0.0), PgWritePacer(other, 0.0)
        await theirs.pause(7, 1.0)  # "GitHub answered 403 with retry-after: 1" in the other process
        assert 0.5 < mine.paused_for(7) <= 1.0
        t0 = time.monotonic()
        async with mine.slot(7):
            waited = time.monotonic() - t0
        assert 0.9 <= waited <= 1.6
        t0 = time.monotonic()
        async with mine.slot(8):  # another installation is not paused
            assert time.monotonic() - t0 < 0.3
    finally:
        other.dispose()


async def test_hourly_limit_and_dropped_writes_across_pacers(pg_session_url: str, pg_engine: Engine) -> None:
    other = make_engine(pg_session_url)
    try:
        a, b = PgWritePacer(pg_engine, 0.0, per_hour=3), PgWritePacer(other, 0.0, per_hour=3)
        for pacer in (a, b, a):
            async with pacer.slot(9):
                pass
        wait = await asyncio.to_thread(b._try_take, 9, False)
        assert 3590 < wait <= 3600  # the fourth write of the hour waits for the first to leave it
    finally:
        other.dispose()

    slow = PgWritePacer(pg_engine, 1.2)
    async with slow.slot(10):
        pass

    async def newer() -> bool:
        return True

    with pytest.raises(Superseded):
        async with slow.slot(10, newer):
            raise AssertionError("the dropped write ran")


def test_make_pacer_picks_the_backend(pg_engine: Engine, tmp_path: Path) -> None:
    assert isinstance(make_pacer(pg_engine, 80, 500), PgWritePacer)
    sqlite = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        pacer = make_pacer(sqlite, 80, 500)
        assert isinstance(pacer, WritePacer) and 0.75 < pacer.interval < 0.77 and pacer.per_hour == 500
        assert isinstance(make_pacer(sqlite, 80, 0, interval=0.02), WritePacer)
    finally:
        sqlite.dispose()


async def test_the_slot_of_a_process_that_died_mid_write_is_free_after_its_lease(pg_engine: Engine) -> None:
    """A worker SIGKILLed inside a write never releases the slot: the others write again once the lease (what
    one write may take: `wiring.write_lease` of the request timeout) has run out, not a minute later."""
    from bot.cli.wiring import write_lease

    dead = PgWritePacer(pg_engine, 0.0, lease=1.0)
    assert await asyncio.to_thread(dead._try_take, 4343) == 0.0  # took it; its process dies: no release
    live = make_pacer(pg_engine, 80, 0, 0.0, lease=1.0)
    started = time.monotonic()
    async with live.slot(4343):
        waited = time.monotonic() - started
    assert 0.7 < waited < 5, waited
    assert (
        write_lease(3) == 11 and write_lease(10) == 25
    )  # the bot's: from REPORT_BOT_REQUEST_TIMEOUT_SECONDS
    assert isinstance(make_pacer(pg_engine, 80, 0, lease=11), PgWritePacer)
    assert make_pacer(pg_engine, 80, 0, lease=11).lease == 11  # type: ignore[union-attr]
