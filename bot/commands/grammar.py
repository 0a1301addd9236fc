"""Slash commands in issue and pull-request comments, and who may run them. Pure: no I/O.

Grammar
-------
A *command line* is a line of the comment whose text starts with ``/report`` (any case), followed by the
end of the line, whitespace, or sentence punctuation (``/report.``, ``/report?``) — ``/reporting``,
``/report-bot`` and ``/report/html`` are not commands. Up to 3 leading spaces are allowed, as in
Markdown; a tab or 4+ spaces make an indented code block, so such a line is never a command. Leading
non-breaking or other Unicode spaces do not count as indentation (Markdown renders them as text).

A line is not a command line when it is:

* quoted (``> /report html``: someone quoting, e.g. GitHub's "Quote reply");
* inside a fenced code block (```` ``` ```` or ``~~~``, including ``suggestion`` blocks of PR reviews,
  fences opened by a list item such as ``- ```sh``, and unclosed fences, which run to the end);
* inside an indented code block, or an HTML ``<pre>``/``<script>``/``<style>``/``<textarea>`` block;
* inside an HTML comment (``<!-- /report html -->``, also across lines). A comment that starts at the
  beginning of a line runs to the next ``-->``; one that starts later in a line only counts when its
  ``-->`` comes before the next blank line (otherwise Markdown shows it as text). Commented text on a
  command line is dropped (``/report html <!-- why -->`` is ``html``).

Block structure is followed closely enough for comments people write (a test checks that no
command ever comes from what CommonMark renders as code), not exactly. Lines are otherwise taken as
written, so a line right under a quote or a paragraph (which Markdown
would join to it) is still a command: the person typed it unquoted at the start of a line. A list item
(``- /report html``) is not. The *first* command line decides; every later one is returned in
``Parsed.ignored`` (its raw text) so the reply can say it was ignored.

Commands: ``/report help``, ``/report check [REF]``, ``/report html [REF]``; ``/report`` alone is help.
Any other word gives ``Unknown(word, suggestion)``: a synonym (render/page/preview/build → html,
lint/verify/status/validate → check, usage/commands/? → help), a unique prefix (``/report ht`` → html, while
``/report h`` is ambiguous), or the closest command by ``difflib``, else ``help``.
``Unknown.word`` is the word as typed (trailing punctuation dropped), cut to 40 characters: it is
student text, quote it with ``quote_command`` before replying.

Leniency (a human obviously meant the command) and strictness (it could be a REF):

* Windows (``\\r\\n``) and old Mac (``\\r``) line endings and a leading BOM are accepted; line numbers
  are 1-based lines of the body without the BOM.
* Case: ``/Report HTML`` is ``html``. A REF keeps its case (git refs are case-sensitive).
* Whitespace between words may be spaces, tabs or Unicode spaces (NBSP...); zero-width characters
  (ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen) are removed, so a command copied from one of our
  quotes (which put a ZWJ after ``@``) still parses.
* The command word may carry decoration and punctuation: ``/report html!``, ``/report html.``,
  ``/report **html**``, or ``check`` in backticks.
* Words that cannot be meant as a REF are dropped anywhere after ``/report``: politeness
  (please, pls, plz, thanks, thank, you, thx, ty — so a branch with one of those names must be given as
  ``heads/NAME``), emoji and other symbols, ``:shortcodes:``, and lone ``.``/``?``/``!``/``...``/smileys.
* ``help`` ignores anything after it (the answer would be the help anyway).
* ``check`` and ``html`` take at most one REF; more words are ``Invalid`` with a one-line reason.
  From the REF one pair of surrounding backticks or quotes is removed, and one trailing ``.``, ``?``,
  ``:`` or ``...`` (never valid at the end of a ref). Anything else is kept and validated as a git ref
  name: ``main!`` or ``main,`` are (valid, strange) refs, ``../etc`` is ``Invalid``.

REF validation follows ``git check-ref-format --allow-onelevel`` (no ``..``, no ASCII control
characters, space, ``~^:?*[\\``, no ``@{``, not ``@`` alone, no leading/trailing/double ``/``, no
component starting with ``.`` or ending with ``.lock``, no trailing ``.``) plus: at most 255 characters,
no leading ``-`` (git refuses such branch names), and no Unicode control or format characters (bidi
overrides could disguise a ref).

Who may run commands is in `bot.commands.permissions`; which lines are command lines, in
`bot.commands.scan`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from bot.commands.scan import BACKTICKS, Scanner

__all__ = [
    "HELP_COMMANDS",
    "Command",
    "Invalid",
    "Parsed",
    "Unknown",
    "meaning",
    "parse_comment",
    "parsed_from_payload",
    "parsed_to_payload",
    "quote_command",
    "validate_ref",
]

CommandName = Literal["help", "check", "html"]


@dataclass(frozen=True)
class Command:
    name: CommandName
    ref: str | None
    line: int
    raw: str


@dataclass(frozen=True)
class Unknown:
    word: str
    suggestion: str
    line: int
    raw: str


@dataclass(frozen=True)
class Invalid:
    reason: str
    line: int
    raw: str


@dataclass(frozen=True)
class Parsed:
    first: Command | Unknown | Invalid | None
    ignored: tuple[str, ...]  # raw text of later command lines


HELP_COMMANDS = (
    "- `/report check [ref]` — check the report and reply with the verdict; `ref` is a branch, tag or "
    "commit SHA (default: this pull request's head, or the default branch).\n"
    "- `/report html [ref]` — render the report as a web page and reply with a private link; same `ref`.\n"
    "- `/report help` — show this list.\n"
)

_COMMANDS: tuple[CommandName, ...] = ("help", "check", "html")
_SYNONYMS: dict[str, CommandName] = {
    **dict.fromkeys(("render", "page", "preview", "build"), "html"),
    **dict.fromkeys(("lint", "verify", "status", "validate"), "check"),
    **dict.fromkeys(("usage", "commands", "?"), "help"),
}
_FILLERS = frozenset({"please", "pls", "plz", "thanks", "thank", "you", "thx", "ty"})
_DECORATIONS = frozenset({".", "?", "!", "...", "…", ":)", ":-)", ";)", ":(", ":d", ":p", "<3"})
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:", re.IGNORECASE)
_SENTENCE_PUNCT = ".!?,;:…"
_WORD_DECOR = "`*_\"'()[]"
_WORD_MAX = 40
_QUOTE_MAX = 100
_REF_MAX = 255

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_PREFIX = "/report"


def _drop_comments(text: str) -> str:
    """Each closed `<!-- ... -->` becomes a space, and an unclosed `<!--` cuts the rest: what
    `re.sub(r"<!--.*?-->", " ", text, flags=re.S).split("<!--", 1)[0]` gives, without its quadratic
    rescans (`"<!--" * 16000` made that regex look for `-->` from every opener)."""
    out: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        out += (text[pos:start], " ")
        pos = end + 3
    else:
        start = len(text)
    out.append(text[pos:start])
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# Reading one command line


def _normalise(text: str) -> str:
    """Zero-width characters removed, every Unicode space (NBSP...) and tab turned into a plain space."""
    text = text.translate(_ZERO_WIDTH)
    return "".join(" " if c == "\t" or unicodedata.category(c) == "Zs" else c for c in text)


def _after_prefix(text: str) -> str | None:
    """The text after `/report` when `text` starts with the command prefix as a whole word, else None."""
    if "/" not in text:
        return None
    text = _normalise(text).lstrip(" ")
    if text[: len(_PREFIX)].lower() != _PREFIX:
        return None
    rest = text[len(_PREFIX) :]
    stripped = rest.lstrip(_SENTENCE_PUNCT)
    if stripped and not stripped[0].isspace():
        return None
    return stripped


def _is_decoration(word: str) -> bool:
    if word.lower() in _DECORATIONS or _SHORTCODE.fullmatch(word):
        return True
    return all(
        c == "!" or (not c.isascii() and unicodedata.category(c) in {"So", "Sk", "Mn", "Me", "Cf"})
        for c in word
    )


def _is_filler(word: str) -> bool:
    return word.rstrip(_SENTENCE_PUNCT).lower() in _FILLERS


def _clean_word(word: str) -> str:
    return word.strip(_WORD_DECOR).rstrip(_SENTENCE_PUNCT).strip(_WORD_DECOR).lower()


def _suggest(word: str) -> str:
    if word in _SYNONYMS:
        return _SYNONYMS[word]
    prefixed = [c for c in _COMMANDS if word and c.startswith(word)]
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(word, [*_COMMANDS, *_SYNONYMS], n=1, cutoff=0.6)
    if close:
        return _SYNONYMS.get(close[0], close[0])
    return "help"


def _clean_ref(word: str) -> str:
    if word.endswith("..."):
        word = word[:-3]
    elif word.endswith((".", "?", ":")):
        word = word[:-1]
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "`\"'":
        word = word[1:-1]
    return word


def validate_ref(ref: str) -> str | None:
    """Why `ref` is not a valid git ref name (one line, no user text in it), or None when it is."""
    if not ref:
        return "the ref is empty; give a branch, tag or commit SHA"
    if len(ref) > _REF_MAX:
        return f"a ref is at most {_REF_MAX} characters long"
    for c in ref:
        if ord(c) < 0x20 or ord(c) == 0x7F or unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Zs", "Cs"}:
            return "a ref cannot contain spaces, control or invisible characters"
    for c in "~^:?*[\\":
        if c in ref:
            return f"a ref cannot contain '{c}'"
    for seq in ("..", "@{", "//"):
        if seq in ref:
            return f"a ref cannot contain '{seq}'"
    if ref == "@":
        return "a ref cannot be '@' alone"
    if ref.startswith("/") or ref.endswith("/"):
        return "a ref cannot start or end with '/'"
    if ref.startswith("-"):
        return "a ref cannot start with '-'"
    if ref.endswith("."):
        return "a ref cannot end with '.'"
    for part in ref.split("/"):
        if part.startswith("."):
            return "no part of a ref (between '/') can start with '.'"
        if part.endswith(".lock"):
            return "no part of a ref (between '/') can end with '.lock'"
    return None


def _read_command(after: str, line: int, raw: str) -> Command | Unknown | Invalid:
    after = _drop_comments(after)
    words = [w for w in after.split() if not _is_decoration(w)]
    if not words:
        return Command("help", None, line, raw)
    first = words[0]
    name = _clean_word(first)
    if name not in _COMMANDS:
        word = first.rstrip(_SENTENCE_PUNCT) or first
        if len(word) > _WORD_MAX:
            word = word[: _WORD_MAX - 1] + "…"
        return Unknown(word, _suggest(name), line, raw)
    command: CommandName = "help" if name == "help" else "check" if name == "check" else "html"
    if command == "help":
        return Command("help", None, line, raw)
    args = [w for w in words[1:] if not _is_filler(w)]
    if not args:
        return Command(command, None, line, raw)
    if len(args) > 1:
        return Invalid(
            f"`/report {command}` takes at most one ref (a branch, tag or commit SHA), "
            f"e.g. `/report {command} main`, but {len(args)} words followed it",
            line,
            raw,
        )
    ref = _clean_ref(args[0])
    problem = validate_ref(ref)
    if problem is not None:
        return Invalid(f"invalid ref: {problem}", line, raw)
    return Command(command, ref, line, raw)


def parse_comment(body: str | None) -> Parsed:
    """The first slash command of a comment body, and the raw text of any later command lines."""
    if not body or not isinstance(body, str):
        return Parsed(None, ())
    lines = _LINE_BREAK.split(body.removeprefix("\ufeff"))
    first: Command | Unknown | Invalid | None = None
    ignored: list[str] = []
    for index, text in Scanner(lines).candidates():
        after = _after_prefix(text)
        if after is None:
            continue
        raw = lines[index].strip()
        if first is None:
            first = _read_command(after, index + 1, raw)
        else:
            ignored.append(raw)
    return Parsed(first, tuple(ignored))


# ---------------------------------------------------------------------------------------------------------
# Carrying a parsed command in a job payload (JSON)


def parsed_to_payload(parsed: Parsed) -> dict[str, Any]:
    """`parsed` as plain JSON values (for the job queue); `parsed_from_payload` reads it back."""
    first = parsed.first
    out: dict[str, Any] = {"ignored": list(parsed.ignored)}
    if isinstance(first, Command):
        out["first"] = {
            "type": "command",
            "name": first.name,
            "ref": first.ref,
            "line": first.line,
            "raw": first.raw,
        }
    elif isinstance(first, Unknown):
        out["first"] = {
            "type": "unknown",
            "word": first.word,
            "suggestion": first.suggestion,
            "line": first.line,
            "raw": first.raw,
        }
    elif isinstance(first, Invalid):
        out["first"] = {"type": "invalid", "reason": first.reason, "line": first.line, "raw": first.raw}
    else:
        out["first"] = None
    return out  # fmt: skip


def parsed_from_payload(data: Any) -> Parsed:
    """The `Parsed` a payload made by `parsed_to_payload` holds; anything malformed is no command."""
    if not isinstance(data, dict):
        return Parsed(None, ())
    ignored = tuple(str(x) for x in data.get("ignored") or () if isinstance(x, str))
    first = data.get("first")
    if not isinstance(first, dict):
        return Parsed(None, ignored)
    line = first["line"] if isinstance(first.get("line"), int) else 0
    raw = str(first.get("raw") or "")
    kind = first.get("type")
    if kind == "command" and first.get("name") in _COMMANDS:
        name: CommandName = (
            "help" if first["name"] == "help" else "check" if first["name"] == "check" else "html"
        )
        ref = first.get("ref")
        ref = ref if isinstance(ref, str) and validate_ref(ref) is None and name != "help" else None
        return Parsed(Command(name, ref, line, raw), ignored)
    if kind == "unknown":
        suggestion = str(first.get("suggestion"))
        return Parsed(
            Unknown(
                str(first.get("word") or ""), suggestion if suggestion in _COMMANDS else "help", line, raw
            ),
            ignored,
        )
    if kind == "invalid":
        return Parsed(Invalid(str(first.get("reason") or "the command cannot be read"), line, raw), ignored)
    return Parsed(None, ignored)


def meaning(first: Command | Unknown | Invalid | None) -> tuple[str, ...] | None:
    """What a command asks for, regardless of where it stands and how it is spelled: two comments with
    the same meaning ask for the same thing (an edit that leaves the command as it was changes nothing)."""
    if isinstance(first, Command):
        return ("command", first.name, first.ref or "")
    if isinstance(first, Unknown):
        return ("unknown", first.word.lower())
    if isinstance(first, Invalid):
        return ("invalid", first.reason)
    return None


# ---------------------------------------------------------------------------------------------------------
# Quoting a command back


def quote_command(raw: str) -> str:
    """`raw` as one Markdown quote line holding a code span: no mention, link, HTML or line break can escape.

    Whitespace (including line breaks) becomes single spaces; control, format (bidi, zero-width) and
    surrogate characters are removed; the text is cut to 100 characters (ending in "…"); a zero-width
    joiner follows every `@` so even a copy outside the code span cannot mention anyone. The code span
    uses one more backtick than the longest run inside it.
    """
    kept = "".join(c for c in str(raw) if c.isspace() or unicodedata.category(c) not in {"Cc", "Cf", "Cs"})
    text = " ".join(kept.split())
    if len(text) > _QUOTE_MAX:
        text = text[: _QUOTE_MAX - 1] + "…"
    if not text:
        return "> *(empty)*"
    text = text.replace("@", "@\u200d")
    longest = max((len(run) for run in BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"> {fence}{pad}{text}{pad}{fence}"
