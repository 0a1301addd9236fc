"""A tiny Chrome DevTools Protocol client over `--remote-debugging-pipe` (fd 3 in, fd 4 out, messages
are JSON ended by NUL): drives Debian's headless Chromium with the standard library only, no websocket
package and no browser download."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--remote-debugging-pipe",
]


_TRAMPOLINE = """
import fcntl, os, sys
src = [int(sys.argv[1]), int(sys.argv[2])]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in src]
os.dup2(high[0], 3)
os.dup2(high[1], 4)
for fd in set(src + high) - {3, 4}:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""


def find_chromium() -> str | None:
    env = os.environ.get("REPORT_BOT_CHROMIUM")
    if env:  # an explicit choice: that browser or none
        return env if os.access(env, os.X_OK) else None
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class CDPError(RuntimeError):
    pass


class Chromium:
    """One headless browser. `send` calls a method and waits for its answer; events are kept in order."""

    def __init__(self, executable: str, user_data_dir: Path, log_path: Path) -> None:
        to_chrome_r, self._out = os.pipe()
        self._in, from_chrome_w = os.pipe()
        # A Python trampoline puts our pipe ends on fds 3 and 4 and execs Chromium (no preexec_fn: the
        # test process has threads; `sh` cannot, dash only knows fds 0-9).
        argv = [executable, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"]
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_chrome_r), str(from_chrome_w), *argv],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._answers: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._in, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._answers[-1] = {"closed": True}
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._answers[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cond.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 20.0) -> dict[str, Any]:  # fmt: skip
        with self._lock:
            self._next += 1
            ident = self._next
        msg: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._answers:
                if -1 in self._answers:
                    raise CDPError(f"{method}: the browser closed the pipe")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CDPError(f"{method}: no answer in {timeout} s")
                self._cond.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise CDPError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def wait_event(self, match: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for event in self.events[seen:]:
                    if match(event):
                        return event
                seen = len(self.events)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CDPError(f"no matching event in {timeout} s")
                self._cond.wait(left)

    def session_events(self, session: str, since: int = 0) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events[since:] if e.get("sessionId") == session]

    def close(self) -> None:
        with contextlib.suppress(CDPError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._log.close()


class Tab:
    """A page in its own target, with Page/Network/Runtime/Log events on."""

    def __init__(self, browser: Chromium, width: int = 1280, height: int = 2400) -> None:
        self.browser = browser
        self.target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": self.target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log", "DOM"):
            self.call(f"{domain}.enable")
        self.call("Page.setLifecycleEventsEnabled", {"enabled": True})
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})  # fmt: skip
        self.mark = 0

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def open(self, url: str, timeout: float = 20.0) -> None:
        """Navigate and wait until the network has been idle (Chromium's `networkIdle`: 500 ms quiet)."""
        self.mark = len(self.browser.events)
        loader = self.call("Page.navigate", {"url": url}).get("loaderId")
        self.browser.wait_event(
            lambda e: (
                e.get("sessionId") == self.session
                and e["method"] == "Page.lifecycleEvent"
                and e["params"]["name"] == "networkIdle"
                and e["params"].get("loaderId") == loader
            ),
            timeout,
        )

    def events(self, method: str) -> list[dict[str, Any]]:
        return [
            e["params"] for e in self.browser.session_events(self.session, self.mark) if e["method"] == method
        ]

    def dom(self) -> str:
        root = self.call("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        return str(self.call("DOM.getOuterHTML", {"nodeId": root})["outerHTML"])

    def evaluate(self, expression: str) -> Any:
        got = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in got:
            raise CDPError(f"evaluate: {got['exceptionDetails']}")
        return got["result"].get("value")

    def screenshot(self, path: Path, selector: str | None = None, max_height: int = 2400) -> None:
        """The viewport, or the element matching `selector` (at most `max_height` pixels of it)."""
        params: dict[str, Any] = {"format": "png"}
        if selector is not None:
            root = self.call("DOM.getDocument")["root"]["nodeId"]
            node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            if not node:
                raise CDPError(f"no element matches {selector}")
            quad = self.call("DOM.getBoxModel", {"nodeId": node})["model"]["border"]
            xs, ys = quad[0::2], quad[1::2]
            clip = {
                "x": min(xs),
                "y": min(ys),
                "width": max(xs) - min(xs),
                "height": min(max(ys) - min(ys), max_height),
            }
            params.update(clip={**clip, "scale": 1}, captureBeyondViewport=True)
        data = self.call("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
