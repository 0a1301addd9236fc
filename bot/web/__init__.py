"""The web process (FastAPI): `app` (create_app), `webhook` (POST /webhook), `status` (/healthz),
`artifacts` (the artifact pages and their sweeper).

May import: jobs' lower layers (github events, queue, store, artifacts) and settings; never cli."""

from bot.web.app import create_app
from bot.web.webhook import WebhookContext

__all__ = ["WebhookContext", "create_app"]
