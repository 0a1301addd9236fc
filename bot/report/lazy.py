"""An answer on the line right after `> Answer:` (no blank line between): Markdown's lazy continuation
shows it inside the quote. markdown-it decides, on those two lines only."""

from __future__ import annotations

from bot.report.links import parser
from bot.report.parse import Question, Report


def continues_quote(report: Report, q: Question) -> bool:
    if q.marker_line is None or q.prompt_span is None or q.marker_line != q.prompt_span.end:
        return False
    nxt = q.marker_line  # 0-based index of the line after the marker
    if nxt >= len(report.lines) or nxt + 1 > q.span.end:
        return False
    after = report.lines[nxt]
    if not after.strip() or after.lstrip().startswith(">"):
        return False
    tokens = parser().parse(report.lines[q.marker_line - 1] + "\n" + after[:2000])
    quote = next((t for t in tokens if t.type == "blockquote_open"), None)
    return quote is not None and quote.map is not None and quote.map[1] >= 2
