"""`scripts/serve` and `scripts/test`: .venv is set up from the lock only when it is missing or pyproject /
the lock changed (a stamp), so a restart needs no package index; serve runs in the caller's directory (its
.env) and binds 127.0.0.1 unless HOST says otherwise. The lock files cover every declared dependency."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT
from reportgen import make_report

from bot.report.rules import builtin

APP_STACK = (
    "fastapi",
    "uvicorn",
    "githubkit",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "httpx",
    "psycopg",
)

FAKE_PIP = """#!/usr/bin/env bash
echo "pip $*" >> "$(dirname "$0")/../calls.log"
"""
FAKE_BOT = """#!/usr/bin/env bash
echo "report-bot $* in $PWD" >> "$(dirname "$0")/../calls.log"
"""


def project_copy(tmp_path: Path) -> Path:
    """pyproject, the locks and the scripts, with a .venv whose pip and report-bot only record their calls."""
    root = tmp_path / "clone"
    (root / "scripts" / "lib").mkdir(parents=True)
    for rel in ("pyproject.toml", "scripts/serve", "scripts/test", "scripts/lib/venv.sh"):
        shutil.copy2(ROOT / rel, root / rel)
    shutil.copytree(ROOT / "requirements", root / "requirements")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("pip", FAKE_PIP), ("report-bot", FAKE_BOT), ("python", "#!/bin/sh\n")):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return root


def run_serve(root: Path, cwd: Path, **env: str) -> list[str]:
    closed = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": "", "PIP_NO_INDEX": "1"}
    full = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT")}
    full.update(closed, **env)
    subprocess.run([str(root / "scripts" / "serve")], cwd=cwd, env=full, check=True, capture_output=True)
    log = root / ".venv" / "calls.log"
    calls = log.read_text().splitlines()
    log.unlink()
    return calls


def test_serve_installs_once_then_starts_without_an_index(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    here = tmp_path / "deploy"
    here.mkdir()
    first = run_serve(root, here)
    assert first[0].startswith("pip install") and "requirements/serve.txt" in first[0]
    assert first[1] == f"report-bot serve --host 127.0.0.1 --port 8000 in {here}"  # the caller's .env
    second = run_serve(root, here, PORT="8100")
    assert second == [f"report-bot serve --host 127.0.0.1 --port 8100 in {here}"]  # no pip: no index needed
    (root / "requirements" / "serve.txt").write_text("changed==1\n")
    third = run_serve(root, here)
    assert third[0].startswith("pip install")  # the locked dependencies changed


def test_the_locks_pin_every_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    def names(specs: list[str]) -> set[str]:
        found = set()
        for spec in specs:
            name = re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower().replace("_", "-")
            if name != "report-bot":
                found.add(name)
        return found

    def pinned(lock: str) -> set[str]:
        text = (ROOT / "requirements" / lock).read_text()
        return {m.group(1).lower() for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", text, re.M)}

    serve = names(project["dependencies"] + extras["app"] + extras["postgres"])
    assert serve <= pinned("serve.txt"), "run the lock update command of the README"
    assert serve | names(extras["test"]) <= pinned("test.txt"), "run the lock update command of the README"


def test_the_core_package_needs_only_what_check_and_render_need() -> None:
    core = {re.split(r"[\s<>=!~;\[]", s, maxsplit=1)[0].lower() for s in tomllib.loads(
        (ROOT / "pyproject.toml").read_text()
    )["project"]["dependencies"]}  # fmt: skip
    assert core == {"markdown-it-py", "mdit-py-plugins", "pyyaml", "nh3", "markdown"}


def test_check_and_render_run_without_the_apps_stack(tmp_path: Path) -> None:
    """What `pipx install` of the core gives a student: check and render with none of the App's packages."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "reports" / "figures").mkdir(parents=True)
    (tmp_path / "reports" / "figures" / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    report = tmp_path / "reports" / "README.md"
    report.write_text(make_report(builtin("dtu-mlops-2026")), "utf-8")
    block = f"import sys\nfor m in {APP_STACK!r}: sys.modules[m] = None\n"
    for argv in (["check", str(report)], ["render", str(report), "-o", str(tmp_path / "page.html")]):
        code = block + f"from bot.cli.main import main\nraise SystemExit(main({argv!r}))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr


def test_ci_turns_any_skip_into_a_failure(tmp_path: Path) -> None:
    """`.ci/run` runs the suite with `-p no_skips`: a skipped test fails the run (a pass stays a pass)."""
    assert "-p no_skips" in (ROOT / ".ci" / "run").read_text()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no_skips"]
    (tmp_path / "test_skip.py").write_text("import pytest\n\ndef test_a():\n    pytest.skip('absent')\n")
    (tmp_path / "test_pass.py").write_text("def test_b():\n    pass\n")
    skipped = subprocess.run([*cmd, "test_skip.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    passed = subprocess.run([*cmd, "test_pass.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert skipped.returncode == 1 and "CI counts as a failure" in skipped.stdout
    assert passed.returncode == 0
