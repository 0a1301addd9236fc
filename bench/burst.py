"""The deadline rush: REPOS repositories of one installation × PUSHES pushes each within WINDOW seconds,
against the local GitHub double (LATENCY s per call, GitHub's secondary limit on content creation enforced:
80 a minute per installation, 403 + retry-after beyond it), with signed webhooks sent to the bot's web
processes over loopback.

    .venv/bin/python bench/burst.py                         # 300 × 4 in 60 s, embedded (≥ 450 s by design)
    .venv/bin/python bench/burst.py --mode postgres         # 2 web (`serve`) + 3 `worker` on PostgreSQL
    .venv/bin/python bench/burst.py --repos 20 --pushes 3 --window 5 --latency 0.02   # seconds

--mode embedded: one `report-bot serve` on SQLite (web + queue + worker in one process).
--mode postgres: REPORT_BOT_DATABASE_URL=postgresql://... (BENCH_DATABASE_URL or a fresh database
`burst_<pid>` at 127.0.0.1:5432), `--web` `report-bot serve` processes (web only) and `--workers`
`report-bot worker --concurrency N` processes; deliveries go round-robin to the web processes. Until
`report-bot worker` exists (issue 16's procrastinate branch), `--workers 0` runs the jobs in the `serve`
processes (today each runs web + the embedded queue's worker on PostgreSQL).

Every repository starts with its pinned report issue (made by the bot before: found by its marker), so the
work the limits price is one issue edit + one check run per repository: the floor is 2 × REPOS writes ÷
80 a minute (450 s for 300). Prints per mode: time until every repository shows its last push, that time
÷ the floor (goal ≤ 1.2), p95 push→reply, GitHub requests (total, per push, by kind), jobs per push,
duplicates (issues / change comments / check runs counted on the double: must be 0) and peak RSS per
process. The hourly limit (500) is off by default in both the double and the bot (`--per-hour`): with it,
600 writes cannot fit in one hour, and the floor would be the hour, not the minute.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from github_double import GitHubDouble  # noqa: E402
from github_double.fixtures import make_app_key  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from _burst_procs import SECRET, Proc, drop_database, fresh_postgres_database, start_bot  # noqa: E402

ORG = "course-org"
INSTALLATION = 100
MARKER = "<!-- report-bot:report-check -->"
WRITES_PER_REPO = 2  # one issue edit + one check run


def _report() -> str:
    """Seed report 000 of the shared material (a real report), or a minimal one without ../shared."""
    seeds = sorted((ROOT.parent / "shared" / "reports" / "seeds").glob("000_*.md"))
    if seeds:
        return seeds[0].read_text("utf-8")
    return "# Exam report\n\n### Question 1\n> **Enter the group number**\n>\n> Answer:\n\n1\n"


# ------------------------------------------------------------------------------------------------ pushes
def _payload(double: GitHubDouble, repo: str, before: str, after: str) -> bytes:
    info = double.json_repo(ORG, repo)
    payload = {
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "repository": {
            "id": info["id"],
            "name": repo,
            "full_name": f"{ORG}/{repo}",
            "owner": {"login": ORG, "name": ORG, "type": "Organization"},
            "default_branch": "main",
        },
        "installation": {"id": INSTALLATION},
        "sender": {"login": "student", "type": "User"},
        "pusher": {"name": "student"},
        "commits": [{"id": after, "added": [], "removed": [], "modified": ["reports/README.md"]}],
        "head_commit": {"id": after, "modified": ["reports/README.md"]},
    }
    return json.dumps(payload).encode()


def _headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
        "User-Agent": "GitHub-Hookshot/burst",
    }


@dataclass
class Push:
    repo: str
    index: int
    sha: str = ""
    sent: float = 0.0
    replied: float | None = None


@dataclass
class Run:
    pushes: list[Push] = field(default_factory=list)
    started: float = 0.0
    last_reply: float = 0.0
    done: bool = False


def prepare(double: GitHubDouble, repos: int, report: str) -> list[str]:
    names = [f"group-{i:03d}" for i in range(repos)]
    for name in names:
        double.add_repo(ORG, name, {"reports/README.md": report, "README.md": "# project\n"})
        double.add_issue(
            ORG,
            name,
            "Report check",
            f"{MARKER}\nchecked before the rush",
            user="report-bot[bot]",
            pinned=True,
        )
    return names


async def send_pushes(
    double: GitHubDouble, names: list[str], report: str, urls: list[str], args: argparse.Namespace, run: Run
) -> None:
    """Every repository's pushes, spread over the window (push k of every repository in the k-th slice, in a
    shuffled order), each a new commit (the report gains a trailing blank line: the same verdict)."""
    rng = random.Random(16)
    plan: list[tuple[float, str, int]] = []
    slice_ = args.window / args.pushes
    for k in range(args.pushes):
        for name in names:
            plan.append((k * slice_ + rng.random() * slice_, name, k))
    plan.sort()
    run.started = time.monotonic()
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as client:
        pending: set[asyncio.Task[None]] = set()
        for i, (at, name, k) in enumerate(plan):
            delay = run.started + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            push = Push(name, k)
            before, after = await asyncio.to_thread(
                double.push, ORG, name, "main", {"reports/README.md": report + "\n" * (k + 1)}
            )
            push.sha, push.sent = after, time.monotonic()
            run.pushes.append(push)
            body = _payload(double, name, before, after)
            url = urls[i % len(urls)] + "/webhook"
            task = asyncio.create_task(_deliver(client, url, body))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)


async def _deliver(client: httpx.AsyncClient, url: str, body: bytes) -> None:
    for _ in range(5):
        try:
            resp = await client.post(url, content=body, headers=_headers(body))
            if resp.status_code in (200, 202):
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError(f"the web process did not accept a delivery: {url}")


def _shown(double: GitHubDouble, name: str, shas: list[str]) -> int:
    """The index of the newest push whose commit the repository's issue and a check run show (-1: none)."""
    issues = [i for i in double.issues(ORG, name) if i.body and MARKER in i.body]
    if not issues:
        return -1
    body = issues[0].body or ""
    for k in range(len(shas) - 1, -1, -1):
        if f"`{shas[k][:7]}`" in body and double.check_runs(ORG, name, shas[k]):
            return k
    return -1


