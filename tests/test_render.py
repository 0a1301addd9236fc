"""The rendered page: structure, badges, images from the repository only, sanitising, limits."""

from __future__ import annotations

import base64
import posixpath
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.report.check import Verdict, check
from bot.report.images import links, resolve
from bot.report.parse import parse
from bot.report.render import RenderError, RenderLimits, render_page, sniff
from bot.report.rules import builtin, detect_year
from tests.conftest import report_files
from tests.fake_images import SVG, fake_for, no_files, png
from tests.page_dom import EMBEDDED, Node, inert_problems, parse_page
from tests.xss_payloads import PAYLOADS, hostile_report

LEAK = "http://127.0.0.1:9/leak"


def question(n: int, prompt: str, answer: str) -> str:
    return f"### Question {n}\n\n> **{prompt}**\n>\n> Answer:\n\n{answer}\n\n"


def report_of(*answers: str) -> str:
    return "# Report\n\n" + "".join(question(n, f"Prompt {n}", a) for n, a in enumerate(answers, 1))


def render(
    raw: str, files: dict[str, bytes] | None = None, view: str = "github", **kw: Any
) -> tuple[Node, Any]:
    """The page's header and one of its two views (`github` or `handin`) as one tree."""
    files = files or {}
    page = render_page(raw, files.get, **kw)
    root = parse_page(page.html)
    doc = Node("#document", {})
    main = Node("main", {}, children=root.find_all("div", id=f"view-{view}"))
    doc.children = [*root.find_all("header"), main]
    for node in doc.walk():  # the GitHub view's sections are `github-question-N`: name both views alike
        if node.attrs.get("id", "").startswith("github-"):
            node.attrs["id"] = node.attrs["id"].removeprefix("github-")
    return doc, page


def github_view(page: str) -> Node:
    """The page's GitHub view, its sections named `question-N` like the hand-in's."""
    (view,) = parse_page(page).find_all("div", id="view-github")
    for node in view.walk():
        if node.attrs.get("id", "").startswith("github-"):
            node.attrs["id"] = node.attrs["id"].removeprefix("github-")
    return view


def data_images(root: Node) -> list[bytes]:
    out = []
    for img in root.find_all("img"):
        src = img.attrs["src"]
        assert src.startswith(EMBEDDED), src
        out.append(base64.b64decode(src.split(",", 1)[1], validate=True))
    return out


def placeholders(root: Node, kind: str | None = None) -> list[Node]:
    return root.find_all("span", **{"data-placeholder": kind})


# --------------------------------------------------------------------------- Markdown


def test_front_matter_is_not_shown_and_tables_render() -> None:
    raw = "---\nlayout: default\nnav_exclude: true\n---\n# Title\n\n| a | b |\n|--:|---|\n| 1 | 2 |\n"
    root, _ = render(raw, plain=True)
    main = root.find_all("main")[0]
    assert "layout" not in main.text() and "nav_exclude" not in main.text()
    assert [c.text() for c in main.find_all("th")] == ["a", "b"]
    assert main.find_all("td")[0].attrs == {"style": "text-align:right"}


def test_checklist_boxes_become_marks_not_inputs() -> None:
    root, _ = render("* [x] done\n* [ ] todo\n", plain=True)
    items = [li.text().strip() for li in root.find_all("li")]
    assert items == ["☑ done", "☐ todo"]
    assert not root.find_all("input")


def test_crlf_and_bom_render_like_lf() -> None:
    raw = report_of("one two", "three") + "![fig](figures/a.png)\n"
    files = {"reports/figures/a.png": png()}
    lf = render_page(raw, files.get).html
    assert render_page("\ufeff" + raw.replace("\n", "\r\n"), files.get).html == lf
    assert render_page(raw, files.get).html == lf  # deterministic


# --------------------------------------------------------------------------- header and badges


