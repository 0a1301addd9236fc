"""The class overview table in four formats (Markdown, CSV, JSON, one self-contained sortable HTML page).
Pure: rows in, text out.

A row is a flat mapping of the keys in `COLUMNS` (None where a value is not known). Every cell is hostile
text (repository names, reasons of a crash): Markdown cells go through `escape(..., table=True)` (no
@-mention pings, no `|` breaking the table), HTML cells through `html.escape`, and CSV cells that a
spreadsheet would read as a formula get a leading `'`."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.report.escape import escape

Row = Mapping[str, Any]

COLUMNS: tuple[tuple[str, str], ...] = (
    ("repo", "Repository"),
    ("sha", "Commit"),
    ("checked_at", "Checked"),
    ("passed", "Official pass"),
    ("total", "Questions"),
    ("crash", "Official script crashes"),
    ("errors", "Errors"),
    ("warnings", "Warnings"),
    ("placeholders", "Placeholders left"),
    ("missing_images", "Missing images"),
    ("handin_differences", "Hand-in differences"),
    ("ticked", "Checklist ticked"),
    ("evidenced", "Evidenced"),
    ("not_evidenced", "Not evidenced"),
    ("late_pushes", "Pushes after deadline"),
    ("contributors", "Contributors"),
    ("commits", "Commits"),
    ("pull_requests", "Pull requests"),
    ("dockerfiles", "Dockerfiles"),
    ("workflows", "Workflow files"),
    ("requirements", "Requirements"),
    ("pyproject", "pyproject"),
    ("cloudbuild", "Cloud Build"),
    ("dvc", "DVC"),
    ("ci", "Actions"),
    ("problem", "Problem"),
)
KEYS = tuple(k for k, _ in COLUMNS)
MD_LIMIT = 65_536
"""GitHub's limit of an issue body, in characters."""
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else ""


