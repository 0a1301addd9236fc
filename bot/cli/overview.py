"""`report-bot overview`: the class overview, one row per group repository, from the bot's database
(REPORT_BOT_DATABASE_URL) — what the last check of each repository's default branch stored, the
repository's measures included (read by the check job, so this command needs no GitHub credentials and
spends nothing of the rate limit)."""

from __future__ import annotations

import argparse
import sys

from bot.errors import BadInput

FORMATS = ("md", "csv", "json", "html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--installation", type=int, metavar="ID", help="one installation of the App")
    which.add_argument("--org", metavar="NAME", help="the repositories of one organisation (or account)")
    parser.add_argument("--format", choices=FORMATS, default="md", help="md (default), csv, json or html")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")


def run_overview(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.cli.startup import open_database
    from bot.jobs.overview import rows
    from bot.report import overview_table
    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"REPORT_BOT_{str(first['loc'][0]).upper()}: {first['msg']}") from None
    engine = open_database(settings.database_url)
    try:
        table = rows(engine, installation_id=args.installation, owner=args.org)
    finally:
        engine.dispose()
    if args.installation is not None or args.org:
        scope = f"installation {args.installation}" if args.installation is not None else args.org
        if not table:
            print(f"report-bot overview: no repository of {scope} has been checked yet", file=sys.stderr)
    title = f"Class overview: {args.org}" if args.org else "Class overview"
    if args.format == "md":
        text = overview_table.markdown(table, limit=sys.maxsize, title=title)
    elif args.format == "html":
        text = overview_table.to_html(table, title=title)
    elif args.format == "csv":
        text = overview_table.to_csv(table)
    else:
        text = overview_table.to_json(table)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0