def test_header_and_badges_show_the_verdict(shared: Path) -> None:
    rules = builtin("dtu-mlops-2026")
    raw = (shared / "reports" / "templates" / "template-2026-01-09.md").read_text("utf-8")
    verdict = check(raw, rules)
    root, _ = render(raw, verdict=verdict, group="Group <7>", commit="0123456789abcdef0123")
    header = root.find_all("header")[0]
    assert "Group <7>" in header.text()  # shown as text: escaped, not markup
    assert not header.find_all("7")
    assert "0123456789ab" in header.text() and header.find_all("code", title="0123456789abcdef0123")
    assert "dtu-mlops-2026" in header.text()
    strong = header.find_all("strong", **{"data-official-passed": None})[0]
    assert strong.attrs["data-official-passed"] == str(verdict.official.passed)
    assert strong.text() == f"{verdict.official.passed}/{rules.total}"
    for qr in verdict.official.questions or ():
        (badge,) = root.find_all("div", **{"data-question": str(qr.number)})
        assert badge.attrs["data-words"] == str(qr.words)
        assert badge.attrs["data-images"] == str(qr.images)
        assert badge.attrs["data-status"] == ("passed" if qr.passed else "failed")
    q14 = root.find_all("div", **{"data-question": "14"})[0]
    assert q14.attrs["data-words-range"] == "200–300" and q14.attrs["data-images-range"] == "1–3"
    assert "6 words · allowed 200–300" in q14.text() and "failed" in q14.text()


def test_failed_words_and_images_are_marked_on_the_badge() -> None:
    rules = builtin("dtu-mlops-2026")
    answers = ["42", "s123456"] + ["word " * 150] * 29
    answers[13] = "word " * 250 + "![a](figures/a.png)"  # question 14: words ok, images ok
    answers[3] = "short"  # question 4: too few words
    answers[18] = "word"  # question 19: no image
    raw = report_of(*answers)
    verdict = check(raw, rules)
    root, _ = render(raw, {"reports/figures/a.png": png()}, verdict=verdict)
    by_n = {b.attrs["data-question"]: b for b in root.find_all("div", **{"data-question": None})}
    assert by_n["4"].attrs["data-status"] == "failed" and by_n["4"].find_all("span", **{"class": "rb-bad"})
    assert "1 words · allowed 100–200" in by_n["4"].text()
    assert by_n["14"].attrs["data-status"] == "passed"
    assert by_n["19"].attrs["data-status"] == "failed" and "0 images · allowed 1–2" in by_n["19"].text()
    # the checker's findings for question 4 are listed under its badge
    section = root.find_all("section", id="question-4")[0]
    assert "RB010" in section.text()


def test_official_crash_badges_say_not_checked() -> None:
    raw = report_of("a b c", "d Answer: e")
    root, _ = render(raw, verdict=check(raw, builtin("dtu-mlops-2026")))
    assert "stops" in root.find_all("header")[0].text()
    (b1,) = root.find_all("div", **{"data-question": "1"})
    assert b1.attrs["data-status"] == "unchecked" and b1.attrs["data-words"] == "3"


def test_plain_leaves_header_and_badges_out() -> None:
    raw = report_of("one", "two")
    root, _ = render(raw, plain=True, group="g", commit="c")
    assert not root.find_all("header")
    assert not root.find_all("div", **{"class": "rb-badge"})
    assert [s.attrs["data-question"] for s in root.find_all("section")] == ["1", "2"]


def test_duplicate_question_gets_one_badge() -> None:
    raw = report_of("one", "two") + question(2, "Prompt 2", "again")
    root, _ = render(raw)
    assert len(root.find_all("section", id="question-2")) == 1
    assert len(root.find_all("section", **{"data-duplicate": "true"})) == 1
    assert len(root.find_all("div", **{"data-question": "2"})) == 1


def test_question_heading_swallowed_by_html_block_still_has_its_section() -> None:
    raw = "# R\n\n" + question(1, "P1", "one") + "<div>\n### Question 2\n\n> **P2**\n>\n> Answer:\n\ntwo\n"
    root, _ = render(raw)
    assert len(root.find_all("div", **{"data-question": "2"})) == 1
    assert len(root.find_all("section", id="question-2")) == 1


# --------------------------------------------------------------------------- images


