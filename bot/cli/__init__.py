"""`report-bot`, the command line: `main` (argparse), `check`, `render`, `serve`, and `local_files` (reading
a checkout: the report, the repository root, its images).

May import everything below it (web, jobs, github, commands, queue, store, artifacts, report), but only
inside the subcommand that needs it: `report-bot check` must start fast, without the web or GitHub stack."""