async def watch(
    double: GitHubDouble,
    names: list[str],
    procs: list[Proc],
    args: argparse.Namespace,
    run: Run,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            p.sample()
        by_repo: dict[str, list[Push]] = {}
        for push in run.pushes:
            by_repo.setdefault(push.repo, []).append(push)
        now = time.monotonic()
        complete = len(run.pushes) == len(names) * args.pushes
        all_last = True
        for name, pushes in by_repo.items():
            shown = await asyncio.to_thread(_shown, double, name, [p.sha for p in pushes])
            for p in pushes[: shown + 1]:
                if p.replied is None:
                    p.replied = now
                    run.last_reply = max(run.last_reply, now)
            if shown < args.pushes - 1:
                all_last = False
        if complete and all_last and len(by_repo) == len(names):
            run.done = True
            return
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------------------------------------ counts
def duplicates(double: GitHubDouble, names: list[str]) -> dict[str, int]:
    issues = comments = runs = 0
    for name in names:
        mine = [i for i in double.issues(ORG, name) if i.body and MARKER in i.body]
        issues += max(len(mine) - 1, 0)
        for issue in mine:
            bodies = [c.body for c in double.comments(ORG, name, issue.number)]
            comments += len(bodies) - len(set(bodies))
        shas: dict[str, int] = {}
        for cr in double.check_runs(ORG, name):
            shas[cr.head_sha] = shas.get(cr.head_sha, 0) + 1
        runs += sum(n - 1 for n in shas.values() if n > 1)
    return {"issues": issues, "comments": comments, "check runs": runs}


def jobs_run(procs: list[Proc]) -> int | None:
    for p in procs:
        if p.url:
            counts = httpx.get(p.url + "/healthz", timeout=5).json().get("jobs", {})
            return int(counts.get("done", 0)) + int(counts.get("failed", 0))
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    key = make_app_key()
    report = _report()
    with (
        tempfile.TemporaryDirectory(prefix=f"burst-{mode}-") as tmp,
        GitHubDouble(app_id=1, public_key=key.public_pem, rate_limit=1_000_000) as double,
    ):
        work = Path(tmp)
        double.add_installation(INSTALLATION, ORG)
        names = prepare(double, args.repos, report)
        double.set_latency(args.latency)
        double.enforce_secondary_limits(int(args.per_minute), args.per_hour)
        created = mode == "postgres" and not args.database_url
        if created:
            args.database_url = fresh_postgres_database()
        procs: list[Proc] = []
        try:
            procs = start_bot(mode, double, key.private_pem, work, args)
            urls = [p.url for p in procs if p.url]
            mark = double.mark()
            kinds_before = double.request_kinds(INSTALLATION)
            run = Run()

            async def main() -> None:
                sender = asyncio.create_task(send_pushes(double, names, report, urls, args, run))
                await asyncio.sleep(0.2)
                await watch(double, names, procs, args, run, args.timeout)
                await sender

            asyncio.run(main())
            time.sleep(1.0)  # anything still in flight lands before counting
            for p in procs:
                p.sample()
            kinds = {k: v - kinds_before.get(k, 0) for k, v in double.request_kinds(INSTALLATION).items()}
            requests = double.count(since=mark)
            jobs = jobs_run(procs)
            dups = duplicates(double, names)
        finally:
            for p in procs:
                p.stop()
            if created:
                drop_database(args.database_url)
                args.database_url = ""
    pushes = len(run.pushes)
    total = run.last_reply - run.started if run.done else float("nan")
    floor = WRITES_PER_REPO * args.repos / args.per_minute * 60
    return {
        "mode": mode,
        "done": run.done,
        "total": total,
        "floor": floor,
        "ratio": total / floor,
        "p95": percentile([p.replied - p.sent for p in run.pushes if p.replied is not None], 0.95),
        "requests": requests,
        "per_push": requests / max(pushes, 1),
        "kinds": kinds,
        "writes_per_repo": kinds.get("write", 0) / args.repos,
        "jobs_per_push": (jobs / max(pushes, 1)) if jobs is not None else float("nan"),
        "duplicates": dups,
        "rss": {p.name: round(p.peak_mb) for p in procs},
        "pushes": pushes,
    }


def report_line(r: dict[str, Any]) -> str:
    d = r["duplicates"]
    return "\n".join(
        [
            f"mode {r['mode']}: {r['pushes']} pushes, every repository shows its last push: {r['done']}",
            f"  time until every repository shows its last push  {r['total']:.1f} s",
            f"  floor set by GitHub's write limit                {r['floor']:.1f} s   ratio {r['ratio']:.2f} (goal ≤ 1.2)",
            f"  p95 push→reply                                   {r['p95']:.1f} s",
            f"  GitHub requests                                  {r['requests']} total, {r['per_push']:.2f} per push;"
            f" installation's by kind {r['kinds']} ({r['writes_per_repo']:.2f} writes per repository)",
            f"  jobs per push                                    {r['jobs_per_push']:.2f}",
            f"  duplicates                                       {sum(d.values())} {d}",
            f"  peak RSS per process (MB, with its check pool)   {r['rss']}",
        ]
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--mode", choices=["embedded", "postgres", "both"], default="embedded")
    ap.add_argument("--repos", type=int, default=300)
    ap.add_argument("--pushes", type=int, default=4)
    ap.add_argument("--window", type=float, default=60.0, help="seconds over which the pushes arrive")
    ap.add_argument("--latency", type=float, default=0.1, help="seconds the double takes per request")
    ap.add_argument(
        "--per-minute", type=float, default=80, help="content-creating requests a minute (both sides)"
    )
    ap.add_argument("--per-hour", type=int, default=0, help="... an hour (0: off; GitHub documents 500)")
    ap.add_argument("--concurrency", type=int, default=4, help="jobs at once per process (the bot's default)")
    ap.add_argument("--per-installation", type=int, default=2, help="jobs at once per installation (default)")
    ap.add_argument("--web", type=int, default=2, help="postgres mode: web processes")
    ap.add_argument("--workers", type=int, default=3, help="postgres mode: worker processes")
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    ap.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse(argv)
    modes = ["embedded", "postgres"] if args.mode == "both" else [args.mode]
    print(
        f"{args.repos} repositories × {args.pushes} pushes within {args.window:.0f} s, {args.latency * 1000:.0f} ms"
        f" per GitHub call, {args.per_minute:.0f} writes a minute per installation enforced",
        flush=True,
    )
    results = []
    for mode in modes:
        result = run_mode(mode, args)
        results.append(result)
        print(report_line(result), flush=True)
        if args.json:
            print(json.dumps(result), flush=True)
    return results


if __name__ == "__main__":
    main()
