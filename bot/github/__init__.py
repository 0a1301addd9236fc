"""Everything that talks to GitHub, through githubkit: `client` (App auth, tokens, retries), `fetch`
(head, tree, blobs), `replies` (pinned issue, sticky comment, check run, reactions), `events` (event ->
job decision), `config` (.github/report-bot.yml, org fallback, `_extends`), `permissions`, `installations`.

May import: commands, queue, store, report, settings (never jobs, web or cli)."""
