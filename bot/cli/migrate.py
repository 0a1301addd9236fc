"""`report-bot migrate`: create or upgrade the tables of REPORT_BOT_DATABASE_URL, then exit.

Run once per deployment before the web replicas and the workers start (the compose `migrate` service, the
Kubernetes Job, the Cloud Run job). Those also migrate at start (`open_database`), under the same lock, so
running it again, or not at all on a single process, is harmless. A database that cannot be opened is one
line on stderr and exit status 2, as for `serve`.
"""

from __future__ import annotations

import argparse
import logging
import sys

from bot.errors import BadInput

log = logging.getLogger("bot.cli.migrate")


def run_migrate(_args: argparse.Namespace) -> int:
    from pydantic import ValidationError
    from sqlalchemy import select

    from bot.cli.output import emit
    from bot.cli.startup import configure_logging, open_database, safe_url
    from bot.settings import Settings
    from bot.store.models import SchemaVersion

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"REPORT_BOT_{str(first['loc'][0]).upper()}: {first['msg']}") from None
    configure_logging(settings.log_level)
    engine = open_database(settings.database_url)  # every table: the store's and the queue's (setup_schema)
    try:
        with engine.connect() as conn:
            version = conn.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar_one()
        queue = "; the queue's tables (procrastinate) too" if engine.dialect.name == "postgresql" else ""
    finally:
        engine.dispose()
    emit(f"database {safe_url(settings.database_url)} is at schema version {version}{queue}", sys.stdout)
    return 0
