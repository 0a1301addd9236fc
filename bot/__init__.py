"""report-bot: a GitHub App that checks course exam reports against their template.

Packages, top to bottom (a package imports only those below it): `cli` → `web` → `jobs` →
`github`, `commands`, `queue`, `store`, `artifacts` → `report`; `settings` and `errors` are leaves any may use.
`tests/test_layout.py` holds the tree to it."""
