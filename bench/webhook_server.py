"""The web process of `report-bot serve` for the benchmarks: the webhook over a real socket (uvicorn, the
same protocol and limits as serve), no GitHub and no worker.

    python bench/webhook_server.py DB_URL PORT SECRET [--hostile]

With `--hostile` the process also keeps checking a pathological report through the check pool, as the
worker of `serve` would while a student's hostile push is being checked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from bot.jobs import cpu  # noqa: E402
from bot.queue import JobQueue  # noqa: E402
from bot.report.rules import builtin  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store, init_db, make_engine  # noqa: E402
from bot.web import WebhookContext, create_app  # noqa: E402
from bot.web.http import header_deadline_protocol  # noqa: E402
from bot.web.intake import BodyBudget  # noqa: E402

HOSTILE = "### Question 1\n\n> Answer:\n\n" + "# a" + " " * 200_000 + "x\n" + "![](" * 3000 + "\n"


async def _hostile_checks(stop: asyncio.Event) -> None:
    rules = builtin("dtu-mlops-2026")
    while not stop.is_set():
        with contextlib.suppress(cpu.OutOfTime):
            await cpu.pool().run(
                cpu.check_and_render, HOSTILE, rules, None, "reports", "bench", "0" * 40, 60000
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db_url")
    ap.add_argument("port", type=int)
    ap.add_argument("secret")
    ap.add_argument("--hostile", action="store_true")
    args = ap.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engine = make_engine(args.db_url)
    init_db(engine)
    ctx = WebhookContext(
        Store(engine),
        JobQueue(engine),
        args.secret,
        read_timeout=settings.webhook_read_timeout_seconds,
        budget=BodyBudget(int(settings.webhook_unverified_max_mb * 1024 * 1024)),
    )
    cpu.configure(settings.check_processes, settings.check_time_budget_seconds)
    app = create_app(ctx)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        http=header_deadline_protocol(settings.webhook_read_timeout_seconds),
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(_hostile_checks(stop)) if args.hostile else None
        await server.serve()
        stop.set()
        if task is not None:
            task.cancel()

    asyncio.run(run())


if __name__ == "__main__":
    main()
