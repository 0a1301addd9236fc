"""The texts of the bot's answers to slash commands (pure: values in, Markdown out).

Student text (a typed ref or word, a config value) only ever reaches a reply through `inline` or
`quote_command` (code spans no mention, link or HTML can come out of) or `feedback.escape`."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Literal

import yaml

from bot.commands.grammar import HELP_COMMANDS, Invalid, Parsed, Unknown, quote_command
from bot.report import feedback
from bot.report.check import Verdict
from bot.report.diagnostics import code

Outcome = Literal["ok", "failed", "denied"]
OUTCOME_MARKER = "<!-- report-bot:outcome {outcome} -->"
RENDER_WINDOW = timedelta(hours=1)
"""`/report html` renders are counted per repository over this window."""
MAX_IGNORED_SHOWN = 5


def inline(text: str) -> str:
    """Student text as one inline code span (no mention, link or HTML can come out of it)."""
    return quote_command(text).removeprefix("> ")


def compose(parsed: Parsed, text: str, outcome: Outcome) -> str:
    """A reply: the quoted command, the answer, the ignored later commands, and the hidden outcome."""
    first = parsed.first
    parts = [quote_command(first.raw if first is not None else ""), "", text]
    if parsed.ignored:
        shown = parsed.ignored[:MAX_IGNORED_SHOWN]
        more = len(parsed.ignored) - len(shown)
        lines = [
            "",
            "Only the first command of a comment runs; "
            + ("this one was" if len(parsed.ignored) == 1 else "these were")
            + " ignored (write each in its own comment):",
            "",
            *(quote_command(raw) + "  " for raw in shown),
        ]
        if more:
            lines.append(f"> …and {more} more")
        parts += lines
    parts += ["", OUTCOME_MARKER.format(outcome=outcome)]
    return "\n".join(parts)


def _commands_block(minimum: str) -> str:
    return f"Commands (write them at the start of a line in a comment; **{minimum}** access or more):\n\n{HELP_COMMANDS}"


def unknown_text(cmd: Unknown, minimum: str) -> str:
    return (
        f"😕 {inline(cmd.word)} is not a command I know. Did you mean `/report {cmd.suggestion}`?\n\n"
        f"{_commands_block(minimum)}"
    )


def invalid_text(cmd: Invalid, minimum: str) -> str:
    return f"😕 That command cannot run: {cmd.reason}.\n\n{_commands_block(minimum)}"


def refusal_text(minimum: str, level: str) -> str:
    have = "no access" if level == "none" else f"**{level}** access"
    return (
        f"Sorry, only people with **{minimum}** access to this repository (or more) can run `/report` "
        f"commands here, and you have {have}. Ask someone in your group who can write to the repository "
        "(or your teacher) to run it. The bot still checks the report on every push.\n\n"
        "<sub>You will not get this message again in this conversation.</sub>"
    )


def missing_ref_text(command: str, ref: str, *, pr: bool, default_branch: str) -> str:
    default = "this pull request's head" if pr else f"the default branch `{default_branch}`"
    return (
        f"😕 {inline(ref)} is not a branch, tag or commit of this repository, so there is nothing to "
        f"{'check' if command == 'check' else 'render'}.\n\n"
        "Check the spelling (branch and tag names are case-sensitive), push the branch first if it is only "
        f"on your computer, or leave the ref out to use {default}: `/report {command}`."
    )


def _failing_table(body: str) -> str:
    """The failing-questions table of a verdict's Markdown (empty when every question passes)."""
    lines = body.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.startswith("| # | Topic |") and "What to do" in line), None
    )
    if start is None:
        return ""
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end])


