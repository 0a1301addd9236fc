"""The webhook alone in a process (no worker, no GitHub): `python tests/webhook_proc.py DB_URL PORT SECRET`.

The kill -9 test starts it, sends deliveries and kills it mid-stream; the jobs stay in the table unworked."""

from __future__ import annotations

import sys

import uvicorn

from bot.queue import JobQueue
from bot.store import Store, init_db, make_engine
from bot.web import WebhookContext, create_app


def main() -> None:
    url, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    engine = make_engine(url)
    init_db(engine)
    app = create_app(WebhookContext(Store(engine), JobQueue(engine), secret))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
