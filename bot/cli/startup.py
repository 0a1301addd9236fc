"""What `report-bot serve` checks before it listens: the database opens, and GitHub accepts the App's
credentials (`GET /app`); it logs the App's slug, its installations and the webhook URL it expects.

Every failure an operator can fix is a `BadInput` with one line (exit 2), never a traceback."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from bot.errors import BadInput

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.github.client import GitHubApp
    from bot.web.status import AppIdentity

log = logging.getLogger("bot.cli.serve")
_QUIET = {
    "markdown_it": logging.INFO,
    "hpack": logging.INFO,
    "httpcore": logging.INFO,
    "httpx": logging.WARNING,
    "procrastinate": logging.WARNING,  # a line per job start and end; the bot logs what went wrong
}
"""Libraries whose logs drown ours (markdown-it's DEBUG, a line per HTTP request): at least these levels.
A failed GitHub call is logged by the bot itself, with GitHub's status and message."""


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)  # also when a handler was there already
    for name, floor in _QUIET.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLogger().level))


def safe_url(database_url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def open_database(database_url: str) -> Engine:
    """The engine with its tables (the store's and the queue's: `bot.queue.setup_schema`) made, or BadInput
    naming what is wrong with REPORT_BOT_DATABASE_URL."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

    from bot.queue import setup_schema
    from bot.store import make_engine

    shown = safe_url(database_url)
    var = "REPORT_BOT_DATABASE_URL"
    try:
        engine = make_engine(database_url)
    except (ArgumentError, ValueError) as exc:
        raise BadInput(f"{var}: {shown} is not a usable database URL ({_first_line(exc)})") from None
    except (NoSuchModuleError, ImportError) as exc:
        raise BadInput(f"{var}: {shown}: the database driver is not installed ({_first_line(exc)})") from None
    try:
        setup_schema(engine)
    except OperationalError as exc:
        raise BadInput(f"{var}: cannot open {shown}: {_first_line(exc.orig or exc)}") from None
    except SQLAlchemyError as exc:
        raise BadInput(f"{var}: {shown}: {_first_line(exc)}") from None
    return engine


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def check_app(gh: GitHubApp, public_url: str) -> AppIdentity | None:
    """`GET /app` and its installations: log who the App is and return it (for the status page), or
    BadInput when GitHub refuses the App's credentials. GitHub being unreachable is only a warning (the
    queue retries once it answers): None."""
    from bot.github.client import credentials_problem, describe
    from bot.web.status import AppIdentity

    try:
        app, installations = asyncio.run(_app_and_installations(gh))
    except Exception as exc:
        problem = credentials_problem(exc)
        if problem is not None:
            raise BadInput(problem) from None
        log.warning("could not ask GitHub who the App is (starting anyway): %s", describe(exc))
        return None
    slug = app.get("slug") or "?"
    names = ", ".join(f"{login} ({iid})" for iid, login in installations) or "none yet"
    log.info("GitHub App %s (id %s) at %s", slug, app.get("id"), gh.api_url)
    log.info("installed on %d account(s): %s", len(installations), names)
    log.info("webhook URL GitHub must send to: %s/webhook (the App's settings on GitHub)", public_url)
    return AppIdentity(
        int(app.get("id") or 0), str(app.get("name") or slug), str(slug), str(app.get("html_url") or "")
    )


async def _app_and_installations(gh: GitHubApp) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    client = gh.app()
    app: Any = (await client.rest.apps.async_get_authenticated()).json()
    found: list[tuple[int, str]] = []
    pages = client.rest.paginate(client.rest.apps.async_list_installations, per_page=100)
    async for inst in pages:
        account = getattr(inst, "account", None)
        login = getattr(account, "login", None) or getattr(account, "slug", None) or "?"
        found.append((inst.id, str(login)))
        if len(found) >= 1000:
            break
    return app if isinstance(app, dict) else {}, found
