"""The job bodies: check a branch or a pull request and reply; `command` jobs run in `bot.command_job`.
Run by the queue's worker.

A job reads the ref's head when it runs (so a burst of pushes costs one check, and an old run never
overwrites a newer verdict: one job per key runs at a time, and the pinned issue or sticky comment of one
place is written by one job at a time, command or push). GitHub failures that are transient become the
queue's `RetryLater`; everything else fails the job with a one-line reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from githubkit.exception import GitHubException, RequestFailed

from bot.artifacts import ArtifactStore
from bot.github import config as config_mod
from bot.github.client import GitHubApp, as_retry
from bot.github.config import BotConfig, LoadedConfig
from bot.github.fetch import BlobCache, Head, NotFound, RepoReader, Snapshot
from bot.github.permissions import PermissionCache
from bot.github.replies import Place, check_run, comment_on_change, upsert_issue, upsert_pr_comment
from bot.queue import Job, RetryLater
from bot.report import feedback
from bot.report.check import Verdict, check
from bot.report.diagnostics import code
from bot.report.parse import Report, parse
from bot.report.render import RenderLimits
from bot.report.rules import BUILTIN, RuleSet, RuleSetError, resolve
from bot.store import Store
from bot.store.locks import place_lock

log = logging.getLogger(__name__)
ORG_CONFIG_TTL = 300.0


class Skip(Exception):
    """Nothing to do for this job (e.g. a pull request that does not touch the report)."""


def _touches(head: Head, report_dir: str) -> bool:
    if head.pr_files is None:
        return True  # more files than one page: assume it does
    prefix = report_dir.rstrip("/") + "/" if report_dir else ""
    return any(f.startswith(prefix) for f in head.pr_files) if prefix else bool(head.pr_files)


class JobFailed(Exception):
    """A job that cannot succeed (bad input, missing repository): fails at once with this reason."""


@dataclass(frozen=True)
class Checked:
    head: Head
    config: LoadedConfig
    verdict: Verdict | None
    """None when there is no report at the configured path."""
    body: str
    snapshot: Snapshot | None = None
    """The commit's files (None when there is no report)."""


