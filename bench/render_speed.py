"""How fast `render_page` is: the largest report in ../shared/reports with ten 200 KB images.

    .venv/bin/python bench/render_speed.py [--runs 21]

Prints the median in-process time of the full page (check, both renderings: the hand-in with Python-Markdown
and the GitHub view with markdown-it, the sanitiser, embedding ten images) and, measured in the same run and
interleaved so machine noise hits all alike, the medians of a bare `markdown.markdown` (the graders'
renderer: what the hand-in view costs at least) and a bare `markdown_it.MarkdownIt().render` of the same
text, with the ratios. Target: the page under 150 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = Path(os.environ.get("REPORT_BOT_SHARED", ROOT.parent / "shared")) / "reports"
sys.path.insert(0, str(ROOT))

import markdown  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from bot.report import handin_diff  # noqa: E402
from bot.report.render import render_page  # noqa: E402

IMAGES = 10
IMAGE_BYTES = 200_000
TARGET_MS = 150.0


def largest() -> Path:
    files = [p for d in ("seeds", "corpus", "templates") for p in (REPORTS / d).glob("*.md")]
    if not files:
        sys.exit(f"no reports under {REPORTS}")
    return max(files, key=lambda p: p.stat().st_size)


def fake_png(seed: int) -> bytes:
    """A PNG signature and 200 KB of incompressible bytes: embedding cost is size, not content."""
    rng = random.Random(seed)
    return b"\x89PNG\r\n\x1a\n" + rng.randbytes(IMAGE_BYTES - 8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    path = largest()
    links = "".join(f"\n![figure {i}](figures/bench_{i}.png)\n" for i in range(IMAGES))
    raw = path.read_text("utf-8") + links
    files = {f"reports/figures/bench_{i}.png": fake_png(i) for i in range(IMAGES)}
    baseline_md = MarkdownIt()

    page = render_page(raw, files.get)  # warm up (stylesheet, parsers) and sanity check
    assert page.images_embedded == IMAGES, page.images_embedded
    baseline_md.render(raw)

    ours, base, pm = [], [], []
    for _ in range(args.runs):
        handin_diff._cache.clear()  # no help from the cache of both renderings: each run renders afresh
        t = time.perf_counter()
        render_page(raw, files.get)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        baseline_md.render(raw)
        base.append(time.perf_counter() - t)
        t = time.perf_counter()
        markdown.markdown(raw[43:])
        pm.append(time.perf_counter() - t)
    med, med_base = statistics.median(ours) * 1000, statistics.median(base) * 1000
    med_pm = statistics.median(pm) * 1000
    size = f"{len(raw.encode()):,} bytes"
    print(f"report      {path.parent.name}/{path.name} ({size}) + {IMAGES} x {IMAGE_BYTES // 1000} KB images")
    print(f"page        {len(page.html.encode()):,} bytes")
    spread = f"min {min(ours) * 1000:.1f}, max {max(ours) * 1000:.1f}"
    print(f"render_page median {med:7.1f} ms over {args.runs} runs ({spread})")
    print(f"markdown    median {med_pm:7.1f} ms  (bare markdown.markdown of the same text, same run)")
    print(f"markdown-it median {med_base:7.1f} ms  (bare MarkdownIt().render of the same text, same run)")
    print(f"ratio       {med / med_pm:7.2f} x markdown.markdown, {med / med_base:.2f} x MarkdownIt().render")
    verdict = "OK" if med < TARGET_MS else "OVER TARGET"
    print(f"target      < {TARGET_MS:.0f} ms: {verdict}")
    return 0 if med < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
