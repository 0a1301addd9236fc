"""The rendered page in a real headless Chromium: hostile reports stay inert (no dialog, no script, no
request) behind the artifact server's CSP and also without any CSP; a seed report is screenshotted into
`test-artifacts/`.

Needs Debian's `chromium` (`apt-get install -y chromium`); skips without it unless
REPORT_BOT_REQUIRE_BROWSER=1. The browser talks to a uvicorn server on 127.0.0.1 that records every
request: the payloads point at it, so any escape is seen there.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from bot.artifacts import LocalArtifactStore
from bot.report.images import links, resolve
from bot.report.parse import parse
from bot.report.render import PAGE_CSP, render_page
from bot.web.artifacts import CSP, artifact_router
from tests.cdp_pipe import Chromium, Tab, find_chromium
from tests.conftest import ROOT
from tests.fake_images import no_files, png
from tests.page_dom import inert_problems, parse_page
from tests.xss_payloads import PAYLOADS, hostile_report

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class Server:
    base: str
    store: LocalArtifactStore
    plain: dict[str, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    def requests_since(self, mark: int) -> list[str]:
        return self.seen[mark:]


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    exe = find_chromium()
    if exe is None:
        if os.environ.get("REPORT_BOT_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (REPORT_BOT_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    tmp = tmp_path_factory.mktemp("chromium")
    browser = Chromium(exe, tmp / "profile", tmp / "chromium.log")
    try:
        browser.send("Browser.getVersion", timeout=30)
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    srv = Server(base, LocalArtifactStore(tmp_path_factory.mktemp("artifacts"), base))
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        srv.seen.append(f"{request.method} {request.url.path}")
        response: Response = await call_next(request)
        return response

    app.include_router(artifact_router(srv.store))

    @app.get("/plain/{name}")
    def plain(name: str) -> Response:  # no security headers at all
        return HTMLResponse(srv.plain[name]) if name in srv.plain else PlainTextResponse("no", 404)

    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield srv
    finally:
        uv.should_exit = True
        thread.join(10)
        sock.close()


def _leak_free(tab: Tab, srv: Server, mark: int, page_path: str) -> None:
    """The page loaded, and nothing else happened: no request, dialog, console message or CSP report."""
    assert srv.requests_since(mark) == [f"GET {page_path}"]
    urls = [r["request"]["url"] for r in tab.events("Network.requestWillBeSent")]
    assert [u for u in urls if not u.startswith("data:")] == [srv.base + page_path]
    assert tab.events("Page.javascriptDialogOpening") == []
    assert tab.events("Runtime.consoleAPICalled") == []
    assert tab.events("Runtime.exceptionThrown") == []
    assert [e["entry"]["text"] for e in tab.events("Log.entryAdded")] == []  # e.g. CSP violations
    assert inert_problems(tab.dom()) == []  # the DOM the browser built, not just the HTML we sent


def test_hostile_page_behind_the_artifact_server(chromium: Chromium, server: Server) -> None:
    page = render_page(hostile_report(f"{server.base}/leak"), no_files, group="<img src=x onerror=alert(1)>")
    art = server.store.put(
        page.html.encode(), "report.html", "text/html; charset=utf-8", timedelta(minutes=5)
    )
    path = art.url.removeprefix(server.base)
    tab = Tab(chromium)
    mark = len(server.seen)
    tab.open(art.url)
    _leak_free(tab, server, mark, path)
    responses = [e["response"] for e in tab.events("Network.responseReceived")]
    assert any(r["url"] == art.url and r["headers"].get("content-security-policy") == CSP for r in responses)


def test_hostile_page_is_inert_without_any_csp(chromium: Chromium, server: Server) -> None:
    html = render_page(hostile_report(f"{server.base}/leak"), no_files).html
    meta = f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">\n'
    assert meta in html
    server.plain["hostile.html"] = html.replace(meta, "")  # the sanitiser alone must hold
    tab = Tab(chromium)
    mark = len(server.seen)
    tab.open(f"{server.base}/plain/hostile.html")
    _leak_free(tab, server, mark, "/plain/hostile.html")
    # scripts are allowed on this page (no CSP, no sandbox), so ask the page itself
    state = tab.evaluate(
        "({xss: typeof window.__xss, scripts: document.scripts.length, title: document.title,"
        " frames: window.frames.length, forms: document.forms.length, href: location.href})"
    )
    assert state == {
        "xss": "undefined",
        "scripts": 0,
        "title": "Exam report",
        "frames": 0,
        "forms": 0,
        "href": f"{server.base}/plain/hostile.html",
    }


@pytest.mark.parametrize("index", range(0, len(PAYLOADS), 7))
def test_payload_groups_without_csp(chromium: Chromium, server: Server, index: int) -> None:
    """A few payloads per page, so one that breaks the page for the others cannot hide them."""
    text = "\n\n".join(p.replace("LEAK", f"{server.base}/leak/{index + i}") for i, p in enumerate(PAYLOADS[index : index + 7]))  # fmt: skip
    html = render_page(f"# Payloads\n\n{text}\n", no_files, plain=True).html
    server.plain[f"group{index}.html"] = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    tab = Tab(chromium)
    mark = len(server.seen)
    tab.open(f"{server.base}/plain/group{index}.html")
    _leak_free(tab, server, mark, f"/plain/group{index}.html")


def test_seed_report_screenshot(chromium: Chromium, server: Server, shared: Path) -> None:
    seed = sorted((shared / "reports" / "seeds").glob("*.md"))[0]
    raw = seed.read_text("utf-8")
    targets = {resolve(link.target, "reports") for link in links(parse(raw)) if ":" not in link.target}
    colours = [(70, 130, 180), (46, 139, 87), (205, 92, 92), (218, 165, 32), (106, 90, 205)]
    files = {t: png(480, 180, colours[i % len(colours)], t.encode()) for i, t in enumerate(sorted(targets))}
    page = render_page(raw, files.get, group="Seed group", commit="0" * 40)
    assert page.images_embedded > 0
    art = server.store.put(
        page.html.encode(), "report.html", "text/html; charset=utf-8", timedelta(minutes=5)
    )
    tab = Tab(chromium, 1280, 2400)
    mark = len(server.seen)
    tab.open(art.url)
    _leak_free(tab, server, mark, art.url.removeprefix(server.base))
    ARTIFACTS.mkdir(exist_ok=True)
    top, figure = ARTIFACTS / f"render-{seed.stem}.png", ARTIFACTS / f"render-{seed.stem}-figure.png"
    tab.screenshot(top)
    tab.screenshot(figure, "section.rb-question:has(img)")
    for shot in (top, figure):
        data = shot.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000
    # the embedded images decoded in the browser: the live DOM still holds them as data: URIs
    live = parse_page(tab.dom())
    for name in ("handin", "github"):
        (view,) = live.find_all("div", id=f"view-{name}")
        assert len(view.find_all("img")) == page.images_embedded
    # the hand-in shows first; the GitHub view only once it is the target (no JavaScript needed)
    shown = "getComputedStyle(document.getElementById('view-{}')).display"
    assert tab.evaluate(shown.format("handin")) != "none" and tab.evaluate(shown.format("github")) == "none"
    handin_shot = ARTIFACTS / f"render-{seed.stem}-handin.png"
    tab.screenshot(handin_shot)
    tab.evaluate("location.hash = '#view-github'")  # what clicking the switch does
    assert tab.evaluate(shown.format("github")) != "none" and tab.evaluate(shown.format("handin")) == "none"
    github_shot = ARTIFACTS / f"render-{seed.stem}-github.png"
    tab.screenshot(github_shot)
    tab.evaluate("location.hash = '#question-3'")
    assert tab.evaluate(shown.format("handin")) != "none"
    for shot in (handin_shot, github_shot):
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000


def test_the_harness_sees_leaks_scripts_and_dialogs(chromium: Chromium, server: Server) -> None:
    """Negative control: an unsanitised page is caught by every check above."""
    server.plain["control.html"] = (
        "<!DOCTYPE html><title>control</title><p>control</p><img src='/leak/control.png'>"
        "<script>console.log('ran'); window.__xss = 1; setTimeout(() => alert('x'), 0)</script>"
    )
    tab = Tab(chromium)
    mark = len(server.seen)
    tab.call("Page.navigate", {"url": f"{server.base}/plain/control.html"})
    chromium.wait_event(
        lambda e: e.get("sessionId") == tab.session and e["method"] == "Page.javascriptDialogOpening"
    )
    tab.call("Page.handleJavaScriptDialog", {"accept": True})
    deadline = time.monotonic() + 10
    while "GET /leak/control.png" not in server.requests_since(mark):
        assert time.monotonic() < deadline, server.requests_since(mark)
        time.sleep(0.02)
    assert tab.events("Runtime.consoleAPICalled")
    assert tab.evaluate("window.__xss") == 1
    assert any("image not embedded" in p for p in inert_problems(tab.dom()))