def check_text(v: Verdict | None, sha: str, body: str, ref: str | None, where: str | None) -> str:
    """The answer to `/report check`: the verdict `body` whole, or (when it is refreshed somewhere, `where`)
    its headline and failing-questions table with a pointer there."""
    what = f"{inline(ref)} (commit `{sha[:7]}`)" if ref is not None else f"commit `{sha[:7]}`"
    if v is None:
        return f"Checked {what}.\n\n{body}"
    if where is None:
        return f"Checked {what}:\n\n{body}"
    table = _failing_table(body)
    parts = [f"### {feedback.headline(v)}", "", f"Checked {what}."]
    if table:
        parts += ["", table]
    parts += ["", f"Everything the check found, line by line, is in {where} (refreshed now)."]
    return "\n".join(parts)


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _span(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hours"


def html_text(
    v: Verdict, sha: str, url: str, expires_at: datetime, now: datetime, ref: str | None, *, renders_left: int
) -> str:
    of = f"{inline(ref)} (commit `{sha[:7]}`)" if ref is not None else f"commit `{sha[:7]}`"
    return "\n".join(
        [
            f"📄 **[Your report as a web page]({url})**, {of}: the page a grader reads, with the check's "
            "verdict on every question.",
            "",
            f"**Verdict:** {feedback.headline(v)}",
            "",
            handin_line(v),
            "",
            f"The link works until {_when(expires_at)} (in {_span(expires_at - now)}). Anyone with the link "
            f"can open it: share it only with your group. <sub>Renders left this hour: {renders_left}.</sub>",
        ]
    )


def handin_line(v: Verdict) -> str:
    """How many answers look different in the hand-in (the page graders read) than on GitHub."""
    if any(d.code == "RB078" for d in v.diagnostics):
        return (
            "**In the hand-in:** the bot could not render the page graders read (`report.py html`) for this "
            "report; the check's findings say why."
        )
    qs = sorted(
        {d.question for d in v.diagnostics if d.name.startswith("handin-") and d.question is not None}
    )
    if not qs:
        return (
            "**In the hand-in:** every answer looks as it does on GitHub. The page opens on the hand-in "
            "(what `report.py html` makes, what graders read), with a switch to the GitHub view."
        )
    shown = ", ".join(str(n) for n in qs[:12]) + (", …" if len(qs) > 12 else "")
    many = len(qs) != 1
    return (
        f"**In the hand-in:** {len(qs)} answer{'s' if many else ''} look{'' if many else 's'} different from "
        f"GitHub (question{'s' if many else ''} {shown}): graders read the hand-in, which has no fenced code "
        "blocks or tables and needs a blank line before a list. The page opens on the hand-in and marks "
        "them; the `handin-*` findings say how to fix each."
    )


def render_limit_text(limit: int, oldest: datetime | None, now: datetime) -> str:
    if limit == 0:
        return "😕 Rendering pages is turned off for this repository (`renders_per_hour: 0` in the config)."
    next_at = (oldest or now) + RENDER_WINDOW
    return (
        f"😕 This repository has used its {limit} page render{'s' if limit != 1 else ''} of the last hour. "
        f"The next one is possible at "
        f"{_when(next_at)} (in {_span(next_at - now)}); ask again then. `/report check` has no such limit."
    )


def help_text(
    settings: dict[str, Any],
    *,
    source: str | None,
    error: str | None,
    config_path: str,
    rules: tuple[str, str] | None,
    rule_notes: list[str],
    issue: int | None,
    default_branch: str,
    render_limit: int,
    ttl: timedelta,
) -> str:
    """`/report help`: what the bot does here, the commands, the issue, the rule set and every setting
    (`settings` as the config file spells them, read from `source`, None for the defaults)."""
    path = inline(str(settings["report_path"]))
    out = [
        f"**report-bot** checks this repository's exam report, {path}, against the course's rules (words "
        "and screenshots per question, placeholders left in, images that are not in the repository, ...) "
        f"every time it changes on `{feedback.escape(default_branch)}`, and answers in the pinned "
        "**Report check** issue, in a comment on each pull request that changes the report, and in a "
        "**Report check** check run.",
        "",
        _commands_block(str(settings["command_permission"])),
        f"At most {render_limit} `/report html` per hour in this repository; a page link works for "
        f"{_span(ttl)}.",
        "",
    ]
    if issue is not None:
        out.append(f"**Report check issue:** #{issue}")
    else:
        out.append(
            f"**Report check issue:** not made yet; it appears with the first check of `{feedback.escape(default_branch)}` "
            "(a push that changes the report, or `/report check`)."
        )
    if rules is not None:
        out.append(f"**Rule set:** {inline(rules[0])} ({feedback.escape(rules[1])})")
    else:
        out.append(
            f"**Rule set:** none yet: there is no report at {path} on `{feedback.escape(default_branch)}`."
        )
    out += rule_notes
    if source is None:
        out.append(
            f"**Settings:** the defaults (no `{config_path}` in this repository or in the organisation's "
            "`.github` repository)."
        )
    else:
        out.append(f"**Settings:** from {inline(source)}.")
    if error:
        out.append(f"⚠️ That file could not be used, the defaults apply: {code(error, 300)}")
    dump = yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)
    fence = "`" * max(3, _longest_backticks(dump) + 1)
    out += [
        "",
        "<details><summary>Current settings</summary>",
        "",
        f"{fence}yaml",
        dump.rstrip(),
        fence,
        "",
        "</details>",
    ]
    return "\n".join(out)


def _longest_backticks(text: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    return longest
