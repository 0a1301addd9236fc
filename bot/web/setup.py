"""Setup without reading docs: GitHub's app-manifest flow (as Probot does it).

With no App credentials, `/` shows "Register GitHub App" for a personal account or an organisation. The
form posts the manifest built from `app.yml` (its URLs rewritten to this server's public URL) and a random
one-time `state` to `POST /setup/register`, which sends the browser on (307: same method, same body) to
GitHub's `settings/apps/new` or `organizations/ORG/settings/apps/new`. GitHub sends the browser back to
`/setup/callback?code=...&state=...`: a wrong, expired or replayed `state` is refused; the code is exchanged
(`POST /app-manifests/{code}/conversions`, through githubkit) for the App id, slug, private key and webhook
secret, which are written to `.env` (mode 0600; an existing `.env` is replaced only after the instructor
says so, its other lines kept), and `activate` makes this very process serve as the new App."""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from githubkit import GitHub
from githubkit.exception import GitHubException, RequestFailed

STATE_TTL = 3600.0
"""A state (and GitHub's code) is good for an hour."""
PLACEHOLDER = "https://YOUR-HOST"
MAX_FORM = 64 * 1024
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
CREDENTIAL_KEYS = ("REPORT_BOT_APP_ID", "REPORT_BOT_PRIVATE_KEY", "REPORT_BOT_WEBHOOK_SECRET")
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https:; base-uri 'none'"


@dataclass(frozen=True)
class AppCredentials:
    """What GitHub hands over for a newly registered App."""

    app_id: int
    slug: str
    name: str
    html_url: str
    pem: str
    webhook_secret: str

    @property
    def install_url(self) -> str:
        return f"{self.html_url.rstrip('/')}/installations/new"


def load_manifest(path: Path, public_url: str) -> dict[str, Any]:
    """`app.yml` with every `https://YOUR-HOST` replaced by `public_url` (no trailing slash)."""
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a mapping")
    base = public_url.rstrip("/")

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(PLACEHOLDER, base)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return dict(fill(data))


def env_text(creds: AppCredentials, keep: str = "") -> str:
    """The `.env` with the App's credentials; `keep` is an existing `.env` whose other lines stay."""
    kept = [
        line
        for line in keep.splitlines()
        if line.split("=", 1)[0].strip().removeprefix("export ").strip() not in CREDENTIAL_KEYS
    ]
    pem = creds.pem.strip().replace("\r\n", "\n").replace("\n", "\\n")
    lines = [
        *kept,
        f"# GitHub App {creds.slug} ({creds.html_url}), registered by report-bot's setup page",
        f"REPORT_BOT_APP_ID={creds.app_id}",
        f'REPORT_BOT_PRIVATE_KEY="{pem}"',
        f"REPORT_BOT_WEBHOOK_SECRET={creds.webhook_secret}",
    ]
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str, *, replace: bool) -> None:
    """Write `text` to `path` with mode 0600 from the first byte; refuse to replace unless `replace`."""
    if not replace:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


class StaleCode(Exception):
    """GitHub no longer knows the code (used already, or older than an hour)."""


async def exchange_code(code: str, api_url: str, timeout: float = 10.0) -> AppCredentials:
    """`POST /app-manifests/{code}/conversions` (no authentication: the code is the credential)."""
    gh: GitHub[Any] = GitHub(base_url=api_url.rstrip("/") + "/", timeout=timeout, auto_retry=False)
    try:
        resp = await gh.rest.apps.async_create_from_manifest(code)
    except RequestFailed as exc:
        if exc.response.status_code in (404, 410, 422):
            raise StaleCode() from None
        raise
    data: Any = resp.json()
    return AppCredentials(
        app_id=int(data["id"]),
        slug=str(data["slug"]),
        name=str(data.get("name") or data["slug"]),
        html_url=str(data.get("html_url") or f"https://github.com/apps/{data['slug']}"),
        pem=str(data["pem"]),
        webhook_secret=str(data["webhook_secret"]),
    )


@dataclass
class SetupFlow:
    """The state of one server's registration; `activate` switches the process to the new App."""

    manifest: dict[str, Any]
    env_path: Path
    activate: Callable[[AppCredentials], Awaitable[None]]
    api_url: str = "https://api.github.com"
    github_url: str = "https://github.com"
    clock: Callable[[], float] = time.monotonic
    registered: AppCredentials | None = None
    _states: dict[str, float] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _pending: dict[str, AppCredentials] = field(default_factory=dict)

    def new_state(self) -> str:
        now = self.clock()
        for s, at in list(self._states.items()):
            if now - at > STATE_TTL:
                del self._states[s]
        state = secrets.token_urlsafe(32)
        self._states[state] = now
        return state

    def state_problem(self, state: str, *, consume: bool) -> str | None:
        """None when `state` was issued here, is fresh and unused (then used up when `consume`)."""
        if state in self._used:
            return "This link was already used. Start again from the setup page."
        issued = self._states.get(state)
        if issued is None:
            return "This request did not start on this server's setup page (unknown state)."
        if self.clock() - issued > STATE_TTL:
            del self._states[state]
            return "The registration took longer than an hour. Start again from the setup page."
        if consume:
            del self._states[state]
            self._used.add(state)
        return None

    def target(self, account: str, org: str) -> str | None:
        """GitHub's new-App page for a personal account or the organisation `org` (None: not a login)."""
        if account == "personal":
            return f"{self.github_url}/settings/apps/new"
        if account == "organization" and _LOGIN.fullmatch(org.strip()):
            return f"{self.github_url}/organizations/{org.strip()}/settings/apps/new"
        return None

    async def finish(self, creds: AppCredentials, *, replace: bool) -> None:
        keep = self.env_path.read_text("utf-8") if replace and self.env_path.exists() else ""
        write_private(self.env_path, env_text(creds, keep), replace=replace)
        self.registered = creds
        await self.activate(creds)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)} · report-bot</title>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;"
        "color:#1f2328}h1{font-size:1.6rem}fieldset{border:1px solid #d0d7de;border-radius:6px;"
        "padding:1rem;margin:1rem 0}button{font:inherit;padding:.5rem 1rem;border-radius:6px;"
        "border:1px solid #1f883d;background:#1f883d;color:#fff;cursor:pointer}input[type=text]"
        "{font:inherit;padding:.3rem}code{background:#f6f8fa;padding:0 .2rem}.bad{color:#cf222e}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers={"content-security-policy": PAGE_CSP})