@dataclass
class Bot:
    """Everything a job needs: GitHub clients, the store, caches."""

    app: GitHubApp
    store: Store
    public_url: str = "http://localhost:8000"
    artifacts: ArtifactStore | None = None
    """Where `/report html` keeps rendered pages (None: rendering is not set up)."""
    artifact_ttl: timedelta = timedelta(hours=72)
    render_limit: int = 20
    """`/report html` renders per repository and hour, unless the repository's config says otherwise."""
    render_limits: RenderLimits = field(default_factory=RenderLimits)
    """Hard limits of a rendered page (report size, images, page size)."""
    max_attempts: int = 6
    """The queue's attempts per job: a command answers on its last one even when GitHub keeps failing."""
    blobs: BlobCache = field(default_factory=BlobCache)
    permissions: PermissionCache = field(default_factory=PermissionCache)
    _org_configs: dict[str, tuple[float, str | None]] = field(default_factory=dict)
    _report_paths: dict[str, str] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock(self, key: str) -> asyncio.Lock:
        """One lock per key (e.g. a repository's pinned issue) for the jobs of this process."""
        found = self._locks.get(key)
        if found is None:
            found = self._locks[key] = asyncio.Lock()
        return found

    @asynccontextmanager
    async def exclusive(self, key: str) -> AsyncIterator[None]:
        """One writer for `key` in this process and, on PostgreSQL, across replicas."""
        async with self.lock(key), place_lock(self.store.engine, key):
            yield

    def report_dir(self, full_name: str) -> str:
        """The report's folder in a repository, as its config last said (the web layer filters pushes by it)."""
        path = self._report_paths.get(full_name, BotConfig().report_path)
        return path.rpartition("/")[0]

    async def handle(self, job: Job) -> None:
        try:
            if job.kind == "check":
                await self.check_job(job)
            elif job.kind == "command":
                from bot.command_job import run_command

                await run_command(self, job)
            else:
                raise JobFailed(f"unknown job kind {job.kind!r}")
        except RetryLater:
            raise
        except NotFound as exc:
            raise JobFailed(str(exc)) from None
        except (GitHubException, OSError) as exc:
            retry = as_retry(exc)
            if retry is not None:
                raise retry from None
            status = exc.response.status_code if isinstance(exc, RequestFailed) else None
            raise JobFailed(f"GitHub refused a request ({status or type(exc).__name__})") from None

    def place(self, job: Job) -> Place:
        p = job.payload
        gh = self.app.installation(int(p["installation_id"]))
        return Place(
            self.app, gh, int(p["installation_id"]), p["owner"], p["repo"], self.store, job.attempts > 1
        )

    # ------------------------------------------------------------------ reading and checking

    async def org_config(self, reader: RepoReader, owner: str, repo: str, path: str) -> str | None:
        """A config file of another repository (the owner's `.github`, or an `_extends` target), cached."""
        key = f"{owner}/{repo}:{path}"
        hit = self._org_configs.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < ORG_CONFIG_TTL:
            return hit[1]
        text = await reader.file_on_default_branch(owner, repo, path)
        self._org_configs[key] = (now, text)
        return text

    async def load_config(self, reader: RepoReader, head: Head) -> LoadedConfig:
        own = (reader.owner, reader.repo, config_mod.CONFIG_PATH)

        async def fetch(owner: str, repo: str, path: str) -> str | None:
            if (owner, repo, path) == own:
                return head.config
            return await self.org_config(reader, owner, repo, path)

        return await config_mod.load(reader.owner, reader.repo, fetch)

    async def read_head(
        self, p: Place, ref: str, pr: int | None = None
    ) -> tuple[RepoReader, Head, LoadedConfig]:
        """The ref's head (report, `report.py`) and the repository's config. Raises `NotFound`."""
        reader = RepoReader(p.gh, p.owner, p.repo, self.blobs)
        guess = self._report_paths.get(p.full_name, BotConfig().report_path)
        head = await reader.head(ref, guess, pr)
        loaded = await self.load_config(reader, head)
        cfg = loaded.config
        if cfg.report_path != guess:  # the config moved the report: read it there (rare, then remembered)
            self._report_paths[p.full_name] = cfg.report_path
            head = await reader.head(head.sha if pr is None else ref, cfg.report_path, pr)
        return reader, head, loaded

    async def rules_for(
        self,
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
        self, p: Place, ref: str, pr: int | None = None, *, force: bool = False
    ) -> Checked:
        """Read `ref` and check its report. For a pull request that does not touch the report (and has no
        comment of the bot yet) raise `Skip`, unless `force` (someone asked for it)."""
        reader, head, loaded = await self.read_head(p, ref, pr)
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
            body = _no_report(cfg.report_path, head.sha, notes)
            return Checked(head, loaded, None, body)
        snapshot = await reader.tree(head.sha)
        report = parse(head.report)  # once, for the rule set's detection and for the check
        rules, reason = await self.rules_for(reader, head, cfg, snapshot, notes, report)
        files: list[str] | None = list(snapshot.files)
        if snapshot.truncated:  # a huge repository: GitHub listed only part of it
            files = None
            notes.append(
                "ℹ️ GitHub's file list is incomplete for this repository (too many files), so image links "
                "were not looked up."
            )
        verdict = check(report, rules, files, cfg.report_dir, reason)
        body = feedback.render(verdict, commit=head.sha, limit=feedback.LIMIT - 2000)
        if notes:
            body = "\n\n".join(notes) + "\n\n" + body
        return Checked(head, loaded, verdict, body, snapshot)

    # ------------------------------------------------------------------ the check job

    async def check_job(self, job: Job) -> None:
        p = self.place(job)
        payload = job.payload
        if payload.get("pr") is not None:
            await self.check_pr(p, int(payload["pr"]))
        else:
            await self.check_branch(p, str(payload["branch"]))

    async def check_branch(self, p: Place, branch: str) -> tuple[Checked, int | None]:
        """Check a branch; on the default branch refresh the pinned issue (its number is returned)."""
        async with self.exclusive(f"{p.full_name}:branch:{branch}".lower()):
            return await self._check_branch(p, branch)

    async def _check_branch(self, p: Place, branch: str) -> tuple[Checked, int | None]:
        checked = await self.read_and_check(p, f"refs/heads/{branch}")
        cfg = checked.config.config
        if branch != checked.head.default_branch:
            return checked, None  # only the default branch has the pinned issue; others are checked in PRs
        title = cfg.issue_title
        number, created, pin_note = await upsert_issue(p, title, checked.body, pin=cfg.pin_issue)
        if pin_note:
            await upsert_issue(p, title, f"> {pin_note}\n\n{checked.body}", pin=False)
        scope = f"branch:{branch}"
        await self.record_and_notify(p, scope, number, checked, notify=cfg.comment_on_change and not created)
        if cfg.check_runs and checked.verdict is not None:
            await self.post_check_run(p, checked)
        return checked, number

    async def check_pr(self, p: Place, pr: int, *, force: bool = False) -> tuple[Checked, int | None] | None:
        """Check a pull request's head and refresh its sticky comment (whose id is returned) and check run.
        None when there was nothing to do (the PR does not touch the report, unless `force`)."""
        async with self.exclusive(f"{p.full_name}:pr:{pr}".lower()):
            try:
                checked = await self.read_and_check(p, f"refs/pull/{pr}/head", pr, force=force)
            except Skip as why:
                log.info("%s: nothing to do, %s", p.full_name, why)
                return None
            if checked.head.pr_state not in (None, "OPEN"):
                return checked, None  # closed or merged while the job waited: nothing is refreshed
            cfg = checked.config.config
            comment = await upsert_pr_comment(p, pr, checked.body) if cfg.pr_comments else None
            if cfg.check_runs and checked.verdict is not None:
                await self.post_check_run(p, checked)
            await self.record_and_notify(p, f"pr:{pr}", None, checked, notify=False)
            return checked, comment

    async def post_check_run(self, p: Place, checked: Checked, details_url: str | None = None) -> int:
        v = checked.verdict
        assert v is not None
        cfg = checked.config.config
        return await check_run(
            p,
            checked.head.sha,
            title=feedback.headline(v),
            summary=checked.body,
            success=v.ok,
            annotations=feedback.annotations(v, cfg.report_path),
            details_url=details_url,
        )

    async def record_and_notify(
        self, p: Place, scope: str, issue: int | None, checked: Checked, *, notify: bool
    ) -> None:
        v = checked.verdict
        failing = [str(n) for n in sorted(v.failing())] if v else []
        error = (v.official.error if v else "no report") or None
        total = v.official.total if v else 0
        before = self.store.last_verdict(p.full_name, scope)
        changed = before is None or (before.failing, before.error, before.total) != (failing, error, total)
        if notify and changed and before is not None and issue is not None:
            headline = feedback.headline(v) if v else "The report file is missing"
            text = f"The verdict changed at commit `{checked.head.sha[:7]}`: **{headline}**. The issue above shows the details."
            await comment_on_change(p, issue, f"{scope}:{checked.head.sha}", text)
        self.store.set_verdict(p.full_name, scope, checked.head.sha, bool(v and v.ok), total, failing, error)


def _no_report(path: str, sha: str, notes: list[str]) -> str:
    """`path` comes from the repository's config (student-controlled): shown only as a safe code span."""
    lines = [
        f"### ❓ No report at {code(path, 200)} at commit `{sha[:7]}`",
        "",
        f"The bot checks {code(path, 200)}. Restore it from the course template (the file must keep this name), "
        "or set `report_path` in `.github/report-bot.yml` if the course keeps the report elsewhere.",
    ]
    return "\n\n".join([*notes, "\n".join(lines)])


def describe(payload: dict[str, Any]) -> str:
    """A short description of a job for logs (no secrets: payloads hold names and numbers only)."""
    if payload.get("comment_id") is not None:
        what = f"comment {payload['comment_id']} in #{payload.get('number')}"
    elif payload.get("pr") is not None:
        what = f"PR #{payload['pr']}"
    else:
        what = f"branch {payload.get('branch')}"
    return f"{payload.get('owner')}/{payload.get('repo')} {what}"
