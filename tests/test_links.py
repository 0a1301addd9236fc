"""Image links and links to files as markdown-it sees them (item 1 of checker v2), and their linear time."""

from __future__ import annotations

import time

import pytest
from reportgen import make_report
from test_diagnostics import FILES, R26, one, only, real, run

from bot.report import images, links
from bot.report.check import check
from bot.report.parse import parse

BASE = "https://github.com/octo/repo/blob/0123abc"


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_template_brackets_kept_name_the_existing_file() -> None:
    answer = "Our bucket:\n\n![bucket](figures/<fig>.<png>)"
    text = make_report(R26, {19: answer})
    d = one(check(text, R26, FILES), "RB026")
    assert d.line == line_of(text, "![bucket]") and d.question == 19
    assert "`figures/fig.png` (`reports/figures/fig.png` exists)" in d.hint


def test_template_brackets_real_in_code_blocks() -> None:
    v = real("JonatanRasmussen__DTU-02476-Group-100-Project.md")
    found = only(v, "RB026")
    assert [d.line for d in found] == [345, 351, 473, 477, 491, 505, 579]
    bucket = next(d for d in found if d.line == 473)
    assert "inside a code block" in bucket.message
    assert "`figures/bucket.png` (`reports/figures/bucket.png` exists)" in bucket.hint


def test_angle_bracket_destination_with_spaces_and_balanced_parentheses() -> None:
    answer = (
        "Two figures and some words here.\n\n"
        "![alt](<figures/Skærmbillede 2025-01-24 kl. 14.53.53.png>)\n"
        "![run](figures/single-run-(winter-rain-13).png)"
    )
    r = parse(make_report(R26, {14: answer}))
    targets = [link.target for link in links.in_answers(r, r.questions) if link.question == 14]
    assert targets == [
        "figures/Skærmbillede 2025-01-24 kl. 14.53.53.png",
        "figures/single-run-(winter-rain-13).png",
    ]
    files = [*FILES, "reports/figures/Skærmbillede 2025-01-24 kl. 14.53.53.png"]
    v = run({14: answer}, files=files)
    d = one(v, "RB020")  # only the missing one, found with its whole name
    assert "`figures/single-run-(winter-rain-13).png`" in d.message


def test_html_images_in_blocks_and_inline() -> None:
    answer = 'Words here.\n\n<p align="center">\n<img src="figures/a.png" width=300>\n</p>\n\nAnd <IMG SRC=figures/b.png> inline.'
    text = make_report(R26, {14: answer})
    r = parse(text)
    got = [(link.target, link.line) for link in links.in_answers(r, r.questions) if link.question == 14]
    assert got == [
        ("figures/a.png", line_of(text, '<img src="figures/a.png"')),
        ("figures/b.png", line_of(text, "And <IMG")),
    ]


def test_links_in_code_spans_and_prompts_are_not_read() -> None:
    answer = "We wrote `![x](figures/nope.png)` in the docs."
    r = parse(make_report(R26, {14: answer}))
    assert [
        x for x in links.in_answers(r, r.questions) if x.question == 14
    ] == []  # the template's prompts link figures/wandb.png etc.


def test_link_outside_the_report_folder_gets_a_permalink() -> None:
    answer = "See the [Dockerfile](../dockerfiles/train.dockerfile) for how we build the image, it is short."
    text = make_report(R26, {15: answer})
    v = check(text, R26, [*FILES, "dockerfiles/train.dockerfile"], "reports", permalink_base=BASE)
    d = one(v, "RB027")
    assert d.line == line_of(text, "See the [Dockerfile]") and d.question == 15
    assert "`../dockerfiles/train.dockerfile` points outside `reports/`" in d.message
    assert f"`{BASE}/dockerfiles/train.dockerfile`" in d.hint
    without = one(check(text, R26, [*FILES, "dockerfiles/train.dockerfile"], "reports"), "RB027")
    assert "`https://github.com/OWNER/REPO/blob/COMMIT/dockerfiles/train.dockerfile`" in without.hint


def test_link_to_a_file_not_in_the_repository() -> None:
    answer = "Our workflow is in [ci.yml](.github/workflows/ci.yml) and runs on every push to main."
    files = [*FILES, ".github/workflows/ci.yml", "src/train.py"]
    d = one(check(make_report(R26, {10: answer}), R26, files, "reports", permalink_base=BASE), "RB028")
    assert "`reports/.github/workflows/ci.yml`, which is not in the repository" in d.message
    assert (
        f"Did you mean `.github/workflows/ci.yml`? Link its GitHub permalink: `{BASE}/.github/workflows/ci.yml`"
        in d.hint
    )
    # The command line lists images only: a link to another file is then not looked up.
    assert not only(check(make_report(R26, {10: answer}), R26, FILES, "reports"), "RB028")


def test_links_outside_reports_real() -> None:
    v = real("XanderBaatz__dtu_mlops_project.md")
    d = next(d for d in only(v, "RB027") if "train.py" in d.message)
    assert d.line == 151 and "`../src/dtu_mlops_project/train.py`" in d.message


def test_image_outside_the_report_folder() -> None:
    d = one(run({14: "Words.\n\n![x](../docs/x.png)"}, files=[*FILES, "docs/x.png"]), "RB029")
    assert "Copy it to `reports/figures/x.png` and link `figures/x.png`" in d.hint


def test_hand_in_image_list_skips_placeholders() -> None:
    r = parse("# T\n\n![my_image](figures/<image>.<extension>)\n\n![a](figures/a.png)\n")
    assert [link.target for link in images.links(r)] == ["figures/a.png"]


@pytest.mark.parametrize(
    "hostile",
    [
        "![" * 60000,
        '![](a "' * 20000,
        "<img " * 40000,
        "![](" * 30000,
        "![](<" * 30000,
        "[" * 60000,
        "\n".join(["![](a"] * 20000),
        ("![](x) " * 300 + "\n") * 100,
    ],
)
def test_links_are_linear_on_hostile_text(hostile: str) -> None:
    r = parse(make_report(R26, {5: hostile}))
    start = time.perf_counter()
    links.in_answers(r, r.questions)
    assert time.perf_counter() - start < 2.0


def test_plain_links_fast_path_agrees_with_markdown_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import report_files

    reports = [parse(p.read_text("utf-8")) for p in report_files()]
    fast = [links.in_answers(r, r.questions) for r in reports]
    monkeypatch.setattr(links, "_plain", lambda texts: None)
    assert fast == [links.in_answers(r, r.questions) for r in reports]
    assert sum(map(len, fast)) > 300
