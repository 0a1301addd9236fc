"""Artifact store (local backend) and `GET /artifacts/{token}/{filename}`."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.artifacts import (
    TOKEN_PATTERN,
    ArtifactExpired,
    ArtifactStore,
    LocalArtifactStore,
    safe_filename,
)
from bot.web.artifacts import CSP, GONE_BODY, artifact_router, sweep_forever

T0 = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
PAGE = b"<!DOCTYPE html><p>report</p>"


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts", "https://bot.example.org/", clock=clock)


@pytest.fixture
def client(store: LocalArtifactStore) -> TestClient:
    app = FastAPI()
    app.include_router(artifact_router(store))
    return TestClient(app)


def path_of(url: str) -> str:
    return url.removeprefix("https://bot.example.org")


# --------------------------------------------------------------------------- store


def test_put_and_get(store: LocalArtifactStore) -> None:
    a = store.put(PAGE, "report.html", "text/html; charset=utf-8", timedelta(hours=1))
    assert TOKEN_PATTERN.fullmatch(a.token)
    assert a.url == f"https://bot.example.org/artifacts/{a.token}/report.html"
    assert a.expires_at == T0 + timedelta(hours=1)
    got = store.get(a.token)
    assert got is not None
    assert (got.data, got.filename, got.content_type) == (PAGE, "report.html", "text/html; charset=utf-8")
    assert (got.created_at, got.expires_at) == (T0, a.expires_at)
    assert sorted(p.name for p in store.directory.iterdir()) == sorted([f"{a.token}.data", f"{a.token}.json"])


def test_tokens_are_distinct_and_long(store: LocalArtifactStore) -> None:
    tokens = {store.put(b"x", "a.html", "text/html", timedelta(minutes=1)).token for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) == 43 for t in tokens)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.html", "report.html"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("report <script>.html", "report-script-.html"),
        ("Group 7: report.html", "Group-7-report.html"),
        (".hidden", "hidden"),
        ("", "artifact"),
        ("...", "artifact"),
        ("a..b.html", "a.b.html"),
        ("æøå.html", "html"),
        ("x" * 300 + ".html", "x" * 95 + ".html"),
    ],
)
def test_filenames_are_sanitised(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_stored_filename_is_sanitised_and_never_a_path(store: LocalArtifactStore) -> None:
    a = store.put(PAGE, "../../../evil.html", "text/html", timedelta(hours=1))
    assert a.url.endswith("/evil.html")
    assert not (store.directory.parent / "evil.html").exists()
    assert {p.suffix for p in store.directory.iterdir()} == {".data", ".json"}


@pytest.mark.parametrize(
    "token",
    ["", "short", "../" * 15, "A" * 42 + "/", "A" * 44, "A" * 42 + ".", "..%2F" + "A" * 38, "A" * 42 + "\0"],
)
def test_malformed_tokens_are_unknown(store: LocalArtifactStore, token: str) -> None:
    assert store.get(token) is None
    assert store.delete(token) is False


def test_unknown_token_is_none(store: LocalArtifactStore) -> None:
    assert store.get("A" * 43) is None


def test_expiry_sweep_and_tombstone(store: LocalArtifactStore, clock: Clock) -> None:
    old = store.put(PAGE, "old.html", "text/html", timedelta(minutes=10))
    new = store.put(PAGE, "new.html", "text/html", timedelta(days=2))
    clock.now = T0 + timedelta(minutes=10)
    with pytest.raises(ArtifactExpired) as exc:
        store.get(old.token)
    assert exc.value.filename == "old.html" and exc.value.expired_at == old.expires_at
    assert store.sweep(clock.now) == 1
    assert not (store.directory / f"{old.token}.data").exists()
    assert store.sweep(clock.now) == 0  # already swept
    with pytest.raises(ArtifactExpired):  # the tombstone still says "expired", not "unknown"
        store.get(old.token)
    assert store.get(new.token) is not None
    clock.now = T0 + timedelta(days=31)
    assert store.sweep(clock.now) == 1  # `new` expires; the old tombstone is dropped
    assert store.get(old.token) is None
    with pytest.raises(ArtifactExpired):
        store.get(new.token)


def test_sweep_removes_stale_half_written_files(store: LocalArtifactStore, clock: Clock) -> None:
    keep = store.put(PAGE, "a.html", "text/html", timedelta(days=1))
    tmp = store.directory / ".tmp-abc"
    orphan = store.directory / ("B" * 43 + ".data")
    fresh = store.directory / ".tmp-fresh"
    for p in (tmp, orphan, fresh):
        p.write_bytes(b"partial")
    hour_ago = time.time() - 2 * 3600
    os.utime(tmp, (hour_ago, hour_ago))
    os.utime(orphan, (hour_ago, hour_ago))
    store.sweep(clock.now)
    assert not tmp.exists() and not orphan.exists() and fresh.exists()
    assert store.get(keep.token) is not None


def test_delete(store: LocalArtifactStore) -> None:
    a = store.put(PAGE, "a.html", "text/html", timedelta(days=1))
    assert store.delete(a.token) is True
    assert store.get(a.token) is None and store.delete(a.token) is False


def test_tampered_data_is_not_served(store: LocalArtifactStore) -> None:
    a = store.put(PAGE, "a.html", "text/html", timedelta(days=1))
    (store.directory / f"{a.token}.data").write_bytes(PAGE + b"<script>")
    assert store.get(a.token) is None


@pytest.mark.parametrize("ctype", ["text/html<script>", "text/html\r\nSet-Cookie: x=1", "", "html"])
def test_bad_content_types_are_refused(store: LocalArtifactStore, ctype: str) -> None:
    with pytest.raises(ValueError):
        store.put(PAGE, "a.html", ctype, timedelta(hours=1))


def test_bad_ttl_and_url_are_refused(store: LocalArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        store.put(PAGE, "a.html", "text/html", timedelta(0))
    with pytest.raises(ValueError):
        LocalArtifactStore(tmp_path, "javascript:alert(1)")


def test_local_store_is_an_artifact_store(store: LocalArtifactStore) -> None:
    assert isinstance(store, ArtifactStore)


# --------------------------------------------------------------------------- web


def test_serves_with_sandboxing_headers(store: LocalArtifactStore, client: TestClient) -> None:
    a = store.put(PAGE, "report.html", "text/html; charset=utf-8", timedelta(hours=1))
    r = client.get(path_of(a.url))
    assert r.status_code == 200 and r.content == PAGE
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-security-policy"] == CSP
    assert CSP == "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"] == 'inline; filename="report.html"'


def test_head_is_answered_like_get_without_a_body(store: LocalArtifactStore, client: TestClient) -> None:
    a = store.put(PAGE, "report.html", "text/html; charset=utf-8", timedelta(hours=1))
    get, head = client.get(path_of(a.url)), client.head(path_of(a.url))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(PAGE))
    for name in ("content-type", "content-security-policy", "cache-control", "content-disposition"):
        assert head.headers[name] == get.headers[name]
    gone = client.head("/artifacts/" + "A" * 43 + "/report.html")
    assert gone.status_code == 404 and gone.content == b"" and gone.headers["cache-control"] == "no-store"


def test_download_is_an_attachment(store: LocalArtifactStore, client: TestClient) -> None:
    a = store.put(PAGE, "Group 7 report.html", "text/html", timedelta(hours=1))
    r = client.get(path_of(a.url), params={"download": "1"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="Group-7-report.html"'


def test_unknown_expired_and_wrong_name_look_alike(
    store: LocalArtifactStore, client: TestClient, clock: Clock
) -> None:
    a = store.put(PAGE, "report.html", "text/html", timedelta(minutes=5))
    unknown = client.get("/artifacts/" + "A" * 43 + "/report.html")
    malformed = client.get("/artifacts/not-a-token/report.html")
    wrong_name = client.get(f"/artifacts/{a.token}/other.html")
    clock.now = T0 + timedelta(minutes=5)
    expired = client.get(path_of(a.url))
    expired_wrong_name = client.get(f"/artifacts/{a.token}/other.html")
    store.sweep(clock.now)
    swept = client.get(path_of(a.url))
    assert [r.status_code for r in (unknown, malformed, wrong_name, expired, expired_wrong_name, swept)] == [
        404, 404, 404, 410, 404, 410,
    ]  # fmt: skip
    for r in (unknown, malformed, wrong_name, expired, expired_wrong_name, swept):
        assert r.text == GONE_BODY
        assert r.headers["content-security-policy"] == CSP
        assert a.token not in r.text and "report.html" not in r.text


async def test_sweep_forever_sweeps_until_stopped(tmp_path: Path) -> None:
    past = Clock(datetime.now(UTC) - timedelta(days=1))
    store = LocalArtifactStore(tmp_path, "http://127.0.0.1:8000", clock=past)
    a = store.put(PAGE, "a.html", "text/html", timedelta(hours=1))  # expired an hour after `past`, long ago
    stop = asyncio.Event()
    task = asyncio.create_task(sweep_forever(store, 0.01, stop))
    deadline = time.monotonic() + 5
    while (tmp_path / f"{a.token}.data").exists():
        assert time.monotonic() < deadline, "the sweeper did not run"
        await asyncio.sleep(0.01)
    stop.set()
    assert await asyncio.wait_for(task, 5) == 1


async def test_sweep_forever_survives_a_failing_sweep() -> None:
    class Broken(LocalArtifactStore):
        calls = 0

        def sweep(self, now: datetime) -> int:
            Broken.calls += 1
            raise OSError("disk on fire")

    store = Broken.__new__(Broken)
    stop = asyncio.Event()
    task = asyncio.create_task(sweep_forever(store, 0.01, stop))
    deadline = time.monotonic() + 5
    while Broken.calls < 3:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    stop.set()
    assert await asyncio.wait_for(task, 5) == 0


def test_delete_repositories_removes_only_their_pages_tombstones_too(tmp_path: Path) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store = LocalArtifactStore(tmp_path, "https://bot.example", clock=lambda: now)
    gone = store.put(PAGE, "a.html", "text/html", timedelta(hours=1), repo="Org/Leaves")
    expired = store.put(PAGE, "b.html", "text/html", timedelta(minutes=1), repo="org/leaves")
    kept = store.put(PAGE, "c.html", "text/html", timedelta(hours=1), repo="org/stays")
    anonymous = store.put(PAGE, "d.html", "text/html", timedelta(hours=1))
    store.sweep(now + timedelta(minutes=5))  # `expired` is a tombstone now
    assert store.delete_repositories(["ORG/leaves"]) == 2
    assert store.get(gone.token) is None and store.get(expired.token) is None  # unknown, not "expired"
    assert store.get(kept.token) is not None and store.get(anonymous.token) is not None
    assert store.delete_repositories([]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{t}.{ext}" for t in (kept.token, anonymous.token) for ext in ("data", "json")
    )
