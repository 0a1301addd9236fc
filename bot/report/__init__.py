"""The domain, pure: no network, no database, no clock. `parse` (Markdown -> Report), `rules` (+
`report_py`: rule sets), `official` (what the course's script computes), `check` (-> Verdict), `diagnostics`,
`images`, `feedback` (Verdict -> Markdown), `render` (+ `sanitise`, `embed`, `page_limits`: the page),
`terminal`.

May import: the standard library and its parsers (markdown-it, mdit-py-plugins, nh3, yaml) only;
`tests/test_layout.py` asserts it."""
