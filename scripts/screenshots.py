"""The README's pictures, taken with headless Chromium (Debian's `chromium` package).

    .venv/bin/python scripts/screenshots.py [--out docs]

- `setup-page.png`: `report-bot serve` started with no App (only REPORT_BOT_PUBLIC_URL), its `/` page;
- `overview.png`: an `overview.html` made by `report-bot overview --format html`, when one is given with
  `--overview FILE` (the end-to-end overview test writes one to test-artifacts/).

Nothing leaves the machine: the server listens on 127.0.0.1 and Chromium runs with networking limited to it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def shoot(url: str, out: Path, size: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={size}",
                f"--screenshot={out}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def setup_page(out: Path) -> None:
    port = _free_port()
    with tempfile.TemporaryDirectory() as work:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("REPORT_BOT_") or k == "REPORT_BOT_SHARED"
        }
        env["REPORT_BOT_PUBLIC_URL"] = "https://report-bot.course.example"
        env["REPORT_BOT_DATABASE_URL"] = f"sqlite:///{work}/bot.db"
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(f"http://127.0.0.1:{port}/healthz")
            shoot(f"http://127.0.0.1:{port}/", out, "1000,620")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--overview", type=Path, help="an overview.html to photograph")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    setup_page(args.out / "setup-page.png")
    if args.overview is not None:
        shoot(args.overview.resolve().as_uri(), args.out / "overview.png", "1500,640")


if __name__ == "__main__":
    main()
