"""A local GitHub for report-bot's end-to-end tests.

    from github_double import GitHubDouble

    with GitHubDouble(app_id=1, public_key=public_pem) as gh:      # uvicorn on 127.0.0.1:<free port>
        gh.add_installation(100, "course-org")
        gh.add_repo("course-org", "group-01", {"reports/README.md": "# Report"})
        before, after = gh.push("course-org", "group-01", "main", {"reports/README.md": "# v2"})
        ...  # run the bot with REPORT_BOT_GITHUB_API_URL=gh.url, send it a webhook
        assert gh.count("POST", "/repos/course-org/group-01/issues") == 1
        assert gh.pinned("course-org", "group-01") == [1]
        assert gh.unmodelled_fields() == []  # POST /graphql read nothing the double does not model

POST /graphql is validated and run by graphql-core against GitHub's published schema
(`../shared/github-graphql/schema.graphql`, see graphql_schema_load.py).

`github_double.fixtures` has the pytest fixtures (`app_key`, `github_double`).
"""

from .faults import Pattern
from .git import ZERO_SHA
from .model import Annotation, CheckRun, Comment, Installation, Issue, Reaction, Repo, User
from .requestlog import LoggedRequest
from .server import GitHubDouble

__all__ = [
    "ZERO_SHA",
    "Annotation",
    "CheckRun",
    "Comment",
    "GitHubDouble",
    "Installation",
    "Issue",
    "LoggedRequest",
    "Pattern",
    "Reaction",
    "Repo",
    "User",
]
