"""One writer per place across processes: PostgreSQL advisory locks (a no-op on single-process SQLite)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.store import make_engine
from bot.store.locks import place_lock


async def test_two_replicas_take_turns_on_postgres(postgres_url: str) -> None:
    one, two = make_engine(postgres_url), make_engine(postgres_url)  # two engines: two "replicas"
    spans: list[tuple[str, float, float]] = []

    async def hold(engine, name: str) -> None:  # type: ignore[no-untyped-def]
        async with place_lock(engine, "course-org/group-1:branch:main"):
            start = time.monotonic()
            await asyncio.sleep(0.3)
            spans.append((name, start, time.monotonic()))

    try:
        await asyncio.gather(hold(one, "a"), hold(two, "b"))
        (_, _, first_end), (_, second_start, _) = sorted(spans, key=lambda s: s[1])
        assert second_start >= first_end  # the second held it only after the first let go
        # Different places do not wait for each other.
        t0 = time.monotonic()
        async with place_lock(one, "x"), place_lock(two, "y"):
            pass
        assert time.monotonic() - t0 < 0.3
    finally:
        one.dispose()
        two.dispose()


async def test_waiting_for_a_lock_can_be_cancelled(postgres_url: str) -> None:
    one, two = make_engine(postgres_url), make_engine(postgres_url)
    try:
        async with place_lock(one, "busy-place"):
            waiter = asyncio.create_task(_enter(two, "busy-place"))
            await asyncio.sleep(0.2)
            waiter.cancel()
            await asyncio.gather(waiter, return_exceptions=True)
            assert waiter.cancelled()
        async with place_lock(two, "busy-place"):  # released, and the cancelled waiter left nothing held
            pass
    finally:
        one.dispose()
        two.dispose()


async def _enter(engine, key: str) -> None:  # type: ignore[no-untyped-def]
    async with place_lock(engine, key):
        pass


async def test_sqlite_is_one_process_and_needs_no_database_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    async with place_lock(engine, "k"), place_lock(engine, "k"):  # re-entrant here: a no-op
        pass
    engine.dispose()
