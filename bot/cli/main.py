"""`report-bot`: serve, worker, migrate, check, render, overview.

`check` must start fast: this module imports nothing of the web or GitHub stack at import time; each
subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from bot.errors import BadInput

EXIT_BAD_INPUT = 2
EXIT_CRASH = 3
"""Exit statuses: 0 all good, 1 the report has problems, 2 bad input, 3 a crash of report-bot itself."""

IMAGE_LINKS = (
    "Image links are looked up from --repo-root (default: the git root above PATH). Inside a git repository "
    "only files git knows count, as on GitHub: an image that is here but not committed is reported with "
    "`git add`. Outside one, every file under --repo-root counts (default: the folder above the report's)."
)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("report-bot")
    except PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="report-bot", description="Checks course exam reports; a GitHub App."
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    # importlib.metadata costs ~20 ms: read the version only when it is asked for
    shown = f"report-bot {version()}" if "--version" in argv else "report-bot"
    parser.add_argument("--version", action="version", version=shown)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="check a report like the official report.py, and more",
        description="Check a report like the official report.py, and more. Exit status: 0 all pass, "
        "1 the report has problems, 2 bad input, 3 report-bot itself failed.",
        epilog=IMAGE_LINKS,
    )
    check.add_argument("path", help="the report, e.g. reports/README.md")
    check.add_argument(
        "--rules", default="auto", help="auto (default), a built-in rule set name, or a YAML file"
    )
    check.add_argument(
        "--repo-root",
        help="where image links are resolved (default: the git root above PATH; see below)",
    )
    check.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    check.add_argument(
        "--no-handin",
        dest="handin",
        action="store_false",
        help="skip comparing each answer's hand-in rendering with GitHub's (the handin-* findings): faster",
    )
    check.add_argument("--commit", help=argparse.SUPPRESS)

    render = sub.add_parser("render", help="render the report as one self-contained HTML page")
    if argv[:1] == ["render"]:  # the renderer's imports are heavy: only when it is the command
        from bot.cli.render import add_arguments

        add_arguments(render)

    serve = sub.add_parser("serve", help="run the GitHub App: webhook server and worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--insecure-no-secret", action="store_true", help="accept unsigned webhooks (local tests only)"
    )
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="with PostgreSQL, also run the jobs in this process (SQLite always does)",
    )

    worker = sub.add_parser(
        "worker",
        help="run the jobs from PostgreSQL (procrastinate) until SIGTERM",
        description="Run procrastinate workers on REPORT_BOT_DATABASE_URL (PostgreSQL) with the same job "
        "bodies as serve, until SIGTERM or SIGINT (running jobs finish or are given back).",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="jobs at once (default: REPORT_BOT_WORKER_CONCURRENCY)",
    )
    worker.add_argument(
        "--port",
        type=int,
        default=None,
        help="answer GET /healthz on this port (Cloud Run's startup probe, an HTTP liveness probe); default: none",
    )
    worker.add_argument("--host", default="0.0.0.0", help="where --port listens (default: 0.0.0.0)")

    sub.add_parser(
        "migrate",
        help="create or upgrade the database's tables (REPORT_BOT_DATABASE_URL), then exit",
        description="Create or upgrade the tables of REPORT_BOT_DATABASE_URL and exit: run it once before "
        "the web replicas and workers start. Exit status: 0 done, 2 the database cannot be opened.",
    )
    overview = sub.add_parser(
        "overview", help="the class overview: one row per group repository, from the bot's database"
    )
    from bot.cli.overview import add_arguments as overview_arguments

    overview_arguments(overview)

    args = parser.parse_args(argv)
    try:
        return _run(args)
    except BadInput as exc:
        _error(args.command, str(exc))
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `report-bot check ... | head`: the reader is gone, nothing to say
        from bot.cli.output import silence_stdout

        silence_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("REPORT_BOT_LOG_LEVEL", "").upper() == "DEBUG":
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        _error(args.command, f"report-bot failed ({type(exc).__name__}: {first}); please report this")
        return EXIT_CRASH


def _run(args: argparse.Namespace) -> int:
    if args.command == "check":
        from bot.cli.check import run_check

        return run_check(args)
    if args.command == "render":
        from bot.cli.render import main as run_render

        return run_render(args)
    if args.command == "migrate":
        from bot.cli.migrate import run_migrate

        return run_migrate(args)
    if args.command == "overview":
        from bot.cli.overview import run_overview

        return run_overview(args)
    if args.command == "worker":
        from bot.cli.worker import run_worker

        return run_worker(args)
    from bot.cli.serve import run_serve

    return run_serve(args)


def _error(command: str, message: str) -> None:
    """One line on stderr, in argparse's style: `report-bot COMMAND: error: ...`."""
    from bot.cli.output import emit

    emit(f"report-bot {command}: error: {message}", sys.stderr)