def test_images_are_embedded_by_their_real_type() -> None:
    files = {
        "reports/figures/a.png": png(note=b"a"),
        "reports/figures/photo.png": fake_for("x.jpg"),  # a JPEG named .png: sniffed, not trusted
        "reports/figures/anim.gif": fake_for("x.gif"),
        "reports/figures/w.webp": fake_for("x.webp"),
        "docs/shared.png": png(note=b"docs"),
    }
    raw = report_of(
        "![a](figures/a.png) ![p](./figures/photo.png)\n\n<img src='figures/anim.gif' width='300' alt='g'>",
        "![w](figures/w.webp) ![d](../docs/shared.png) ![again](figures/a.png)",
    )
    root, page = render(raw, files)
    srcs = [i.attrs["src"].split(",", 1)[0] for i in root.find_all("img")]
    assert srcs == [
        "data:image/png;base64",
        "data:image/jpeg;base64",
        "data:image/gif;base64",
        "data:image/webp;base64",
        "data:image/png;base64",
        "data:image/png;base64",
    ]
    assert data_images(root)[4] == files["docs/shared.png"]
    gif = root.find_all("img", alt="g")[0]
    assert gif.attrs["width"] == "300"
    assert (page.images_embedded, page.images_missing, page.images_remote) == (6, 0, 0)
    assert page.image_bytes == sum(len(b) for b in files.values())


@pytest.mark.parametrize("name", ["figures/drawing.svg", "figures/sneaky.png"])
def test_svg_is_never_embedded(name: str) -> None:
    raw = report_of(f"![s]({name})")
    root, page = render(raw, {f"reports/{name}": SVG})
    assert not root.find_all("img") and "<svg" not in page.html.lower()
    (box,) = placeholders(root, "missing")
    assert box.attrs["data-path"] == f"reports/{name}" and "Not a PNG, JPEG, GIF or WebP" in box.text()


def test_missing_image_names_the_path_and_the_checkers_hint() -> None:
    files = {"reports/figures/Loss.png": png()}
    raw = report_of("![loss](figures/loss.png)", "![gone](figures/nothing_like_it.png)")
    verdict = check(raw, builtin("dtu-mlops-2026"), files)
    root, page = render(raw, files, verdict=verdict)
    boxes = placeholders(root, "missing")
    assert [b.attrs["data-path"] for b in boxes] == [
        "reports/figures/loss.png",
        "reports/figures/nothing_like_it.png",
    ]
    assert "figures/Loss.png" in boxes[0].text()  # RB021: differs in case
    assert "Add the file at reports/figures/nothing_like_it.png" in boxes[1].text()
    assert page.images_missing == 2 and not root.find_all("img")


def test_remote_images_are_labelled_and_never_fetched() -> None:
    calls: list[str] = []

    def read(path: str) -> bytes | None:
        calls.append(path)
        return png()

    raw = report_of(
        "![r](https://example.org/a.png) <img src='http://example.org/b.png'> <img src='//example.org/c.png'>"
    )
    page = render_page(raw, read)
    root = github_view(page.html)
    boxes = placeholders(root, "remote")
    assert [b.attrs["data-path"] for b in boxes] == [
        "https://example.org/a.png",
        "http://example.org/b.png",
        "//example.org/c.png",
    ]
    assert all("not part of the hand-in" in b.text() for b in boxes)
    assert calls == [] and page.images_remote == 3 and not root.find_all("img")


def test_read_file_is_only_asked_for_paths_inside_the_repository() -> None:
    calls: list[str] = []

    def read(path: str) -> bytes | None:
        calls.append(path)
        return png()

    raw = report_of(
        "![a](../../../etc/passwd.png) ![b](/etc/hosts.png) ![c](C:\\Users\\me\\x.png) ![d](figures\\x.png)",
        "<img src='../../outside.png'> <img src='file:///etc/passwd'> ![ok](figures/ok.png)",
    )
    root, _ = render(raw, {}, verdict=None)
    page = render_page(raw, read)
    assert calls == ["reports/figures/ok.png"]
    assert len(github_view(page.html).find_all("img")) == 1
    assert not root.find_all("img")


def test_student_data_uris_are_not_embedded_even_when_they_are_png() -> None:
    b64 = base64.b64encode(png()).decode()
    raw = report_of(f"![x](data:image/png;base64,{b64}) <img src='data:image/png;base64,{b64}'>")
    root, page = render(raw)
    assert not root.find_all("img") and b64 not in page.html
    assert len(placeholders(root, "missing")) == 2