def _yes(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


def _n(value: Any) -> str:
    return "?" if value is None else str(value)


def official(row: Row) -> str:
    if row.get("crash"):
        return f"official script crashes: {row['crash']}"
    if row.get("passed") is None:
        return str(row.get("problem") or "no report")
    return f"{row['passed']}/{row.get('total', '?')}"


def checklist(row: Row) -> str:
    if row.get("ticked") is None:
        return ""
    return f"{row['ticked']} / {_n(row.get('evidenced'))} / {_n(row.get('not_evidenced'))}"


def _md_cells(row: Row) -> list[str]:
    sha = str(row.get("sha") or "")[:7]
    return [
        escape(str(row.get("repo", "")), table=True),
        f"`{escape(sha, table=True)}` {_when(row.get('checked_at'))}".strip() if sha else "",
        escape(official(row), table=True),
        *(_n(row.get(k)) if row.get("passed") is not None or row.get("crash") else "" for k in
          ("errors", "warnings", "placeholders", "missing_images", "handin_differences")),
        checklist(row),
        "" if row.get("late_pushes") is None else str(row["late_pushes"]),
        *(_n(row.get(k)) if row.get("contributors") is not None or row.get("commits") is not None else ""
          for k in ("contributors", "commits", "pull_requests")),
        "" if row.get("dockerfiles") is None else str(row["dockerfiles"]),
        "" if row.get("workflows") is None else str(row["workflows"]),
        " / ".join(x for x in (_yes(row.get("requirements")), _yes(row.get("pyproject"))) if x),
        _yes(row.get("cloudbuild")),
        _yes(row.get("dvc")),
        escape(str(row.get("ci") or ""), table=True),
    ]  # fmt: skip


MD_HEADERS = (
    "Repository", "Checked", "Official check", "Errors", "Warnings", "Placeholders", "Missing images",
    "Hand-in diffs", "Checklist ticked / evidenced / not", "Late pushes", "Contributors", "Commits", "PRs",
    "Dockerfiles", "Workflows", "Requirements / pyproject", "Cloud Build", "DVC", "Actions",
)  # fmt: skip


def markdown(rows: Sequence[Row], *, limit: int = MD_LIMIT, title: str = "") -> str:
    """The table as GitHub Markdown, at most `limit` characters: rows that do not fit are left out and the
    last line says how many (and that `report-bot overview` prints them all)."""
    head = [f"### {escape(title)}", ""] if title else []
    head += [
        f"{len(rows)} repositories · `?` not known · checklist: ticked / backed by the repository's files / not",
        "",
        "| " + " | ".join(MD_HEADERS) + " |",
        "|" + "---|" * len(MD_HEADERS),
    ]
    out = "\n".join(head)
    for i, row in enumerate(rows):
        line = "\n| " + " | ".join(_md_cells(row)) + " |"
        rest = len(rows) - i
        note = (
            f"\n\n**{rest} more repositories are not shown**: GitHub allows {limit:,} characters in an "
            "issue. `report-bot overview --format html` shows every row."
        )
        if len(out) + len(line) + len(note) > limit:
            return out + note
        out += line
    return out + "\n"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(rows: Sequence[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(KEYS)
    for row in rows:
        w.writerow([_csv_cell(row.get(k)) for k in KEYS])
    return buf.getvalue()


def to_json(rows: Sequence[Row]) -> str:
    def value(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime) else v

    return (
        json.dumps([{k: value(row.get(k)) for k in KEYS} for row in rows], indent=2, ensure_ascii=False)
        + "\n"
    )


def sort_key(row: Row, key: str) -> tuple[int, Any]:
    """How the HTML page sorts a column (the page's script does the same in the browser): unknown last,
    numbers as numbers, text case-insensitively."""
    v = row.get(key)
    if v is None:
        return (1, 0)
    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, int | float):
        return (0, v)
    if isinstance(v, datetime):
        return (0, v.timestamp())
    return (0, str(v).lower())


_SCRIPT = """
document.querySelectorAll('th button').forEach(function (b, col) {
  b.addEventListener('click', function () {
    var body = document.querySelector('tbody'), rows = Array.from(body.rows);
    var up = b.getAttribute('aria-sort') !== 'ascending';
    document.querySelectorAll('th button').forEach(function (o) { o.removeAttribute('aria-sort'); });
    b.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    rows.sort(function (x, y) {
      var a = x.cells[col].dataset.sort, c = y.cells[col].dataset.sort;
      if (a === '' || c === '') { return (a === '') - (c === ''); }
      var m = Number(a), n = Number(c);
      var r = (!isNaN(m) && !isNaN(n)) ? m - n : a.localeCompare(c);
      return up ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""
_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th button { font: inherit; font-weight: bold; border: 0; background: none; cursor: pointer; padding: 0; }
th button[aria-sort=ascending]::after { content: " ▲"; }
th button[aria-sort=descending]::after { content: " ▼"; }
tbody tr:nth-child(even) { background: #f6f8fa; }
td:first-child, td:nth-child(3) { white-space: nowrap; }
"""


def _sort_attr(row: Row, key: str) -> str:
    kind, v = sort_key(row, key)
    return "" if kind else str(v)


def to_html(rows: Sequence[Row], *, title: str = "Class overview") -> str:
    """One self-contained page (inline style and script only): click a column's name to sort by it."""
    e = html.escape
    head = "".join(f'<th><button type="button">{e(t)}</button></th>' for _, t in COLUMNS)
    body = []
    for row in rows:
        cells = []
        for k, _ in COLUMNS:
            v = row.get(k)
            shown = (
                _when(v)
                if isinstance(v, datetime)
                else (_yes(v) if isinstance(v, bool) else ("" if v is None else str(v)))
            )
            if k == "sha" and shown:  # the short commit, the whole one on hover
                cell = f'<td data-sort="{e(_sort_attr(row, k))}" title="{e(shown)}"><code>{e(shown[:7])}</code></td>'
            else:
                cell = f'<td data-sort="{e(_sort_attr(row, k))}">{e(shown)}</td>'
            cells.append(cell)
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'\">"
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{len(rows)} repositories. Click a column to sort.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


FORMATS = {"md": markdown, "csv": to_csv, "json": to_json, "html": to_html}
