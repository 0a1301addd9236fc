"""The status page (counts, never a repository name), `/healthz` 200/503, `/metrics` in Prometheus text
with counters that move with deliveries, jobs and GitHub answers, and a rejected App key at start."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from github_double.fixtures import make_app_key
from githubkit.exception import RequestFailed
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.cli.main import main
from bot.cli.serve import build_app
from bot.settings import Settings
from bot.web.status import AppIdentity

KEY = make_app_key()
SECRET = "status-test-secret"
API = "https://api.github.com"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.upper().startswith("REPORT_BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORT_BOT_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("REPORT_BOT_ARTIFACT_DIR", str(tmp_path / "artifacts"))
    monkeypatch.setenv("REPORT_BOT_APP_ID", "77")
    monkeypatch.setenv("REPORT_BOT_PRIVATE_KEY", KEY.private_pem)
    monkeypatch.setenv("REPORT_BOT_WEBHOOK_SECRET", SECRET)
    return tmp_path


@pytest.fixture
def client(env: Path) -> Iterator[TestClient]:
    ident = AppIdentity(
        77, "Course report bot", "course-report-bot", "https://github.com/apps/course-report-bot"
    )
    with TestClient(build_app(Settings(), KEY.private_pem, identity=ident)) as c:
        yield c


def _send(
    client: TestClient, event: str, payload: dict[str, object], delivery: str, secret: str = SECRET
) -> int:
    body = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"x-github-event": event, "x-github-delivery": delivery, "x-hub-signature-256": sig}
    return client.post("/webhook", content=body, headers=headers).status_code


def _metrics(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_status_page_shows_counts_and_no_repository_names(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    store.upsert_installation(500, "course-org", "Organization")
    store.upsert_repository(1, 500, "course-org/secret-group-7", "main")
    store.upsert_repository(2, 500, "course-org/hidden-group-8", "main")
    assert _send(client, "ping", {"zen": "z"}, "d-1") == 200
    assert _send(client, "ping", {"zen": "z"}, "d-2", secret="wrong") == 401
    page = client.get("/")
    assert page.status_code == 200
    assert "course-report-bot" in page.text and "Course report bot" in page.text
    assert "secret-group-7" not in page.text and "hidden-group-8" not in page.text
    assert "<th>repositories</th><td>2</td>" in page.text
    assert "<th>installations</th><td>1</td>" in page.text
    assert "<th>ignored</th><td>1</td>" in page.text and "<th>bad_signature</th><td>1</td>" in page.text
    assert "course-org" in page.text and "no request yet" in page.text


def test_healthz_is_503_when_the_database_cannot_answer(client: TestClient) -> None:
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["ok"] is True
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE jobs"))
    down = client.get("/healthz")
    assert down.status_code == 503 and down.json()["ok"] is False


def test_metrics_move_with_deliveries_jobs_and_github_answers(client: TestClient) -> None:
    before = _metrics(client)
    key = ("report_bot_deliveries_total", (("event", "ping"), ("outcome", "ignored")))
    assert before.get(key, 0) == 0
    for i in range(3):
        _send(client, "ping", {"zen": "z"}, f"p-{i}")
    _send(client, "ping", {"zen": "z"}, "p-0")  # a redelivery: ignored too
    queue = client.app.state.queue  # type: ignore[attr-defined]
    queue.enqueue("no-such-kind", "k-1", {}, None)  # the worker fails it: jobs_total{failed}
    deadline = time.monotonic() + 10
    while queue.counts().get("failed", 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    bot = client.app.state.bot  # type: ignore[attr-defined]
    client.app.state.store.upsert_installation(500, "course-org", "Organization")  # type: ignore[attr-defined]
    headers = {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4321",
        "x-ratelimit-reset": "1999999999",
    }
    with respx.mock() as router:
        router.post(f"{API}/app/installations/500/access_tokens").mock(
            return_value=httpx.Response(201, json={"token": "t", "expires_at": "2099-01-01T00:00:00Z"})
        )
        router.get(f"{API}/repos/o/r").mock(return_value=httpx.Response(404, json={}, headers=headers))
        with pytest.raises(RequestFailed):
            client.portal.call(bot.app.installation(500).rest.repos.async_get, "o", "r")  # type: ignore[union-attr]
    after = _metrics(client)
    assert after[key] == 4
    assert after[("report_bot_jobs_total", (("kind", "no-such-kind"), ("outcome", "failed")))] == 1
    assert after[("report_bot_job_duration_seconds_count", (("kind", "no-such-kind"),))] == 1
    assert after[("report_bot_github_requests_total", (("endpoint", "repos"), ("status", "404")))] == 1
    assert after[("report_bot_github_ratelimit_remaining", (("installation", "500"),))] == 4321
    assert after[("report_bot_queue_jobs", (("status", "failed"),))] == 1
    assert "4321 of 5000" in client.get("/").text


def test_a_rejected_key_is_a_clear_start_up_error(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with respx.mock() as router:
        router.get(f"{API}/app").mock(
            return_value=httpx.Response(401, json={"message": "A JSON web token could not be decoded"})
        )
        code = main(["serve", "--port", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "GitHub refused the App's credentials (401" in err and "REPORT_BOT_APP_ID" in err
    assert KEY.private_pem.splitlines()[1] not in err  # the key never reaches the output
