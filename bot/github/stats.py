"""The course staff's `repo_stats` measures of one repository, read cheaply through githubkit.

- From the file list the check has already read (no request): Dockerfiles, workflow files, a requirements
  file / `pyproject.toml`, Cloud Build (`cloudbuild.yaml`), DVC (`.dvc/` or `*.dvc`).
- One GraphQL request (`STATS_QUERY`): commits on the default branch (`history.totalCount`), pull requests
  (`pullRequests.totalCount`) and the conclusion of GitHub Actions' check suites on the default branch's
  head commit (its latest workflow runs).
- One REST request: contributors (`per_page=1`: the count is the `rel="last"` page of the `Link` header).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from githubkit import GitHub
from githubkit.exception import GraphQLFailed, RequestFailed

ACTIONS_SLUG = "github-actions"

STATS_QUERY = """
query RepoStats($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: 1) { totalCount }
    defaultBranchRef {
      target {
        ... on Commit {
          history(first: 1) { totalCount }
          checkSuites(first: 50) { nodes { status conclusion app { slug } } }
        }
      }
    }
  }
}
"""
_LAST_PAGE = re.compile(r'[?&]page=(\d+)[^>]*>;\s*rel="last"')
_DOCS = (".md", ".txt", ".rst", ".html")
_FAILING = ("FAILURE", "TIMED_OUT", "STARTUP_FAILURE", "ACTION_REQUIRED", "CANCELLED")


@dataclass(frozen=True)
class FileMeasures:
    dockerfiles: int
    workflows: int
    requirements: bool
    pyproject: bool
    cloudbuild: bool
    dvc: bool


@dataclass(frozen=True)
class RepoStats:
    contributors: int | None
    commits: int | None
    pull_requests: int | None
    ci: str | None
    """The default branch's latest workflow runs: success | failure | pending | none (no runs); None: unknown."""
    files: FileMeasures

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RepoStats:
        f = data.get("files") or {}
        files = FileMeasures(
            int(f.get("dockerfiles", 0)),
            int(f.get("workflows", 0)),
            bool(f.get("requirements")),
            bool(f.get("pyproject")),
            bool(f.get("cloudbuild")),
            bool(f.get("dvc")),
        )
        return cls(
            data.get("contributors"), data.get("commits"), data.get("pull_requests"), data.get("ci"), files
        )


def file_measures(paths: Iterable[str]) -> FileMeasures:
    """What the file list says (pure; linear in the number of paths)."""
    docker = workflows = 0
    requirements = pyproject = cloudbuild = dvc = False
    for path in paths:
        name = path.rpartition("/")[2].lower()
        variant = name.startswith("dockerfile.") and not name.endswith(_DOCS)  # Dockerfile.gpu, not .md
        if name == "dockerfile" or name.endswith(".dockerfile") or variant:
            docker += 1
        if (
            path.startswith(".github/workflows/")
            and "/" not in path[18:]
            and name.endswith((".yml", ".yaml"))
        ):
            workflows += 1
        if name.startswith("requirements") and name.endswith((".txt", ".in")):
            requirements = True
        pyproject = pyproject or name == "pyproject.toml"
        cloudbuild = cloudbuild or name in ("cloudbuild.yaml", "cloudbuild.yml")
        dvc = dvc or path.startswith(".dvc/") or name.endswith(".dvc")
    return FileMeasures(docker, workflows, requirements, pyproject, cloudbuild, dvc)


def ci_conclusion(suites: Iterable[dict[str, Any]]) -> str:
    """One word for GitHub Actions' check suites of a commit (other apps' suites, the bot's included, are
    left out)."""
    mine = [s for s in suites if isinstance(s, dict) and ((s.get("app") or {}).get("slug") == ACTIONS_SLUG)]
    if not mine:
        return "none"
    if any(s.get("conclusion") in _FAILING for s in mine):
        return "failure"
    if any(s.get("status") != "COMPLETED" for s in mine):
        return "pending"
    return "success"


async def _counts(gh: GitHub[Any], owner: str, repo: str) -> tuple[int | None, int | None, str | None]:
    try:
        data = await gh.async_graphql(STATS_QUERY, {"owner": owner, "name": repo})
    except GraphQLFailed as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
    r = data.get("repository") or {}
    prs = (r.get("pullRequests") or {}).get("totalCount")
    target = ((r.get("defaultBranchRef") or {}).get("target")) or {}
    commits = (target.get("history") or {}).get("totalCount")
    suites = (target.get("checkSuites") or {}).get("nodes")
    ci = ci_conclusion(suites) if isinstance(suites, list) else None
    return (
        prs if isinstance(prs, int) else None,
        commits if isinstance(commits, int) else None,
        ci,
    )


async def contributors(gh: GitHub[Any], owner: str, repo: str) -> int | None:
    """The number of contributors from one request of one entry (None when GitHub does not say)."""
    try:
        resp = await gh.rest.repos.async_list_contributors(owner, repo, per_page=1)
    except RequestFailed as exc:
        if exc.response.status_code in (403, 404, 409):
            return None
        raise
    if resp.status_code == 204:
        return 0  # an empty repository
    m = _LAST_PAGE.search(resp.headers.get("link", ""))
    return int(m.group(1)) if m else len(resp.parsed_data)


async def repo_stats(gh: GitHub[Any], owner: str, repo: str, paths: Iterable[str]) -> RepoStats:
    prs, commits, ci = await _counts(gh, owner, repo)
    people = await contributors(gh, owner, repo)
    return RepoStats(people, commits, prs, ci, file_measures(paths))