def test_sniff() -> None:
    assert sniff(png()) == "image/png"
    assert sniff(fake_for("a.jpeg")) == "image/jpeg"
    assert sniff(fake_for("a.gif")) == "image/gif"
    assert sniff(fake_for("a.webp")) == "image/webp"
    assert sniff(SVG) is None and sniff(b"") is None and sniff(b"RIFF\0\0\0\0WAVE") is None


# --------------------------------------------------------------------------- hostile input


def test_xss_corpus_is_inert() -> None:
    assert len(PAYLOADS) >= 30
    raw = hostile_report(LEAK)
    page = render_page(raw, {"reports/figures/none.png": png()}.get, group="<script>alert(1)</script>")
    assert inert_problems(page.html) == []
    root = parse_page(page.html)
    for node in root.walk():
        for name, value in node.attrs.items():
            if LEAK in value:  # the leak URL may only be shown as text or a plain link target
                assert (node.tag, name) in {("span", "data-path"), ("span", "aria-label"), ("a", "href")}, (
                    node
                )
    lowered = page.html.lower()
    for bad in (
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<base",
        "<svg",
        "<math",
        '<meta http-equiv="refresh',
    ):
        assert bad not in lowered, bad
    assert "alert(" not in "".join(n.attrs.get("href", "") + n.attrs.get("src", "") for n in root.walk())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_alone_is_inert(payload: str) -> None:
    page = render_page(report_of(payload.replace("LEAK", LEAK)), no_files)
    assert inert_problems(page.html) == []


_HTMLISH = st.text(alphabet=st.sampled_from(list("<>/=\"' \nabimgsrcptonerl:!()[]#-*`&;x")), max_size=200)
_TAGS = st.sampled_from(
    [
        "<img src=",
        "<a href=",
        "<script>",
        "<svg ",
        "onerror=",
        "javascript:",
        "data:",
        "![x](",
        "<style>",
        "<!--",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_HTMLISH, _TAGS), max_size=12))
def test_fuzzed_markup_is_inert(pieces: list[str]) -> None:
    raw = report_of("".join(pieces), "".join(reversed(pieces)))
    page = render_page(raw, {"reports/x": png(), "reports/figures/x.png": SVG}.get)
    assert inert_problems(page.html) == []


# --------------------------------------------------------------------------- limits


def test_limits_raise_one_line_errors_naming_the_limit() -> None:
    big = png(note=b"x" * 5000)
    raw = report_of("<div>\n\n![a](figures/a.png) ![b](figures/b.png) ![c](figures/c.png)\n\n</div>")
    files = {f"reports/figures/{c}.png": big for c in "abc"}
    cases = {
        "max_report_bytes": RenderLimits(max_report_bytes=100),
        "max_images": RenderLimits(max_images=2),
        "max_image_bytes": RenderLimits(max_image_bytes=1000),
        "max_total_image_bytes": RenderLimits(max_total_image_bytes=2 * len(big) + 1),
        "max_output_bytes": RenderLimits(max_output_bytes=10_000),
        "max_html_depth": RenderLimits(max_html_depth=0),
    }
    for name, limits in cases.items():
        with pytest.raises(RenderError) as err:
            render_page(raw, files.get, limits=limits)
        message = str(err.value)
        assert name in message and "\n" not in message, message
        assert re.search(r"\d", message)
    assert render_page(raw, files.get).images_embedded == 3


def test_default_limits_reject_a_huge_report() -> None:
    with pytest.raises(
        RenderError, match=r"^report is 300 KB, over the limit of 256 KB \(max_report_bytes\)$"
    ):
        render_page("x" * 300_000, no_files)


def test_deeply_nested_html_is_refused_before_the_sanitiser() -> None:
    started = time.perf_counter()
    with pytest.raises(
        RenderError, match=r"^HTML nesting is 40,000 levels, over the limit of 100 \(max_html_depth\)$"
    ):
        render_page(report_of("<div>" * 40_000), no_files)
    assert time.perf_counter() - started < 1.0
    # auto-closing and void elements do not nest; neither do balanced ones
    page = render_page(
        report_of("<p>a" * 500 + "<br>" * 500 + "<div>x</div>" * 500 + "<ul>" + "<li>i" * 500), no_files
    )
    assert inert_problems(page.html) == []


