"""End-to-end harness: `report-bot serve` for real (a subprocess on a loopback port) against the GitHub double,
and signed webhook deliveries built from GitHub's own example payloads in ../shared/github-payloads."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from conftest import ROOT, SHARED, require_shared
from github_double import GitHubDouble

SECRET = "e2e-webhook-secret"
PAYLOADS = SHARED / "github-payloads"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


class BotServer:
    """`report-bot serve` in a subprocess, configured to talk to `double` (`args`: more serve options)."""

    def __init__(
        self, double: GitHubDouble, private_pem: str, workdir: Path, *, args: Sequence[str] = (), **env: str
    ) -> None:
        self.double, self.workdir, self.args = double, workdir, list(args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "REPORT_BOT_APP_ID": str(double.app_id),
            "REPORT_BOT_PRIVATE_KEY": private_pem,
            "REPORT_BOT_WEBHOOK_SECRET": SECRET,
            "REPORT_BOT_GITHUB_API_URL": double.url,
            "REPORT_BOT_DATABASE_URL": f"sqlite:///{workdir / 'bot.db'}",
            "REPORT_BOT_ARTIFACT_DIR": str(workdir / "artifacts"),
            "REPORT_BOT_PUBLIC_URL": self.url,
            "REPORT_BOT_RETRY_BASE_SECONDS": "0.05",
            "REPORT_BOT_RETRY_MAX_SECONDS": "1",
            "REPORT_BOT_WRITE_INTERVAL_SECONDS": "0.02",
            "REPORT_BOT_REQUEST_TIMEOUT_SECONDS": "3",
            "REPORT_BOT_JOB_LEASE_SECONDS": "5",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "bot.log"

    def start(self) -> BotServer:
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += self.args
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._healthy, timeout=30)
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(
                f"report-bot serve exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
            )
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> BotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def jobs(self) -> dict[str, int]:
        return dict(httpx.get(f"{self.url}/healthz", timeout=5).json()["jobs"])

    def idle(self, timeout: float = 30.0) -> None:
        """Wait until no job is waiting or running (and the last one has finished writing); by then the bot
        must have read no GraphQL field that the double does not model (it would have answered null)."""

        def done() -> bool:
            counts = self.jobs()
            return counts.get("waiting", 0) == 0 and counts.get("running", 0) == 0

        wait_until(done, timeout=timeout)
        assert self.double.unmodelled_fields() == [], "the bot read GraphQL fields the double does not model"

    def send(
        self,
        event: str,
        payload: dict[str, Any] | bytes,
        *,
        delivery: str | None = None,
        secret: str | None = SECRET,
        signature: str | None = None,
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "User-Agent": "GitHub-Hookshot/e2e",
        }
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        elif secret is not None:
            headers["X-Hub-Signature-256"] = (
                "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            )
        return httpx.post(f"{self.url}/webhook", content=body, headers=headers, timeout=10)


# --------------------------------------------------------------------------- payloads from GitHub's examples


def _example(name: str) -> dict[str, Any]:
    require_shared()
    return copy.deepcopy(json.loads((PAYLOADS / name).read_text("utf-8")))


def _person(double: GitHubDouble, login: str) -> dict[str, Any]:
    user = double.json_user(login)
    user["type"] = "User"
    return user


def push_payload(
    double: GitHubDouble,
    owner: str,
    repo: str,
    before: str,
    after: str,
    changed: list[str],
    *,
    branch: str = "main",
    installation: int = 100,
    sender: str = "student",
) -> dict[str, Any]:
    p = _example("push/with-installation.payload.json")
    p["ref"] = f"refs/heads/{branch}"
    p["before"], p["after"] = before, after
    p["created"], p["deleted"], p["forced"], p["base_ref"] = (
        before.strip("0") == "",
        after.strip("0") == "",
        False,
        None,
    )
    commit = {
        "id": after,
        "tree_id": after,
        "distinct": True,
        "message": "Update report",
        "timestamp": "2026-11-30T12:00:00Z",
        "url": f"https://github.com/{owner}/{repo}/commit/{after}",
        "author": {"name": sender, "email": f"{sender}@example.com", "username": sender},
        "committer": {"name": sender, "email": f"{sender}@example.com", "username": sender},
        "added": [],
        "removed": [],
        "modified": changed,
    }
    p["commits"] = [commit] if after.strip("0") else []
    p["head_commit"] = commit if after.strip("0") else None
    p["repository"] = double.json_repo(owner, repo)
    p["repository"]["owner"]["name"] = owner  # push payloads carry the owner's name too
    p["installation"] = {"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}
    p["sender"] = _person(double, sender)
    p["pusher"] = {"name": sender, "email": f"{sender}@example.com"}
    return p


def pr_payload(
    double: GitHubDouble,
    owner: str,
    repo: str,
    number: int,
    action: str,
    *,
    installation: int = 100,
    sender: str = "student",
) -> dict[str, Any]:
    p = _example("pull_request/synchronize.payload.json")
    p["action"] = action
    p["number"] = number
    p["pull_request"] = double.json_pull(owner, repo, number)
    p["repository"] = double.json_repo(owner, repo)
    p["installation"] = {"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}
    p["sender"] = _person(double, sender)
    return p


def comment_payload(
    double: GitHubDouble,
    owner: str,
    repo: str,
    number: int,
    comment_id: int,
    action: str = "created",
    *,
    installation: int = 100,
    sender: str | None = None,
) -> dict[str, Any]:
    p = _example("issue_comment/created.with-installation.payload.json")
    p["action"] = action
    p["issue"] = double.json_issue(owner, repo, number)
    p["comment"] = double.json_comment(owner, repo, comment_id)
    p["repository"] = double.json_repo(owner, repo)
    p["installation"] = {"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}
    p["sender"] = p["comment"]["user"] if sender is None else _person(double, sender)
    if action == "edited":
        p["changes"] = {"body": {"from": ""}}
    return p


def seed(name: str) -> str:
    require_shared()
    return (SHARED / "reports" / "seeds" / name).read_text("utf-8")


def project_root() -> Path:
    return ROOT
