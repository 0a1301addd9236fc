"""Writing to the terminal: text a terminal's encoding cannot show is printed as plain text (emoji and
typographic marks spelled out), and a pipe closed early (`| head`) ends the command quietly."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_PLAIN = str.maketrans(
    {
        "–": "-", "—": "-", "…": "...", "↳": "->", "→": "->", "·": "-", "≥": ">=", "≤": "<=", "×": "x",
        "“": '"', "”": '"', "‘": "'", "’": "'", "\ufe0f": "",
        "✅": "[ok]", "❌": "[x]", "⚠": "[!]", "ℹ": "[i]", "❓": "[?]", "📄": "", "👀": "", "🚀": "", "😕": "",
    }
)  # fmt: skip


def plain(text: str, encoding: str) -> str:
    """`text` as `encoding` can show it: known marks spelled out, anything else left as `?`."""
    return text.translate(_PLAIN).encode(encoding, "replace").decode(encoding)


def emit(text: str, stream: TextIO | None = None) -> None:
    """Print one block of text (a newline is added) in a form the stream's encoding can show."""
    out = stream if stream is not None else sys.stdout
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = plain(text, encoding)
    except LookupError:
        text = plain(text, "ascii")
    out.write(text + "\n")
    out.flush()


def silence_stdout() -> None:
    """After a BrokenPipeError: point stdout at /dev/null so that Python's exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
