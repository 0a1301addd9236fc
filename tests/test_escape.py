"""Student text in our comments, rendered the way GitHub reads Markdown (markdown-it, CommonMark + tables):
no mention, no issue reference, no raw HTML, and a table row keeps its cells, whatever the text."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.report import feedback
from bot.report.escape import code, code_spans, escape

MD = MarkdownIt("commonmark").enable("table")
MENTION = re.compile(r"@[A-Za-z0-9]")
REFERENCE = re.compile(r"#\d|\bGH-\d", re.IGNORECASE)

# Text built from what matters to the renderer: backticks, backslashes, pipes, `@`, `#`, `<`, digits.
student = st.lists(
    st.sampled_from([*"`\\|@#<>&a1 \n*_[]()!", "GH-", "<a href=x>", "&#64;"]), max_size=30
).map("".join)


def _leaves(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for t in tokens:
        out.append(t)
        if t.children:
            out += _leaves(t.children)
    return out


def _assert_safe(markdown: str) -> list[Token]:
    tokens = MD.parse(markdown)
    leaves = _leaves(tokens)
    assert not [t for t in leaves if t.type in ("html_inline", "html_block")], markdown
    for t in leaves:
        if t.type == "text":
            assert not MENTION.search(t.content), (markdown, t.content)
            assert not REFERENCE.search(t.content), (markdown, t.content)
    return tokens


@settings(max_examples=600, deadline=None)
@given(student)
@example("### Week 1 ``@someone`")
@example("a``#12`` a")
@example('<a href="https://example.com">x</a>')
@example("\\`@x`")
@example("x\\|@y|z")
@example("``` `@a` ```@b")
@example("`<a href=x>`|`")
def test_escaped_text_cannot_mention_reference_or_inject(text: str) -> None:
    _assert_safe(f"- **{escape(text)}** and {escape(text)}")
    _assert_safe(f"{escape(text[::-1])}`x`{escape(text)}`y` {escape(text, table=True)}")
    _assert_safe(f"{code(text, 1000)} then {escape(code(text, 1000))}")
    tokens = _assert_safe(
        f"| a | b | c |\n|---|---|---|\n| 1 | {escape(text, table=True)} | end |\n"
        f"| 2 | {escape(code(text, 1000), table=True)} | end |\n"
    )
    rows = [i for i, t in enumerate(tokens) if t.type == "tr_open"]
    assert len(rows) == 3
    for start in rows[1:]:
        cells = []
        for t in tokens[start:]:
            if t.type == "tr_close":
                break
            if t.type == "td_open":
                cells.append(t)
        assert len(cells) == 3, text
    last = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "td_open"][2::3]
    assert last == ["end", "end"]


def test_escape_keeps_commonmark_code_spans() -> None:
    z = "\u200b"  # at either end next to a backtick: no backtick around can lengthen a span's fence
    assert escape("`@bob` stays") == z + "`@bob` stays"
    assert escape("hi @bob see #3 GH-4 <b>x</b>") == f"hi @{z}bob see #{z}3 GH-{z}4 &lt;b&gt;x&lt;/b&gt;"
    # A run of two backticks is closed only by another run of two: the single one is text.
    assert escape("``@a` b``") == z + "``@a` b``" + z
    assert escape("`a``@b`") == z + "`a``@b`" + z
    # A run left without a closer is escaped: it must not pair with a backtick of the Markdown around it.
    assert escape("```a`` @c") == f"\\`\\`\\`a\\`\\` @{z}c"
    assert escape("\\`@d`") == f"\\`@{z}d\\`{z}"
    assert escape("`<a href=x>`|`") == f"{z}`<a href=x>`|\\`{z}"


def test_code_spans_as_markdown_it_reads_them() -> None:
    for text in ["`a` `b`", "``a`b``", "`a\\`b`", "\\`a`b`", "```x`` `y`", "` `` `"]:
        spans = [text[s:e] for s, e in code_spans(text)]
        rendered = [t.content for t in _leaves(MD.parse(text)) if t.type == "code_inline"]
        assert len(spans) == len(rendered), text


def test_code_keeps_backticks_inside_a_longer_fence() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("  spaced \n text ") == "`spaced text`"
    assert code("") == "``"
    assert code("x" * 100, 10) == "`xxxxxxxxx…`"


def test_table_pipes_stay_escaped_after_a_backslash() -> None:
    assert escape("a\\|b", table=True) == "a\\\u200b\\|b"
    assert escape("a|b", table=True) == "a\\|b"


def test_feedback_uses_the_same_escape() -> None:
    assert feedback.escape is escape and feedback.code is code
