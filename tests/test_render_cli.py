"""`report-bot render`: files in, one page out, images only from inside the repository root."""

from __future__ import annotations

import argparse
import base64
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import render as render_cli
from tests.conftest import ROOT
from tests.fake_images import png
from tests.page_dom import parse_page


def question(n: int, answer: str) -> str:
    return f"### Question {n}\n\n> **Prompt {n}**\n>\n> Answer:\n\n{answer}\n\n"


REPORT = (
    "# Report\n\n" + question(1, "42") + question(2, "![loss](figures/loss.png)\n\n![gone](figures/lost.png)")
)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    render_cli.add_arguments(parser)
    return render_cli.main(parser.parse_args(list(argv)))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "reports" / "figures").mkdir(parents=True)
    (root / "reports" / "README.md").write_text(REPORT, "utf-8")
    (root / "reports" / "figures" / "loss.png").write_bytes(png(note=b"loss"))
    return root


def images_of(page: Path, view: str = "handin") -> list[bytes]:
    """The embedded images of one of the page's two views (both embed the same files)."""
    (root,) = parse_page(page.read_text("utf-8")).find_all("div", id=f"view-{view}")
    return [base64.b64decode(i.attrs["src"].split(",", 1)[1]) for i in root.find_all("img")]


def test_renders_into_the_current_directory_with_images_from_the_repo(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    assert run(str(repo / "reports" / "README.md"), "--group", "Group 9") == 0
    out = here / "report.html"
    assert not (repo / "reports" / "report.html").exists()  # never written into the student's reports/
    assert images_of(out) == images_of(out, "github") == [png(note=b"loss")]
    (root,) = parse_page(out.read_text("utf-8")).find_all("div", id="view-handin")
    (missing,) = root.find_all("span", **{"data-placeholder": "missing"})
    assert missing.attrs["data-path"] == "reports/figures/lost.png"
    assert "Did you mean figures/loss.png?" in missing.text()  # the checker saw the repository's file list
    assert "Group 9" in parse_page(out.read_text("utf-8")).find_all("header")[0].text()
    assert "report.html" in capsys.readouterr().out


def test_output_option_plain_and_rules(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    assert (
        run(str(repo / "reports" / "README.md"), "-o", str(out), "--plain", "--rules", "dtu-mlops-2024") == 0
    )
    root = parse_page(out.read_text("utf-8"))
    assert not root.find_all("header") and len(images_of(out)) == 1
    assert not (repo / "reports" / "report.html").exists()
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "name: mine\nquestions:\n  - {number: 1, topic: group}\n  - {number: 2, topic: pics, images: {min: 1, max: 1}}\n",
        "utf-8",
    )
    assert run(str(repo / "reports" / "README.md"), "-o", str(out), "--rules", str(rules)) == 0
    assert "mine" in parse_page(out.read_text("utf-8")).find_all("header")[0].text()


def test_repo_root_defaults_to_the_parents_parent_without_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "plain"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "shared.png").write_bytes(png(note=b"docs"))
    (root / "reports").mkdir()
    (root / "reports" / "README.md").write_text(question(1, "![d](../docs/shared.png)"), "utf-8")
    assert run(str(root / "reports" / "README.md")) == 0
    assert images_of(tmp_path / "report.html") == [png(note=b"docs")]


def test_images_outside_the_root_are_never_read(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(note=b"secret"))
    (repo / "reports" / "figures" / "link.png").symlink_to(secret)
    (repo / "reports" / "figures" / "inside.png").symlink_to(repo / "reports" / "figures" / "loss.png")
    (repo / ".git" / "x.png").write_bytes(png(note=b"git"))
    report = repo / "reports" / "README.md"
    report.write_text(
        question(
            1,
            "![a](../../secret.png) ![b](figures/link.png) ![c](/etc/x.png) ![d](" + str(secret) + ") "
            "![e](../.git/x.png) ![f](figures/inside.png)",
        ),
        "utf-8",
    )
    assert run(str(report)) == 0
    assert images_of(tmp_path / "report.html") == images_of(tmp_path / "report.html", "github")
    assert images_of(tmp_path / "report.html") == [png(note=b"loss")]


def test_reader_refuses_escapes(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.png").write_bytes(b"x")
    read = render_cli.repo_reader(repo, 1000)
    assert read("reports/figures/loss.png") == png(note=b"loss")
    for bad in ("../outside.png", "/etc/passwd", "reports/../../outside.png", "reports\\figures\\loss.png",
                "", "reports/figures", ".git/HEAD", "reports/figures/loss.png\x00"):  # fmt: skip
        assert read(bad) is None, bad
    assert len(render_cli.repo_reader(repo, 10)("reports/figures/loss.png") or b"") == 11


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("missing", "no such report"),
        ("latin1", "not UTF-8"),
        ("too-big", "max_report_bytes"),
        ("bad-rules", "no-such-rules: no such rule set file"),
        ("outside-root", "not inside the repository root"),
        ("self", "refusing to overwrite"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, needle: str
) -> None:
    report = repo / "reports" / "README.md"
    args = [str(report)]
    if setup == "missing":
        args = [str(repo / "reports" / "nope.md")]
    elif setup == "latin1":
        report.write_bytes("### Question 1\n\nK\xf8benhavn\n".encode("latin-1"))
    elif setup == "too-big":
        report.write_text("### Question 1\n> Answer:\n\n" + "x" * 300_000, "utf-8")
    elif setup == "bad-rules":
        args += ["--rules", "no-such-rules"]
    elif setup == "outside-root":
        args += ["--repo-root", str(repo / "reports" / "figures")]
    elif setup == "self":
        args += ["-o", str(report)]
    assert run(*args) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_module_entry_point(repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli.render", str(repo / "reports" / "nope.md")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "no such report" in proc.stderr and "Traceback" not in proc.stderr
