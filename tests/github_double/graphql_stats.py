"""GraphQL resolvers for what `bot/github/stats.py` reads: `Commit.history`, `Commit.checkSuites` (the
commit's check runs grouped by suite, with their app) and `Repository.pullRequests` (only counted: their
nodes are not modelled here)."""

from __future__ import annotations

from .graphql_base import Connection, GNode, Json
from .model import CheckRun, Repo, make_node_id
from .state import ACTIONS_APP_ID, GitHubState

_ORDER = ("ACTION_REQUIRED", "TIMED_OUT", "CANCELLED", "FAILURE", "STARTUP_FAILURE", "NEUTRAL", "SKIPPED")


class AppNode(GNode):
    typename = "App"

    def __init__(self, slug: str, name: str, database_id: int) -> None:
        self.slug, self.name, self.database_id = slug, name, database_id

    def f_slug(self, args: Json) -> str:
        return self.slug

    def f_name(self, args: Json) -> str:
        return self.name

    def f_databaseId(self, args: Json) -> int:
        return self.database_id


class CheckSuiteNode(GNode):
    typename = "CheckSuite"

    def __init__(self, runs: list[CheckRun]) -> None:
        self.runs = runs

    def f_status(self, args: Json) -> str:
        if all(r.status == "completed" for r in self.runs):
            return "COMPLETED"
        return "IN_PROGRESS" if any(r.status == "in_progress" for r in self.runs) else "QUEUED"

    def f_conclusion(self, args: Json) -> str | None:
        if self.f_status(args) != "COMPLETED":
            return None
        found = {str(r.conclusion or "").upper() for r in self.runs}
        return next((c for c in _ORDER if c in found), "SUCCESS")

    def f_app(self, args: Json) -> AppNode:
        app_id = self.runs[0].app_id
        if app_id == ACTIONS_APP_ID:
            return AppNode("github-actions", "GitHub Actions", app_id)
        return AppNode(f"app-{app_id}", f"App {app_id}", app_id)


def history(repo: Repo, sha: str, args: Json) -> Connection:
    """Every commit reachable from `sha` (what `history.totalCount` counts)."""
    seen: set[str] = set()
    todo = [sha]
    while todo:
        at = todo.pop()
        if at in seen or at not in repo.objects.commits:
            continue
        seen.add(at)
        todo.extend(repo.objects.commits[at].parents)
    return Connection("CommitHistoryConnection", sorted(seen), args)


def check_suites(repo: Repo, sha: str, args: Json) -> Connection:
    suites: dict[int, list[CheckRun]] = {}
    for run in repo.check_runs.values():
        if run.head_sha == sha:
            suites.setdefault(run.check_suite_id, []).append(run)
    return Connection("CheckSuiteConnection", [CheckSuiteNode(r) for _, r in sorted(suites.items())], args)


def pull_requests(repo: Repo, args: Json) -> Connection:
    pulls = [i for i in repo.issues.values() if i.pull is not None and not i.deleted]
    return Connection("PullRequestConnection", pulls, args)


def add_workflow_run(
    state: GitHubState, owner: str, name: str, conclusion: str | None, *, status: str = "completed"
) -> CheckRun:
    """A GitHub Actions run on the head of the default branch (a check run of the Actions app)."""
    with state.lock:
        repo = state.repo(owner, name)
        run_id = state.next_id()
        run = CheckRun(
            run_id,
            make_node_id("CR", run_id),
            "build",
            repo.branches[repo.default_branch],
            ACTIONS_APP_ID,
            state.next_id(),
            status=status,
            conclusion=conclusion,
        )
        repo.check_runs[run_id] = run
        return run