def setup_page(flow: SetupFlow) -> HTMLResponse:
    """The register form: the manifest and a fresh state, posted to /setup/register."""
    state = flow.new_state()
    manifest = html.escape(json.dumps(flow.manifest), quote=True)
    body = (
        "<p>This server has no GitHub App yet. Register one: GitHub shows you the App with its "
        "permissions and webhook already filled in from <code>app.yml</code>; you confirm, and this "
        "server starts as that App at once (the credentials are written to <code>.env</code>).</p>"
        '<form method=post action="/setup/register">'
        f'<input type=hidden name=manifest value="{manifest}">'
        f'<input type=hidden name=state value="{state}">'
        "<fieldset><legend>Who will own the App?</legend>"
        "<p><label><input type=radio name=account value=organization checked> the course organisation: "
        '<input type=text name=org placeholder="organisation name" autocomplete=off></label></p>'
        "<p><label><input type=radio name=account value=personal> my personal account</label></p>"
        "</fieldset><button type=submit>Register GitHub App</button></form>"
        f"<p>Webhook URL: <code>{html.escape(str(flow.manifest.get('hook_attributes', {}).get('url')))}"
        "</code> — GitHub must be able to reach it.</p>"
    )
    return _page("Set up report-bot", body)


def _done_page(creds: AppCredentials) -> HTMLResponse:
    body = (
        f"<p>The GitHub App <b>{html.escape(creds.name)}</b> (<code>{html.escape(creds.slug)}</code>, "
        f"id {creds.app_id}) is registered, its credentials are in <code>.env</code> (mode 0600), and "
        "this server now serves as that App.</p>"
        f'<p><a href="{html.escape(creds.install_url, quote=True)}">Install it on the course organisation'
        "</a> (All repositories): every group repository with a report gets its pinned issue.</p>"
    )
    return _page("report-bot is set up", body)


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form (first value of each field); a body over MAX_FORM reads as empty."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def setup_router(flow: SetupFlow) -> APIRouter:
    router = APIRouter()

    def already() -> HTMLResponse:
        assert flow.registered is not None
        return _page(
            "Already set up",
            f"<p>This server already serves as <code>{html.escape(flow.registered.slug)}</code>. "
            f'<a href="{html.escape(flow.registered.install_url, quote=True)}">Install it</a>.</p>',
            409,
        )

    @router.post("/setup/register", include_in_schema=False)
    async def register(request: Request) -> Response:
        if flow.registered is not None:
            return already()
        form = await _form(request)
        state, account, org = form.get("state", ""), form.get("account", ""), form.get("org", "")
        problem = flow.state_problem(state, consume=False)
        if problem:
            return _page("Cannot register", f"<p class=bad>{html.escape(problem)}</p>", 400)
        target = flow.target(account, org)
        if target is None:
            return _page(
                "Cannot register",
                "<p class=bad>Give the organisation's name as GitHub spells it (letters, digits and "
                'hyphens), or choose your personal account. <a href="/">Back</a></p>',
                400,
            )
        # 307 keeps the method and the body: the browser posts `manifest` to GitHub itself.
        return RedirectResponse(f"{target}?state={state}", status_code=307)

    @router.get("/setup/callback", include_in_schema=False)
    async def callback(code: str = "", state: str = "") -> Response:
        if flow.registered is not None:
            return already()
        problem = flow.state_problem(state, consume=True)
        if problem or not code:
            return _page("Cannot finish", f"<p class=bad>{html.escape(problem or 'No code.')}</p>", 400)
        try:
            creds = await exchange_code(code, flow.api_url)
        except StaleCode:
            return _page(
                "The registration code has expired",
                "<p class=bad>GitHub no longer accepts this code: codes last an hour and work once. If the "
                "App was registered, delete it in GitHub's Developer settings, then "
                '<a href="/">start again</a>.</p>',
                410,
            )
        except (GitHubException, KeyError, ValueError) as exc:
            return _page("GitHub did not answer", f"<p class=bad>{type(exc).__name__}. Try again.</p>", 502)
        if flow.env_path.exists():
            token = secrets.token_urlsafe(24)
            flow._pending[token] = creds
            return _page(
                "Replace the existing .env?",
                f"<p>The App <code>{html.escape(creds.slug)}</code> is registered, but "
                f"<code>{html.escape(str(flow.env_path))}</code> already exists. Its other settings are "
                "kept; its App id, key and webhook secret are replaced.</p>"
                f'<form method=post action="/setup/confirm"><input type=hidden name=token value="{token}">'
                "<button type=submit>Write the credentials to .env</button></form>",
            )
        await flow.finish(creds, replace=False)
        return _done_page(creds)

    @router.post("/setup/confirm", include_in_schema=False)
    async def confirm(request: Request) -> Response:
        if flow.registered is not None:
            return already()
        creds = flow._pending.pop((await _form(request)).get("token", ""), None)
        if creds is None:
            return _page("Cannot finish", "<p class=bad>This confirmation was already used.</p>", 400)
        await flow.finish(creds, replace=True)
        return _done_page(creds)

    return router
