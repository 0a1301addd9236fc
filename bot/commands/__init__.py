"""The slash commands, pure: `grammar` (which comment asks for what), `scan` (which lines are command
lines), `permissions` (who may run them), `texts` (the answers' Markdown).

May import: report (feedback's escaping, the Verdict type) and the standard library; no I/O."""
