"""`report-bot`: serve, check, render.

`check` must start fast: this module imports nothing of the web or GitHub stack at import time; each
subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.errors import BadInput


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="report-bot", description="Checks course exam reports; a GitHub App."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="check a report like the official report.py, and more")
    check.add_argument("path", help="the report, e.g. reports/README.md")
    check.add_argument(
        "--rules", default="auto", help="auto (default), a built-in rule set name, or a YAML file"
    )
    check.add_argument(
        "--repo-root", help="where image links are resolved (default: the git root above PATH)"
    )
    check.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    check.add_argument("--commit", help=argparse.SUPPRESS)

    render = sub.add_parser("render", help="render the report as one self-contained HTML page")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["render"]:  # the renderer's imports are heavy: only when it is the command
        from bot.cli.render import add_arguments

        add_arguments(render)

    serve = sub.add_parser("serve", help="run the GitHub App: webhook server and worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--insecure-no-secret", action="store_true", help="accept unsigned webhooks (local tests only)"
    )

    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            from bot.cli.check import run_check

            return run_check(args)
        if args.command == "render":
            from bot.cli.render import main as run_render

            return run_render(args)
        if args.command == "serve":
            from bot.cli.serve import run_serve

            return run_serve(args)
    except BadInput as exc:
        print(f"report-bot {args.command}: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2
