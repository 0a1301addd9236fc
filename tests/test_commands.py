"""Slash-command grammar, quoting and permission rules of bot.commands."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.commands.grammar import (
    HELP_COMMANDS,
    Command,
    Invalid,
    Parsed,
    Unknown,
    parse_comment,
    quote_command,
    validate_ref,
)
from bot.commands.permissions import PERMISSION_ORDER, effective_permission, is_bot_sender, permission_allows

# ---------------------------------------------------------------------------------------------------------
# Real-looking comments → the first command and the ignored later ones

FENCE = "```"

COMMENTS: list[tuple[str, str, Parsed]] = [
    ("bare", "/report html", Parsed(Command("html", None, 1, "/report html"), ())),
    ("alone is help", "/report", Parsed(Command("help", None, 1, "/report"), ())),
    ("help", "/report help", Parsed(Command("help", None, 1, "/report help"), ())),
    (
        "help ignores trailing words",
        "/report help me please, what can you do?",
        Parsed(Command("help", None, 1, "/report help me please, what can you do?"), ()),
    ),
    (
        "after a long paragraph",
        "Hi! We rewrote Q12 and Q17 after the feedback from the exercise session yesterday, and we moved the "
        "architecture figure into reports/figures/ like the template says. Could you have another look?\n\n"
        "/report check",
        Parsed(Command("check", None, 3, "/report check"), ()),
    ),
    ("branch ref", "/report html main", Parsed(Command("html", "main", 1, "/report html main"), ())),
    ("tag ref", "/report check v1.0", Parsed(Command("check", "v1.0", 1, "/report check v1.0"), ())),
    ("sha ref", "/report check 1a2b3c4", Parsed(Command("check", "1a2b3c4", 1, "/report check 1a2b3c4"), ())),
    (
        "ref with a slash",
        "/report check feature/x",
        Parsed(Command("check", "feature/x", 1, "/report check feature/x"), ()),
    ),
    (
        "path traversal is not a ref",
        "/report check ../etc",
        Parsed(Invalid("invalid ref: a ref cannot contain '..'", 1, "/report check ../etc"), ()),
    ),
    (
        "too many arguments",
        "/report html a b",
        Parsed(
            Invalid(
                "`/report html` takes at most one ref (a branch, tag or commit SHA), "
                "e.g. `/report html main`, but 2 words followed it",
                1,
                "/report html a b",
            ),
            (),
        ),
    ),
    ("mixed case", "/Report HTML", Parsed(Command("html", None, 1, "/Report HTML"), ())),
    (
        "shouting with a ref",
        "/REPORT CHECK Main",
        Parsed(Command("check", "Main", 1, "/REPORT CHECK Main"), ()),
    ),
    ("exclamation", "/report html!", Parsed(Command("html", None, 1, "/report html!"), ())),
    ("sentence period", "Thanks.\n/report html.", Parsed(Command("html", None, 2, "/report html."), ())),
    (
        "trailing period after a ref",
        "/report check v1.0.",
        Parsed(Command("check", "v1.0", 1, "/report check v1.0."), ()),
    ),
    (
        "please and an emoji",
        "/report check please 🙏",
        Parsed(Command("check", None, 1, "/report check please 🙏"), ()),
    ),
    (
        "emoji and shortcode",
        "/report html 🚀 :tada:",
        Parsed(Command("html", None, 1, "/report html 🚀 :tada:"), ()),
    ),
    (
        "ref in backticks",
        "/report check `feature/q23-fix`",
        Parsed(Command("check", "feature/q23-fix", 1, "/report check `feature/q23-fix`"), ()),
    ),
    ("up to three spaces", "   /report html", Parsed(Command("html", None, 1, "/report html"), ())),
    (
        "tab between words",
        "/report\tcheck\tdev",
        Parsed(Command("check", "dev", 1, "/report\tcheck\tdev"), ()),
    ),
    (
        "non-breaking spaces",
        "\u00a0/report\u00a0html\u00a0main",
        Parsed(Command("html", "main", 1, "/report\u00a0html\u00a0main"), ()),
    ),
    (
        "windows line endings",
        "Can you render it?\r\n\r\n/report html\r\n",
        Parsed(Command("html", None, 3, "/report html"), ()),
    ),
    ("byte order mark", "\ufeff/report check", Parsed(Command("check", None, 1, "/report check"), ())),
    (
        "several commands: the first counts",
        "/report check\n/report html\nthanks!\n/report help",
        Parsed(Command("check", None, 1, "/report check"), ("/report html", "/report help")),
    ),
    (
        "a wrong command first still counts first",
        "/report chek\n/report check",
        Parsed(Unknown("chek", "check", 1, "/report chek"), ("/report check",)),
    ),
    ("typo", "/report chek", Parsed(Unknown("chek", "check", 1, "/report chek"), ())),
    ("typo of html", "/report htlm", Parsed(Unknown("htlm", "html", 1, "/report htlm"), ())),
    ("synonym render", "/report render", Parsed(Unknown("render", "html", 1, "/report render"), ())),
    ("synonym lint", "/report lint main", Parsed(Unknown("lint", "check", 1, "/report lint main"), ())),
    ("synonym usage", "/report usage", Parsed(Unknown("usage", "help", 1, "/report usage"), ())),
    ("nothing close", "/report banana", Parsed(Unknown("banana", "help", 1, "/report banana"), ())),
    ("not a word boundary", "/reporting is due friday\n/reportx html", Parsed(None, ())),
    ("hyphenated", "/report-bot html", Parsed(None, ())),
    ("mid-sentence", "I tried `/report html` but nothing happened", Parsed(None, ())),
    (
        "quote reply then a command",
        "> /report html\n> did this work?\n\nYes, try again:\n\n/report html",
        Parsed(Command("html", None, 6, "/report html"), ()),
    ),
    (
        "a line right under a quote is still typed unquoted",
        "> Could you render our report?\n/report html",
        Parsed(Command("html", None, 2, "/report html"), ()),
    ),
    ("quoted fence", "> ```\n> /report html\n> ```", Parsed(None, ())),
    (
        "a fence opened in a quote ends with the quote",
        "> ```\n/report html",
        Parsed(Command("html", None, 2, "/report html"), ()),
    ),
    ("only a quote", "> /report check main\n\nThe bot answered this already.", Parsed(None, ())),
    (
        "fenced code block",
        f"Type this in a comment:\n\n{FENCE}\n/report html\n{FENCE}\n",
        Parsed(None, ()),
    ),
    (
        "fenced with language then a real command",
        f"{FENCE}bash\n/report check main\n{FENCE}\n/report check dev",
        Parsed(Command("check", "dev", 4, "/report check dev"), ()),
    ),
    ("tilde fence", "~~~\n/report html\n~~~", Parsed(None, ())),
    ("unclosed fence runs to the end", f"{FENCE}\nexample:\n/report html", Parsed(None, ())),
    (
        "a shorter fence does not close a longer one",
        "````\n```\n/report html\n````\n/report check",
        Parsed(Command("check", None, 5, "/report check"), ()),
    ),
    ("tilde does not close backticks", f"{FENCE}\n~~~\n/report html", Parsed(None, ())),
    (
        "fence in a list item",
        "- Usage:\n- ```\n  /report html\n  ```\n",
        Parsed(None, ()),
    ),
    (
        "list fence ended by a less indented line",
        "- ```\n/report html",
        Parsed(Command("html", None, 2, "/report html"), ()),
    ),
    ("indented code", "Example:\n\n    /report html\n", Parsed(None, ())),
    ("tab-indented code", "\t/report html", Parsed(None, ())),
    ("html comment", "<!-- /report html -->\nLooks good to me.", Parsed(None, ())),
    (
        "multi-line html comment from an issue template",
        "<!--\nTell the bot what to do, e.g.\n/report html\n-->\n/report check",
        Parsed(Command("check", None, 5, "/report check"), ()),
    ),
    (
        "comment on the command line",
        "/report html <!-- TA asked for this -->",
        Parsed(Command("html", None, 1, "/report html <!-- TA asked for this -->"), ()),
    ),
    ("pre block", "<pre>\n/report html\n</pre>", Parsed(None, ())),
    (
        "pr review suggestion",
        "```suggestion\n/report html\n```\nAlso please re-run:\n/report check",
        Parsed(Command("check", None, 5, "/report check"), ()),
    ),
    (
        "emoji paragraph before",
        "🎉 We finished all 31 questions! 🎉\n/report check",
        Parsed(Command("check", None, 2, "/report check"), ()),
    ),
    (
        "ref too weird",
        "/report check feat~1",
        Parsed(Invalid("invalid ref: a ref cannot contain '~'", 1, "/report check feat~1"), ()),
    ),
    (
        "html with a url",
        "/report html https://github.com/x/y",
        Parsed(
            Invalid("invalid ref: a ref cannot contain ':'", 1, "/report html https://github.com/x/y"), ()
        ),
    ),
    ("empty body", "", Parsed(None, ())),
    ("whitespace body", "  \r\n\t\n", Parsed(None, ())),
]


@pytest.mark.parametrize(
    ("body", "expected"), [(b, e) for _, b, e in COMMENTS], ids=[i for i, _, _ in COMMENTS]
)
def test_parse_comment(body: str, expected: Parsed) -> None:
    assert parse_comment(body) == expected


def test_none_body_has_no_command() -> None:
    assert parse_comment(None) == Parsed(None, ())


@pytest.mark.parametrize(
    "body",
    [
        "x <!--\n" * 9000,
        "- ```\n" * 10000,
        " ".join("`" * k for k in range(1, 360)) + " <!--",
        "\u00a0" * 65000 + "/report html",
    ],
    ids=["unclosed inline comments", "list fences", "backtick runs", "nbsp"],
)
def test_a_hostile_comment_of_githubs_maximum_size_parses_quickly(body: str) -> None:
    # GitHub comments are at most 65536 characters; each of these takes ~0.1 s.
    start = time.perf_counter()
    parse_comment(body)
    assert time.perf_counter() - start < 2.0


def test_a_long_unknown_word_is_cut() -> None:
    result = parse_comment("/report " + "x" * 500).first
    assert isinstance(result, Unknown)
    assert len(result.word) == 40 and result.word.endswith("…")


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        ("main", True),
        ("v1.0", True),
        ("feature/x", True),
        ("HEAD", True),
        ("1a2b3c4", True),
        ("ünïcode-branch", True),
        ("a..b", False),
        ("a b", False),
        ("a\x07b", False),
        ("x~1", False),
        ("x^", False),
        ("x:y", False),
        ("x?", False),
        ("x*", False),
        ("x[0]", False),
        ("x\\y", False),
        ("x.lock", False),
        ("a.lock/b", False),
        ("x.", False),
        ("x/", False),
        ("/x", False),
        ("a//b", False),
        ("a/.b", False),
        (".hidden", False),
        ("x@{1}", False),
        ("@", False),
        ("-rf", False),
        ("a\u202eb", False),
        ("x" * 255, True),
        ("x" * 256, False),
        ("", False),
    ],
)
def test_validate_ref_follows_git_rules(ref: str, ok: bool) -> None:
    reason = validate_ref(ref)
    assert (reason is None) is ok
    if reason is not None:
        assert "\n" not in reason
        assert len(ref) < 3 or ref not in reason  # the reason never echoes student text


# ---------------------------------------------------------------------------------------------------------
# Properties

MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "```",
            "~~~",
            "````",
            "> ",
            "<!--",
            "-->",
            "<pre>",
            "</pre>",
            "/report",
            "/report html",
            "/report check main",
            " ",
            "   ",
            "    ",
            "\t",
            "\n",
            "\r\n",
            "\n\n",
            "- ",
            "1. ",
            "`",
            "html",
            "x",
            "@",
            "\u00a0",
            "\ufeff",
            "🚀",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), MARKDOWNISH))
def test_parse_comment_never_raises(body: str) -> None:
    parsed = parse_comment(body)
    assert parsed.first is None or parsed.first.line >= 1
    if parsed.first is None:
        assert parsed.ignored == ()


SAFE_LINE = st.text(
    alphabet=st.characters(blacklist_characters="`~<>\r\n/\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"), max_size=30
)


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(SAFE_LINE, max_size=4),
    indent=st.sampled_from(["", " ", "  ", "   "]),
    char=st.sampled_from("`~"),
    length=st.integers(3, 6),
    info=st.sampled_from(["", "bash", "suggestion", " python "]),
    inside=st.lists(
        st.sampled_from(["/report html", "/Report check main", "  /report", "text", ""]), max_size=5
    ),
    closed=st.booleans(),
)
def test_a_command_inside_a_fence_is_never_returned(
    before: list[str], indent: str, char: str, length: int, info: str, inside: list[str], closed: bool
) -> None:
    fence = char * length
    lines = [*before, indent + fence + info, *inside, "/report check inside"]
    if closed:
        lines.append(fence + char)  # a longer closing fence also closes
    lines.append("/report html after")
    parsed = parse_comment("\n".join(lines))
    if closed:
        assert parsed == Parsed(Command("html", "after", len(lines), "/report html after"), ())
    else:
        assert parsed == Parsed(None, ())


_MD = MarkdownIt("commonmark")


def _code_lines(body: str) -> set[int]:
    """1-based lines that markdown-it (CommonMark) puts in a fenced or indented code block."""
    lines: set[int] = set()
    for token in _MD.parse(body):
        if token.type in {"fence", "code_block"} and token.map:
            lines.update(range(token.map[0] + 1, token.map[1] + 1))
    return lines


@settings(max_examples=400, deadline=None)
@given(MARKDOWNISH)
def test_no_command_comes_from_what_commonmark_renders_as_code(body: str) -> None:
    # markdown-it splits lines like CommonMark (\n, \r\n, \r); compare on \n-only bodies.
    body = body.replace("\r\n", "\n").replace("\ufeff", "")
    parsed = parse_comment(body)
    if parsed.first is not None:
        assert parsed.first.line not in _code_lines(body)


# ---------------------------------------------------------------------------------------------------------
# quote_command

_QUOTE_HTML = re.compile(r"<blockquote>\n<p><code>[^<>]*</code></p>\n</blockquote>\n")
_MENTION = re.compile(r"@[A-Za-z0-9]")


def _assert_safe(quoted: str) -> None:
    assert "\n" not in quoted and "\r" not in quoted
    assert quoted.startswith("> ")
    assert not _MENTION.search(quoted)
    assert _QUOTE_HTML.fullmatch(_MD.render(quoted)), _MD.render(quoted)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("/report html @org/team", "/report html @\u200dorg/team"),
        ("/report check @user", "/report check @\u200duser"),
        ("/report html `main`", "/report html `main`"),
        ("/report html <script>alert(1)</script>", "/report html &lt;script&gt;alert(1)&lt;/script&gt;"),
        ("`/report html`", "`/report html`"),
        ("/report html ``` x ``` y", "/report html ``` x ``` y"),
        (
            "/report html [x](javascript:alert(1)) #12 :tada:",
            "/report html [x](javascript:alert(1)) #12 :tada:",
        ),
    ],
)
def test_quote_command_shows_the_text_as_code(raw: str, shown: str) -> None:
    quoted = quote_command(raw)
    _assert_safe(quoted)
    html = _MD.render(quoted)
    assert html == f"<blockquote>\n<p><code>{shown}</code></p>\n</blockquote>\n"


def test_quote_command_cuts_long_text_and_line_breaks() -> None:
    quoted = quote_command("/report html " + "a" * 300 + "\n> @everyone\r\n<img src=x>")
    _assert_safe(quoted)
    content = (
        _MD.render(quoted)
        .removeprefix("<blockquote>\n<p><code>")
        .removesuffix("</code></p>\n</blockquote>\n")
    )
    assert len(content) == 100 and content.endswith("…")


def test_quote_command_of_nothing() -> None:
    assert quote_command(" \n ") == "> *(empty)*"


def test_a_quoted_command_still_parses() -> None:
    quoted = quote_command("/report check @main")
    inner = quoted.removeprefix("> `").removesuffix("`")
    assert parse_comment(inner).first == Command("check", "@main", 1, inner)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_quote_command_is_always_one_inert_line(raw: str) -> None:
    quoted = quote_command(raw)
    if quoted != "> *(empty)*":
        _assert_safe(quoted)


# ---------------------------------------------------------------------------------------------------------
# Help, permissions, bots


def test_help_lists_every_command_once_per_line() -> None:
    lines = HELP_COMMANDS.strip().splitlines()
    assert [line.split("`")[1].split()[1] for line in lines] == ["check", "html", "help"]
    assert all(line.startswith("- `/report ") for line in lines)


@pytest.mark.parametrize(
    ("actual", "minimum", "allowed"),
    [
        ("admin", "write", True),
        ("maintain", "write", True),
        ("write", "write", True),
        ("triage", "write", False),
        ("read", "write", False),
        ("none", "read", False),
        ("triage", "triage", True),
        ("read", "triage", False),
        ("read", "read", True),
        ("Write", "write", True),
        ("push", "write", True),
        ("pull", "read", True),
        ("pull", "triage", False),
        ("teaching-assistant", "read", False),  # a custom role name: denied
        ("", "read", False),
    ],
)
def test_permission_allows(actual: str, minimum: str, allowed: bool) -> None:
    assert permission_allows(actual, minimum) is allowed  # type: ignore[arg-type]


def test_permission_allows_rejects_a_bad_minimum() -> None:
    with pytest.raises(ValueError):
        permission_allows("admin", "none")  # type: ignore[arg-type]


def test_permission_order_is_githubs() -> None:
    assert PERMISSION_ORDER == ("none", "read", "triage", "write", "maintain", "admin")


@pytest.mark.parametrize(
    ("permission", "role_name", "effective"),
    [
        ("read", "triage", "triage"),
        ("write", "maintain", "maintain"),
        ("write", "course-ta", "write"),
        ("admin", "admin", "admin"),
        (None, None, "none"),
        ("none", "custom", "none"),
    ],
)
def test_effective_permission(permission: str | None, role_name: str | None, effective: str) -> None:
    assert effective_permission(permission, role_name) == effective


@pytest.mark.parametrize(
    ("sender", "bot"),
    [
        ({"login": "report-bot[bot]", "type": "Bot"}, True),
        ({"login": "dependabot[bot]", "type": "User"}, True),
        ({"login": "github-actions", "type": "Bot"}, True),
        ({"login": "s214567", "type": "User"}, False),
        ({"login": "dtu-mlops", "type": "Organization"}, False),
        ({"login": "robot", "type": "User"}, False),
        ({}, True),
        ({"login": None, "type": None}, True),
    ],
)
def test_is_bot_sender(sender: dict[str, object], bot: bool) -> None:
    assert is_bot_sender(sender) is bot
