"""Reading a ref and checking its report: shared by the check job and the command jobs.

A job reads the ref's head when it runs (so a burst of pushes costs one check, and an old run never
overwrites a newer verdict)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.github.config import BotConfig, LoadedConfig
from bot.github.fetch import Head, RepoReader, Snapshot
from bot.github.replies import Place
from bot.jobs import cpu
from bot.jobs.context import Bot
from bot.report import evidence, feedback
from bot.report.check import Verdict
from bot.report.diagnostics import code
from bot.report.parse import Report, parse
from bot.report.rules import BUILTIN, RuleSet, RuleSetError, resolve


class Skip(Exception):
    """Nothing to do for this job (e.g. a pull request that does not touch the report)."""


def _touches(head: Head, report_dir: str) -> bool:
    if head.pr_files is None:
        return True  # unknown (more files than one page, or GitHub answered `files: null`): assume it does
    prefix = report_dir.rstrip("/") + "/" if report_dir else ""
    return any(f.startswith(prefix) for f in head.pr_files) if prefix else bool(head.pr_files)


@dataclass(frozen=True)
class Checked:
    head: Head
    config: LoadedConfig
    verdict: Verdict | None
    """None when there is no report at the configured path."""
    body: str
    snapshot: Snapshot | None = None
    """The commit's files (None when there is no report)."""


async def read_head(
    bot: Bot, p: Place, ref: str, pr: int | None = None
) -> tuple[RepoReader, Head, LoadedConfig]:
    """The ref's head (report, `report.py`) and the repository's config. Raises `NotFound`."""
    reader = RepoReader(p.gh, p.owner, p.repo, bot.blobs)
    guess = bot.report_path(p.full_name)
    head = await reader.head(ref, guess, pr)
    loaded = await bot.load_config(reader, head)
    cfg = loaded.config
    if cfg.report_path != guess:  # the config moved the report: read it there (rare, then remembered)
        bot.remember_report_path(p.full_name, cfg.report_path)
        head = await reader.head(head.sha if pr is None else ref, cfg.report_path, pr)
    return reader, head, loaded


async def rules_for(
    bot: Bot,
    reader: RepoReader,
    head: Head,
    cfg: BotConfig,
    snapshot: Snapshot | None,
    notes: list[str],
    report: Report | None = None,
) -> tuple[RuleSet, str]:
    """The rule set for the report at `head` (a note is added when the configured one cannot be used).
    `report` is the report already parsed, if the caller has it."""
    assert head.report is not None
    subject: str | Report = report if report is not None else head.report
    rules_yaml = None
    if cfg.rules not in BUILTIN and cfg.rules != "auto":
        if snapshot is None:
            snapshot = await reader.tree(head.sha)
        blob = snapshot.files.get(cfg.rules.lstrip("/"))
        rules_yaml = (await reader.blob(blob)).decode("utf-8", errors="replace") if blob else None
    try:
        return resolve(
            cfg.rules,
            subject,
            report_py=head.script if cfg.rules == "auto" else None,
            report_py_source=(cfg.report_dir + "/report.py").lstrip("/"),
            yaml_text=rules_yaml,
        )
    except RuleSetError as exc:
        notes.append(
            f"⚠️ The rule set could not be used, the built-in detection applies: {code(str(exc), 300)}"
        )
        return resolve("auto", subject)


async def read_and_check(
    bot: Bot, p: Place, ref: str, pr: int | None = None, *, force: bool = False
) -> Checked:
    """Read `ref` and check its report. For a pull request that does not touch the report (and has no
    comment of the bot yet) raise `Skip`, unless `force` (someone asked for it)."""
    reader, head, loaded = await read_head(bot, p, ref, pr)
    cfg = loaded.config
    if (
        pr is not None
        and not force
        and not _touches(head, cfg.report_dir)
        and p.store.get_reply(p.full_name, "pr_comment", f"pr:{pr}") is None
    ):
        raise Skip(f"pull request #{pr} does not touch {cfg.report_dir or 'the report'}/")
    notes = (
        [f"⚠️ `.github/report-bot.yml` could not be used, the defaults apply: {code(loaded.error, 300)}"]
        if loaded.error
        else []
    )
    if head.report is None:
        body = (_not_text if head.report_binary else _no_report)(cfg.report_path, head.sha, notes)
        return Checked(head, loaded, None, body)
    snapshot = await reader.tree(head.sha)
    try:  # CPU work in the worker processes, within the time budget: never on the event loop
        report = await cpu.pool().run(parse, head.report)  # once, for the rule set's detection and the check
    except cpu.OutOfTime:
        return Checked(head, loaded, None, "\n\n".join([*notes, cpu.out_of_time_body()]), snapshot)
    rules, reason = await rules_for(bot, reader, head, cfg, snapshot, notes, report)
    files: list[str] | None = list(snapshot.files)
    if snapshot.truncated:  # a huge repository: GitHub listed only part of it
        files = None
        notes.append(
            "ℹ️ GitHub's file list is incomplete for this repository (too many files), so image links "
            "were not looked up."
        )
    base = f"https://github.com/{p.owner}/{p.repo}/blob/{head.sha}"
    try:
        contents = await _evidence_texts(bot, reader, snapshot, report, rules, files)
        verdict, body = await cpu.pool().run(
            cpu.check_and_render,
            report,
            rules,
            files,
            cfg.report_dir,
            reason,
            head.sha,
            feedback.LIMIT - 2000,
            base,
            contents,
            bot.evidence_max_blobs,
        )
    except cpu.OutOfTime:
        return Checked(head, loaded, None, "\n\n".join([*notes, cpu.out_of_time_body()]), snapshot)
    if notes:
        body = "\n\n".join(notes) + "\n\n" + body
    return Checked(head, loaded, verdict, body, snapshot)


async def _evidence_texts(
    bot: Bot, reader: RepoReader, snapshot: Snapshot, report: Report, rules: RuleSet, files: list[str] | None
) -> dict[str, str | None]:
    """The texts the checklist's evidence needs: at most `bot.evidence_max_blobs` blob reads, each blob
    read once across checks (the blob cache)."""
    if files is None or not bot.evidence_max_blobs:
        return {}
    wanted = await cpu.pool().run(evidence.to_read, report, rules, files, bot.evidence_max_blobs)
    return await reader.texts(snapshot, wanted, evidence.MAX_FILE_BYTES)


def _no_report(path: str, sha: str, notes: list[str]) -> str:
    """`path` comes from the repository's config (student-controlled): shown only as a safe code span."""
    lines = [
        f"### ❓ No report at {code(path, 200)} at commit `{sha[:7]}`",
        "",
        f"The bot checks {code(path, 200)}. Restore it from the course template (the file must keep this name), "
        "or set `report_path` in `.github/report-bot.yml` if the course keeps the report elsewhere.",
    ]
    return "\n\n".join([*notes, "\n".join(lines)])


def _not_text(path: str, sha: str, notes: list[str]) -> str:
    """The file at the report's path is binary (or not UTF-8): say so, not "no report"."""
    lines = [
        f"### ❓ The report {code(path, 200)} is not a text file at commit `{sha[:7]}`",
        "",
        f"GitHub says {code(path, 200)} is binary (or it is not UTF-8 text), so it cannot be checked. "
        "Save it as plain UTF-8 Markdown (e.g. restore it from the course template and copy your answers in) "
        "and push again.",
    ]
    return "\n\n".join([*notes, "\n".join(lines)])