def test_image_tags_inside_attribute_text_are_not_rewritten() -> None:
    raw = report_of('<a title="<img src=figures/a.png>" href="https://example.org">t</a>')
    root, page = render(raw, {"reports/figures/a.png": png()})
    assert page.images_embedded == 0 and not root.find_all("img")
    assert root.find_all("a", title="<img src=figures/a.png>")


# --------------------------------------------------------------------------- every shared report


def _fakes(path: Path, manifest: dict[str, dict[str, Any]]) -> tuple[dict[str, bytes], str]:
    """The repository's image files for a shared report, faked (distinct bytes of the right type)."""
    entry = manifest.get(path.name) if path.parent.name == "corpus" else None
    if entry is not None:
        report_dir = posixpath.dirname(entry["path"])
        names = entry["figures"]
    else:
        report_dir = "reports"
        targets = (
            [link.target for link in links(parse(path.read_text("utf-8")))]
            if path.parent.name == "seeds"
            else []
        )
        names = sorted(
            {resolve(t, report_dir) for t in targets if t and ":" not in t and not t.startswith("/")}
        )
    return {name: fake_for(name, i) for i, name in enumerate(names)}, report_dir


def test_shared_reports_are_there(shared: Path) -> None:
    assert len(report_files()) >= 45


@pytest.mark.shared
@pytest.mark.parametrize("path", report_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shared_report_renders(path: Path, shared: Path, manifest: dict[str, dict[str, Any]]) -> None:
    raw = path.read_text("utf-8")
    files, report_dir = _fakes(path, manifest)
    rules, reason = detect_year(raw)
    verdict: Verdict = check(raw, rules, list(files), report_dir, reason)
    started = time.perf_counter()
    page = render_page(
        raw, files.get, verdict=verdict, report_dir=report_dir, group="Group 1", commit="f" * 40
    )
    elapsed = time.perf_counter() - started
    assert inert_problems(parse_page(page.html)) == []
    root = github_view(page.html)

    assert elapsed < 1.0
    # every question present exactly once, with a badge that agrees with the verdict
    sections = [s.attrs["id"] for s in root.find_all("section", id=None)]
    badges = root.find_all("div", **{"data-question": None})
    numbers = sorted({q.number for q in verdict.report.questions})
    assert sorted(sections, key=lambda i: int(i.split("-")[1])) == [f"question-{n}" for n in numbers]
    assert sorted(int(b.attrs["data-question"]) for b in badges) == numbers
    results = {qr.number: qr for qr in verdict.official.questions or ()}
    for badge in badges:
        n = int(badge.attrs["data-question"])
        qr = results.get(n)
        if qr is None:
            assert badge.attrs["data-status"] == "unchecked"
            continue
        assert (int(badge.attrs["data-words"]), int(badge.attrs["data-images"])) == (qr.words, qr.images)
        assert badge.attrs["data-status"] == ("passed" if qr.passed else "failed")
    header = parse_page(page.html).find_all("header")[0]
    if verdict.official.error is None:
        shown = header.find_all("strong", **{"data-official-passed": None})[0]
        assert shown.text() == f"{verdict.official.passed}/{verdict.official.total}"
    # images: embedded from the faked repository files, or a placeholder; never an SVG
    by_bytes = {data: name for name, data in files.items()}
    embedded = [by_bytes[data] for data in data_images(root)]
    assert all(not name.endswith(".svg") for name in embedded)
    assert len(embedded) == page.images_embedded
    raster = {n for n in files if not n.endswith(".svg")}
    for box in placeholders(root, "missing"):
        assert box.attrs["data-path"] not in raster, box.attrs["data-path"]
    for box in placeholders(root, "remote"):
        assert re.match(r"^(https?:)?//", box.attrs["data-path"], re.I)
    # every repository image a Markdown link points at (outside code) is embedded
    # (not counted: links on lines of raw HTML or with inline code, which Markdown does not render as images)
    html_lines = {
        i + 1 for i, line in enumerate(verdict.report.lines) if line.lstrip().startswith("<") or "`" in line
    }
    wanted = {
        resolve(link.target, report_dir)
        for link in links(verdict.report)
        if link.line not in html_lines and link.target.startswith(("figures/", "./figures/"))
    }
    assert wanted & raster <= set(embedded)
