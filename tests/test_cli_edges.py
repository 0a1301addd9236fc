"""The command line at its edges: images that are here but not committed, a pipe closed early, a terminal
that cannot print emoji, crashes (exit 3), unknown rule sets, a folder for PATH, --version, error prefix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from reportgen import make_report

import bot.cli.check
from bot.cli.main import main
from bot.report.rules import builtin

R26 = builtin("dtu-mlops-2026")
PNG = b"\x89PNG\r\n\x1a\n"
EXE = str(Path(sys.executable).parent / "report-bot")


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x"}  # fmt: skip
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def git_repo(tmp_path: Path, *, commit_figure: bool) -> Path:
    (tmp_path / "reports" / "figures").mkdir(parents=True)
    report = tmp_path / "reports" / "README.md"
    report.write_text(make_report(R26), "utf-8")
    (tmp_path / "reports" / "figures" / "fig.png").write_bytes(PNG)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "reports/README.md")
    if commit_figure:
        git(tmp_path, "add", "reports/figures/fig.png")
    git(tmp_path, "commit", "-q", "-m", "report")
    return report


def test_an_image_that_is_here_but_not_committed_is_missing_as_on_github(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = git_repo(tmp_path, commit_figure=False)
    assert main(["check", str(report), "--rules", "dtu-mlops-2026"]) == 1
    out = capsys.readouterr().out
    assert "`reports/figures/fig.png` is here but not committed: `git add` it" in out
    assert "git add reports/figures/fig.png" in out


def test_a_committed_image_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = git_repo(tmp_path, commit_figure=True)
    assert main(["check", str(report), "--rules", "dtu-mlops-2026"]) == 0


def test_help_says_how_image_links_are_resolved(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Outside one, every file under --repo-root counts" in text and "not committed" in text


def test_a_pipe_closed_early_ends_quietly(tmp_path: Path) -> None:
    report = git_repo(tmp_path, commit_figure=False)
    text = report.read_text() * 40  # a long output
    report.write_text(text)
    done = subprocess.run(
        ["bash", "-c", f'set -o pipefail; "{EXE}" check "{report}" --format json | head -c 10 >/dev/null'],
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.stderr == ""


def test_a_terminal_that_cannot_print_emoji_gets_plain_text(tmp_path: Path) -> None:
    report = git_repo(tmp_path, commit_figure=False)
    for fmt in ("text", "markdown"):
        done = subprocess.run(
            [EXE, "check", str(report), "--format", fmt],
            capture_output=True,
            env={**os.environ, "PYTHONIOENCODING": "ascii"},
        )
        assert done.returncode == 1, done.stderr
        assert b"Traceback" not in done.stderr
        done.stdout.decode("ascii")  # nothing the terminal cannot show
    assert b"[x]" in done.stdout  # the markdown verdict's emoji, spelled out


def test_a_crash_of_our_own_exits_3_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(args: object) -> int:
        raise RuntimeError("something we did not foresee\nsecond line")

    monkeypatch.setattr(bot.cli.check, "run_check", boom)
    assert main(["check", str(tmp_path / "x.md")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(
        "report-bot check: error: report-bot failed (RuntimeError: something we did not foresee)"
    )


def test_an_unknown_rule_set_lists_the_built_in_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = git_repo(tmp_path, commit_figure=True)
    assert main(["check", str(report), "--rules", "dtu-mlops-2023"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("report-bot check: error: ")
    assert "dtu-mlops-2026, dtu-mlops-2025, dtu-mlops-2024" in err


def test_a_folder_suggests_its_readme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = git_repo(tmp_path, commit_figure=True)
    assert main(["check", str(report.parent)]) == 2
    assert f"report-bot check {report}" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("report-bot 0.")


def test_a_link_outside_reports_gets_the_github_permalink_of_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inside a checkout whose origin is on GitHub, the fix of a link that is dead in the hand-in is the
    permalink of the file at HEAD (owner, repository and commit from git)."""
    report = git_repo(tmp_path, commit_figure=True)
    (tmp_path / "dockerfiles").mkdir()
    (tmp_path / "dockerfiles" / "train.dockerfile").write_text("FROM python:3.11\n", "utf-8")
    text = report.read_text("utf-8").replace(
        "q5w1", "q5w1 [the Dockerfile](../dockerfiles/train.dockerfile)", 1
    )
    assert text != report.read_text("utf-8")
    report.write_text(text, "utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "link")
    git(tmp_path, "remote", "add", "origin", "git@github.com:course-org/group-7.git")
    sha = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    main(["check", str(report)])
    out = capsys.readouterr().out
    assert "RB027" in out
    assert f"https://github.com/course-org/group-7/blob/{sha}/dockerfiles/train.dockerfile" in out


def test_without_a_github_remote_the_hint_names_the_permalink_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = git_repo(tmp_path, commit_figure=True)
    text = report.read_text("utf-8").replace("q5w1", "q5w1 [ci](../.github/workflows/ci.yml)", 1)
    report.write_text(text, "utf-8")
    main(["check", str(report)])
    out = capsys.readouterr().out
    assert "RB027" in out and "https://github.com/OWNER/REPO/blob/" in out


def test_no_handin_skips_the_hand_in_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = git_repo(tmp_path, commit_figure=True)
    text = report.read_text("utf-8").replace("q5w1", "q5w1\n\n```bash\npip install x\n```\n", 1)
    report.write_text(text, "utf-8")
    main(["check", str(report)])
    assert "RB070" in capsys.readouterr().out
    main(["check", str(report), "--no-handin"])
    assert "RB070" not in capsys.readouterr().out
