"""The webhook under hostile input, on SQLite and PostgreSQL: malformed signed deliveries get 400 and store
nothing; a delivery and its jobs are stored in one transaction; unverified bodies cost bounded memory and
time; both databases accept and refuse the same values."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from db_backends import *  # noqa: F403
from sqlalchemy import Engine, func, select

from bot.queue import JobQueue
from bot.store import InvalidRecord, Store
from bot.store.models import deliveries_table, installations_table, jobs_table, repositories_table
from bot.web import WebhookContext, create_app
from bot.web.http import header_deadline_protocol
from bot.web.intake import BodyBudget
from bot.web.webhook import accept

SECRET = "hostile-secret"


def push(repo: str = "group-1", installation: Any = 7, **extra: Any) -> dict[str, Any]:
    return {
        "ref": "refs/heads/main",
        "repository": {
            "id": 1,
            "name": repo,
            "full_name": f"org/{repo}",
            "owner": {"login": "org", "name": "org"},
            "default_branch": "main",
        },
        "installation": {"id": installation},
        "sender": {"login": "student", "type": "User"},
        "commits": [{"added": [], "removed": [], "modified": ["reports/README.md"]}],
        **extra,
    }


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(body: bytes, event: str = "push", delivery: str | None = None) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body),
        "Content-Type": "application/json",
    }


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (deliveries_table, installations_table, repositories_table, jobs_table)
        }


@pytest.fixture
def ctx(engine: Engine) -> WebhookContext:
    return WebhookContext(Store(engine), JobQueue(engine), SECRET, read_timeout=2.0)


async def _post(ctx: WebhookContext, body: bytes | Any, hdrs: dict[str, str]) -> httpx.Response:
    app = create_app(ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        return await client.post("/webhook", content=body, headers=hdrs)


def post(ctx: WebhookContext, body: bytes, hdrs: dict[str, str] | None = None) -> httpx.Response:
    return asyncio.run(_post(ctx, body, hdrs or headers(body)))


# -- item 5: malformed signed deliveries ----------------------------------------------------------------

MALFORMED: list[tuple[str, str, bytes]] = [
    ("nested-brackets", "push", b"[" * 100_000 + b"]" * 100_000),
    ("nested-objects", "push", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    ("huge-integer", "push", b'{"ref": ' + b"9" * 5000 + b"}"),
    ("owner-a-string", "push", json.dumps(push() | {"repository": {**push()["repository"], "owner": "org"}}).encode()),
    ("installation-2**70", "push", json.dumps(push(installation=2**70)).encode()),
    ("installation-abc", "push", json.dumps(push(installation="abc")).encode()),
    ("installation-event-abc", "installation", json.dumps({"action": "created", "installation": {"id": "abc", "account": {"login": "org", "type": "Organization"}}}).encode()),
    ("installation-event-2**70", "installation", json.dumps({"action": "created", "installation": {"id": 2**70, "account": {"login": "org", "type": "Organization"}}}).encode()),
    ("repositories-added-2**70", "installation_repositories", json.dumps({"action": "added", "installation": {"id": 5, "account": {"login": "org"}}, "repositories_added": [{"id": 2**70, "full_name": "org/x"}]}).encode()),
    ("changes-a-string", "issue_comment", json.dumps(push() | {"action": "edited", "changes": "x", "comment": {"id": 3, "body": "/report check", "user": {"login": "a", "type": "User"}}, "issue": {"number": 1}}).encode()),
    ("action-too-long", "issue_comment", json.dumps(push() | {"action": "x" * 65}).encode()),
    ("unknown-event-action-too-long", "star", json.dumps({"action": "x" * 65}).encode()),
    ("not-an-object", "push", b"[1, 2]"),
    ("not-json", "push", b"{nope"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "body"), [(e, b) for _, e, b in MALFORMED], ids=[i for i, _, _ in MALFORMED]
)
def test_a_malformed_signed_delivery_gets_400_and_nothing_is_stored(
    ctx: WebhookContext, engine: Engine, event: str, body: bytes
) -> None:
    response = post(ctx, body, headers(body, event))
    assert response.status_code == 400, response.text
    assert response.json()["message"]
    assert counts(engine) == {"deliveries": 0, "installations": 0, "repositories": 0, "jobs": 0}


def test_an_event_name_over_64_characters_gets_400(ctx: WebhookContext, engine: Engine) -> None:
    body = json.dumps({"zen": "x"}).encode()
    response = post(ctx, body, headers(body, "e" * 65))
    assert response.status_code == 400
    assert counts(engine)["deliveries"] == 0


def test_a_valid_push_is_still_queued(ctx: WebhookContext, engine: Engine) -> None:
    body = json.dumps(push()).encode()
    assert post(ctx, body).status_code == 202
    assert counts(engine) == {"deliveries": 1, "installations": 0, "repositories": 0, "jobs": 1}


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("record_delivery", ("g" * 129, "push", None)),
        ("record_delivery", ("guid", "e" * 65, None)),
        ("record_delivery", ("guid", "push", "a" * 65)),
        ("record_delivery", ("guid", "pu\x00sh", None)),
        ("upsert_installation", (2**70, "org", "Organization")),
        ("upsert_installation", (0, "org", "Organization")),
        ("upsert_installation", (5, "o" * 256, "Organization")),
        ("upsert_repository", (2**63, 5, "org/x", "main")),
        ("upsert_repository", (1, 5, "org/" + "x" * 300, "main")),
    ],
)
def test_both_databases_refuse_the_same_values(engine: Engine, call: str, args: tuple[Any, ...]) -> None:
    store = Store(engine)
    with pytest.raises(InvalidRecord):
        getattr(store, call)(*args)
    assert counts(engine) == {"deliveries": 0, "installations": 0, "repositories": 0, "jobs": 0}


def test_both_databases_accept_the_limits(engine: Engine) -> None:
    store = Store(engine)
    assert store.record_delivery("g" * 128, "e" * 64, "a" * 64)
    store.upsert_installation(2**63 - 1, "o" * 255, "t" * 32)
    store.upsert_repository(2**63 - 1, 2**63 - 1, "r" * 255, "b" * 255)
    assert store.get_installation(2**63 - 1) is not None


# -- item 3: one transaction ------------------------------------------------------------------------------


def test_a_failure_while_enqueueing_leaves_nothing_and_the_redelivery_is_handled(
    ctx: WebhookContext, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(push()).encode()
    hdrs = headers(body, delivery="d-1")
    real = ctx.queue.enqueue_in

    def crash(*args: Any, **kwargs: Any) -> bool:
        real(*args, **kwargs)
        raise RuntimeError("the process died here")

    monkeypatch.setattr(ctx.queue, "enqueue_in", crash)
    assert post(ctx, body, hdrs).status_code == 500
    assert counts(engine) == {"deliveries": 0, "installations": 0, "repositories": 0, "jobs": 0}
    monkeypatch.setattr(ctx.queue, "enqueue_in", real)
    assert post(ctx, body, hdrs).status_code == 202  # GitHub's redelivery: not "seen before"
    assert counts(engine)["jobs"] == 1
    assert post(ctx, body, hdrs).json()["message"] == "delivery seen before"


def test_installation_rows_commit_with_the_delivery(ctx: WebhookContext, engine: Engine) -> None:
    payload = {
        "action": "created",
        "installation": {"id": 9, "account": {"login": "org", "type": "Organization"}},
        "repositories": [{"id": 11, "full_name": "org/a"}, {"id": 12, "full_name": "org/b"}],
    }
    with pytest.raises(RuntimeError), ctx.store.transaction() as (store, _conn):
        store.record_delivery("d-9", "installation", "created")
        store.upsert_installation(9, "org", "Organization")
        raise RuntimeError("crash")
    assert counts(engine)["installations"] == 0
    assert accept(ctx, "d-9", "installation", "created", payload, [])
    assert counts(engine) == {"deliveries": 1, "installations": 1, "repositories": 2, "jobs": 0}


# -- item 4: bounded cost of unauthenticated requests --------------------------------------------------------


def test_no_signature_is_refused_before_the_body_is_read(ctx: WebhookContext) -> None:
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(100):
            read += 1
            yield b"x" * 65536

    hdrs = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d"}
    response = asyncio.run(_post(ctx, body(), hdrs))
    assert response.status_code == 401
    assert read <= 1


def test_unverified_bytes_beyond_the_budget_get_503_with_retry_after(ctx: WebhookContext) -> None:
    ctx.budget = BodyBudget(1_000_000)
    assert ctx.budget.take(900_000)  # other uploads hold most of it
    body = json.dumps(push(padding="x" * 200_000)).encode()
    response = post(ctx, body)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    ctx.budget.give(900_000)
    assert post(ctx, body).status_code == 202
    assert ctx.budget.used == 0


def test_a_chunked_upload_is_counted_while_it_streams(ctx: WebhookContext) -> None:
    ctx.budget = BodyBudget(300_000)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 65536

    hdrs = headers(b"whatever")
    response = asyncio.run(_post(ctx, body(), hdrs))
    assert response.status_code == 503
    assert ctx.budget.used == 0


def test_a_slow_body_times_out(ctx: WebhookContext) -> None:
    ctx.read_timeout = 0.3

    async def body() -> AsyncIterator[bytes]:
        yield b"{"
        await asyncio.sleep(2)
        yield b"}"

    start = time.monotonic()
    response = asyncio.run(_post(ctx, body(), headers(b"{}")))
    assert response.status_code == 408
    assert time.monotonic() - start < 1.5


# -- over a real socket: slow headers, aborted uploads --------------------------------------------------------


@pytest.fixture
def live(ctx: WebhookContext) -> Iterator[tuple[int, WebhookContext]]:
    ctx.read_timeout = 1.0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(ctx), host="127.0.0.1", port=port, log_level="warning", http=header_deadline_protocol(1.0)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield port, ctx
    server.should_exit = True
    thread.join(5)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_slow_headers_are_cut_off(live: tuple[int, WebhookContext]) -> None:
    port, _ = live
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        start = time.monotonic()
        assert _closed_within(sock, 5)
        assert time.monotonic() - start < 3
    with socket.create_connection(("127.0.0.1", port)) as idle:  # nothing at all
        assert _closed_within(idle, 5)


def test_an_aborted_upload_is_one_log_line(
    live: tuple[int, WebhookContext], caplog: pytest.LogCaptureFixture
) -> None:
    port, _ = live
    body = json.dumps(push()).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in headers(body).items())
    with caplog.at_level(logging.INFO):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body) + 5000}\r\n{head}\r\n".encode()
            )
            sock.sendall(body[:50])
            time.sleep(0.2)
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port)) as slow:  # and a body that stops coming
            slow.sendall(
                f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
            )
            slow.sendall(body[:50])
            assert b" 408 " in slow.recv(4096)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == []
    assert any("aborted" in r.getMessage() for r in caplog.records)
    assert any("not received" in r.getMessage() for r in caplog.records)
