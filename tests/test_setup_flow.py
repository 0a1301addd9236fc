"""The app-manifest flow (`report-bot serve` without an App): the form's manifest, `state` checked, the code
exchanged through githubkit (respx), `.env` written 0600 with the right content, a stale or replayed code,
and the same process serving as the new App without a restart."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import respx
import yaml
from fastapi.testclient import TestClient
from github_double.fixtures import make_app_key

from bot.cli.serve import MANIFEST, build_app, needs_setup
from bot.settings import Settings

API = "https://api.github.com"
PUBLIC = "https://bot.example.edu"
KEY = make_app_key()
CONVERSION = {
    "id": 4242,
    "slug": "mlops-report-bot",
    "name": "MLOps report bot",
    "node_id": "A_1",
    "html_url": "https://github.com/apps/mlops-report-bot",
    "pem": KEY.private_pem,
    "webhook_secret": "whsec-from-github-0123",
    "client_id": "Iv1.abc",
    "client_secret": "cs-xyz",
    "owner": {"login": "course-org", "id": 9, "type": "Organization"},
    "description": "",
    "external_url": PUBLIC,
    "created_at": "2026-01-10T10:00:00Z",
    "updated_at": "2026-01-10T10:00:00Z",
    "permissions": {"contents": "read"},
    "events": ["push"],
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.upper().startswith("REPORT_BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORT_BOT_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("REPORT_BOT_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("REPORT_BOT_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    return tmp_path


@pytest.fixture
def client(workdir: Path) -> Iterator[TestClient]:
    settings = Settings()
    assert needs_setup(settings)
    with TestClient(build_app(settings, ""), base_url=PUBLIC, follow_redirects=False) as c:
        yield c


def _form(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type=hidden name=(\w+) value="([^"]*)"', page))
    return {k: html.unescape(v) for k, v in fields.items()}


def _mock_conversion(router: respx.MockRouter, code: str, answer: httpx.Response) -> respx.Route:
    return router.post(f"{API}/app-manifests/{code}/conversions").mock(return_value=answer)


def test_app_yml_is_a_manifest_for_the_flow() -> None:
    data = yaml.safe_load(MANIFEST.read_text())
    allowed = {
        "name", "url", "hook_attributes", "redirect_url", "callback_urls", "setup_url", "description",
        "public", "default_events", "default_permissions", "request_oauth_on_install", "setup_on_update",
    }  # fmt: skip
    assert set(data) <= allowed
    assert data["public"] is False
    assert {"redirect_url", "setup_url", "url", "hook_attributes"} <= set(data)
    assert "github.com/apps/" not in data["url"]  # not an App the instructor does not own


def test_the_form_posts_the_manifest_with_this_servers_urls(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "Register GitHub App" in page.text
    fields = _form(page.text)
    manifest = json.loads(fields["manifest"])
    assert manifest["hook_attributes"]["url"] == f"{PUBLIC}/webhook"
    assert manifest["redirect_url"] == f"{PUBLIC}/setup/callback"
    assert manifest["setup_url"] == f"{PUBLIC}/"
    assert manifest["url"] == f"{PUBLIC}/"
    assert manifest["public"] is False
    assert manifest["default_permissions"]["issues"] == "write"
    assert set(manifest["default_events"]) >= {"push", "pull_request", "issue_comment"}
    assert len(fields["state"]) >= 32
    assert fields["state"] != _form(client.get("/").text)["state"]  # a fresh state per page


def test_register_sends_the_browser_on_to_github_keeping_the_body(client: TestClient) -> None:
    fields = _form(client.get("/").text)
    org = client.post("/setup/register", data={**fields, "account": "organization", "org": "course-org"})
    assert org.status_code == 307  # the browser posts the same body (the manifest) to GitHub
    assert org.headers["location"] == (
        f"https://github.com/organizations/course-org/settings/apps/new?state={fields['state']}"
    )
    personal = client.post("/setup/register", data={**fields, "account": "personal"})
    assert personal.headers["location"] == f"https://github.com/settings/apps/new?state={fields['state']}"
    bad_org = client.post("/setup/register", data={**fields, "account": "organization", "org": "a/../b"})
    assert bad_org.status_code == 400
    forged = client.post("/setup/register", data={**fields, "state": "forged", "account": "personal"})
    assert forged.status_code == 400 and "unknown state" in forged.text


def test_exchange_writes_env_0600_and_serves_as_the_new_app(client: TestClient, workdir: Path) -> None:
    state = _form(client.get("/").text)["state"]
    with respx.mock(assert_all_called=True) as router:
        conv = _mock_conversion(router, "code-1", httpx.Response(201, json=CONVERSION))
        done = client.get("/setup/callback", params={"code": "code-1", "state": state})
    assert conv.call_count == 1
    assert done.status_code == 200
    assert "https://github.com/apps/mlops-report-bot/installations/new" in done.text
    env = workdir / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    loaded = Settings(_env_file=env)  # type: ignore[call-arg]
    assert loaded.app_id == 4242
    assert loaded.private_key_pem() == KEY.private_pem.strip() + "\n"
    assert loaded.webhook_secret is not None
    assert loaded.webhook_secret.get_secret_value() == "whsec-from-github-0123"

    # The same process now answers as that App: the status page, the webhook secret, the App's JWT.
    status = client.get("/")
    assert "mlops-report-bot" in status.text and "Register GitHub App" not in status.text
    body = json.dumps({"zen": "hi", "hook_id": 1}).encode()
    sig = "sha256=" + hmac.new(b"whsec-from-github-0123", body, hashlib.sha256).hexdigest()
    headers = {"x-github-event": "ping", "x-github-delivery": "d-1", "x-hub-signature-256": sig}
    assert client.post("/webhook", content=body, headers=headers).status_code == 200
    headers["x-hub-signature-256"] = "sha256=" + "0" * 64
    assert client.post("/webhook", content=body, headers=headers).status_code == 401

    seen: dict[str, Any] = {}

    def app_answer(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        seen.update(jwt.decode(token, KEY.public_pem, algorithms=["RS256"]))
        return httpx.Response(200, json={**CONVERSION, "pem": None})

    bot = client.app.state.bot  # type: ignore[attr-defined]
    with respx.mock() as router:
        router.get(f"{API}/app").mock(side_effect=app_answer)
        client.portal.call(bot.app.app().rest.apps.async_get_authenticated)  # type: ignore[union-attr]
    assert seen["iss"] == "4242"  # signed with the new key (decoded with its public half)

    again = client.get("/setup/callback", params={"code": "code-1", "state": state})
    assert again.status_code == 409  # already set up: nothing is exchanged or written twice


def test_a_replayed_or_wrong_state_is_refused_without_calling_github(client: TestClient) -> None:
    state = _form(client.get("/").text)["state"]
    with respx.mock(assert_all_called=False) as router:
        conv = _mock_conversion(router, "c", httpx.Response(404, json={"message": "Not Found"}))
        wrong = client.get("/setup/callback", params={"code": "c", "state": "not-ours"})
        assert wrong.status_code == 400 and conv.call_count == 0
        first = client.get("/setup/callback", params={"code": "c", "state": state})
        replay = client.get("/setup/callback", params={"code": "c", "state": state})
    assert first.status_code == 410  # GitHub no longer knows the code
    assert replay.status_code == 400 and "already used" in replay.text
    assert conv.call_count == 1


def test_a_stale_code_gets_a_clear_page_and_writes_nothing(client: TestClient, workdir: Path) -> None:
    state = _form(client.get("/").text)["state"]
    with respx.mock() as router:
        _mock_conversion(router, "old", httpx.Response(404, json={"message": "Not Found"}))
        page = client.get("/setup/callback", params={"code": "old", "state": state})
    assert page.status_code == 410
    assert "expired" in page.text and "last an hour" in page.text
    assert not (workdir / ".env").exists()
    assert "Register GitHub App" in client.get("/").text  # still in setup


def test_an_existing_env_is_replaced_only_when_asked_and_keeps_other_lines(
    client: TestClient, workdir: Path
) -> None:
    env = workdir / ".env"
    env.write_text("REPORT_BOT_LOG_LEVEL=DEBUG\nREPORT_BOT_APP_ID=1\n")
    state = _form(client.get("/").text)["state"]
    with respx.mock() as router:
        _mock_conversion(router, "c2", httpx.Response(201, json=CONVERSION))
        ask = client.get("/setup/callback", params={"code": "c2", "state": state})
    assert ask.status_code == 200 and "Replace the existing .env?" in ask.text
    assert env.read_text() == "REPORT_BOT_LOG_LEVEL=DEBUG\nREPORT_BOT_APP_ID=1\n"  # untouched so far
    token = _form(ask.text)["token"]
    done = client.post("/setup/confirm", data={"token": token})
    assert done.status_code == 200
    text = env.read_text()
    assert "REPORT_BOT_LOG_LEVEL=DEBUG" in text and "REPORT_BOT_APP_ID=4242" in text
    assert "REPORT_BOT_APP_ID=1\n" not in text
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert client.post("/setup/confirm", data={"token": token}).status_code == 409


def test_an_expired_state_is_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.web import setup

    state = _form(client.get("/").text)["state"]
    flow = client.app.state.status.setup  # type: ignore[attr-defined]
    monkeypatch.setattr(flow, "clock", lambda: setup.time.monotonic() + setup.STATE_TTL + 1)
    page = client.get("/setup/callback", params={"code": "c", "state": state})
    assert page.status_code == 400 and "longer than an hour" in page.text
