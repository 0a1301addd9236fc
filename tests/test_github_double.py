"""The GitHub double, exercised through githubkit's typed API: every response must parse into githubkit's
models, and the double's state must show what the calls did."""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from github_double import ZERO_SHA, GitHubDouble
from github_double.fixtures import AppKey, make_app_key
from githubkit import AppAuthStrategy, AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import (
    GraphQLFailed,
    PrimaryRateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
    SecondaryRateLimitExceeded,
)
from githubkit_schemas.latest import models

APP_ID = 7
INST = 100
ORG = "course-org"
REPO = "group-01"
REPORT = "# Exam report\n\n## Question 1\n\nAnswer.\n"
# githubkit opens a new httpx client per call outside `with github:`; building its default SSL context
# costs ~0.1 s each time, so every client here shares one (the double speaks plain HTTP anyway)
TLS = ssl.create_default_context()


@pytest.fixture(scope="module")
def key() -> AppKey:
    return make_app_key()


@pytest.fixture
def double(key: AppKey) -> Iterator[GitHubDouble]:
    with GitHubDouble(app_id=APP_ID, public_key=key.public_pem) as d:
        d.add_installation(INST, ORG)
        d.add_repo(
            ORG,
            REPO,
            {
                "reports/README.md": REPORT,
                "reports/figures/loss.png": b"\x89PNG\r\n\x1a\n\x00binary",
                "src/train.py": "print('hi')\n",
            },
        )
        yield d


def client(double: GitHubDouble, key: AppKey, **options: Any) -> GitHub[AppInstallationAuthStrategy]:
    """The bot's kind of client: installation auth, no retries, a timeout (which githubkit's HTTP cache
    would ignore, see below) and its own token cache (githubkit's default one is process-wide)."""
    options = {
        "timeout": 5,
        "ssl_verify": TLS,
        "auto_retry": False,
        "http_cache": False,
        "cache_strategy": MemCacheStrategy(),
        **options,
    }
    return GitHub(AppInstallationAuthStrategy(APP_ID, key.private_pem, INST), base_url=double.url, **options)


def app_client(double: GitHubDouble, key: AppKey) -> GitHub[AppAuthStrategy]:
    return GitHub(
        AppAuthStrategy(APP_ID, key.private_pem),
        base_url=double.url,
        timeout=5,
        ssl_verify=TLS,
        auto_retry=False,
        cache_strategy=MemCacheStrategy(),
    )


def token_client(double: GitHubDouble, token: str) -> GitHub[TokenAuthStrategy]:
    return GitHub(TokenAuthStrategy(token), base_url=double.url, timeout=5, ssl_verify=TLS, auto_retry=False)


@pytest.fixture
def gh(double: GitHubDouble, key: AppKey) -> GitHub[AppInstallationAuthStrategy]:
    return client(double, key)


def rows(data: object) -> list[Any]:
    """A list response for mypy: githubkit 0.16 annotates them `list[X]` inside classes that also have a
    `list` method, which mypy then reads as that method ("list?[X] is not iterable")."""
    assert isinstance(data, list)
    return data


def failure(exc: pytest.ExceptionInfo[RequestFailed]) -> tuple[int, dict[str, Any]]:
    return exc.value.response.status_code, exc.value.response.json()


# -- lifecycle ---------------------------------------------------------------------------------------------


def test_starts_in_well_under_a_second_and_stop_closes_the_port() -> None:
    began = time.perf_counter()
    double = GitHubDouble().start()
    elapsed = time.perf_counter() - began
    port = int(double.url.rsplit(":", 1)[1])
    assert double.url.startswith("http://127.0.0.1:")
    assert elapsed < 1.0
    double.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        pass


# -- app, installations, tokens ----------------------------------------------------------------------------


def test_app_endpoints_with_a_jwt(double: GitHubDouble, key: AppKey) -> None:
    gh = app_client(double, key)
    app = gh.rest.apps.get_authenticated().parsed_data
    assert isinstance(app, models.Integration)
    assert (app.id, app.slug, app.name) == (APP_ID, "report-bot", "report-bot")
    assert app.permissions.issues == "write"

    inst = gh.rest.apps.get_repo_installation(ORG, REPO).parsed_data
    assert inst.id == INST and inst.app_id == APP_ID
    assert isinstance(inst.account, models.SimpleUser) and inst.account.login == ORG
    assert gh.rest.apps.get_org_installation(ORG).parsed_data.id == INST
    assert gh.rest.apps.get_installation(INST).parsed_data.target_type == "Organization"
    assert [i.id for i in gh.rest.apps.list_installations().parsed_data] == [INST]

    resp = gh.rest.apps.create_installation_access_token(INST)
    assert resp.status_code == 201
    token = resp.parsed_data
    expires = datetime.strptime(token.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(minutes=55) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert token.permissions and token.permissions.checks == "write"

    with pytest.raises(RequestFailed) as exc:
        gh.rest.apps.get_installation(999)
    assert failure(exc)[0] == 404
    with pytest.raises(RequestFailed) as exc:
        gh.rest.apps.get_org_installation("someone-else")
    assert failure(exc)[0] == 404


def test_installation_client_gets_one_token_and_uses_it(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    repo = gh.rest.repos.get(ORG, REPO).parsed_data
    gh.rest.repos.get(ORG, REPO)
    assert isinstance(repo, models.FullRepository)
    assert (repo.full_name, repo.default_branch, repo.private) == (f"{ORG}/{REPO}", "main", True)
    assert double.count("POST", "/app/installations/100/access_tokens") == 1
    assert [r.actor for r in double.requests("GET", f"/repos/{ORG}/{REPO}")] == ["installation:100"] * 2

    listed = gh.rest.apps.list_repos_accessible_to_installation().parsed_data
    assert (listed.total_count, [r.name for r in listed.repositories]) == (1, [REPO])


def test_credentials_are_checked(double: GitHubDouble, key: AppKey) -> None:
    anonymous = GitHub(base_url=double.url, timeout=5, ssl_verify=TLS, auto_retry=False)
    with pytest.raises(RequestFailed) as exc:
        anonymous.rest.repos.get(ORG, REPO)
    assert failure(exc) == (
        401,
        {
            "message": "Requires authentication",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        },
    )
    wrong = token_client(double, "ghs_not-a-token")  # keep a reference: githubkit namespaces hold weak ones
    with pytest.raises(RequestFailed) as exc:
        wrong.rest.repos.get(ORG, REPO)
    assert failure(exc)[1]["message"] == "Bad credentials"

    token = double.installation_token(INST)
    by_token = token_client(double, token)
    assert by_token.rest.repos.get(ORG, REPO).status_code == 200
    bearer = httpx.get(f"{double.url}/repos/{ORG}/{REPO}", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200
    double.expire_tokens()
    with pytest.raises(RequestFailed) as exc:
        by_token.rest.repos.get(ORG, REPO)
    assert failure(exc)[0] == 401

    # a JWT signed by another key, and an installation token where a JWT is needed
    stranger = GitHub(
        AppAuthStrategy(APP_ID, make_app_key().private_pem), base_url=double.url, timeout=5, ssl_verify=TLS
    )
    with pytest.raises(RequestFailed) as exc:
        stranger.rest.apps.get_authenticated()
    assert failure(exc)[0] == 401
    fresh = token_client(double, double.installation_token(INST))
    with pytest.raises(RequestFailed) as exc:
        fresh.rest.apps.get_authenticated()
    assert failure(exc)[1]["message"] == "A JSON web token could not be decoded"

    # another installation cannot see this repository
    double.add_installation(200, "other-org")
    other = token_client(double, double.installation_token(200))
    with pytest.raises(RequestFailed) as exc:
        other.rest.repos.get(ORG, REPO)
    assert failure(exc)[0] == 404


def test_a_client_refreshes_an_expired_installation_token(key: AppKey) -> None:
    with GitHubDouble(app_id=APP_ID, public_key=key.public_pem, token_ttl=timedelta(seconds=50)) as double:
        double.add_installation(INST, ORG)
        double.add_repo(ORG, REPO, {"a": "b"})
        gh = client(double, key)
        gh.rest.repos.get(ORG, REPO)
        gh.rest.repos.get(ORG, REPO)
        # githubkit keeps a token until one minute before it expires: a 50 s token is fetched every time
        assert double.count("POST", "/app/installations/") == 2


# -- repositories and git data -------------------------------------------------------------------------------


def test_branch_commit_and_ref(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    first = double.head(ORG, REPO)
    before, after = double.push(ORG, REPO, "main", {"reports/README.md": REPORT + "More.\n"}, "Edit report")
    assert before == first and after != first
    double.add_tag(ORG, REPO, "v1", first)

    branch = gh.rest.repos.get_branch(ORG, REPO, "main").parsed_data
    assert isinstance(branch, models.BranchWithProtection)
    assert branch.commit.sha == after and branch.commit.parents[0].sha == first

    commit = gh.rest.repos.get_commit(ORG, REPO, "main").parsed_data
    assert isinstance(commit, models.Commit)
    assert commit.sha == after and commit.commit.message == "Edit report"
    assert commit.files and [(f.filename, f.status, f.additions) for f in commit.files] == [
        ("reports/README.md", "modified", 1)
    ]
    assert gh.rest.repos.get_commit(ORG, REPO, after[:7]).parsed_data.sha == after
    assert gh.rest.repos.get_commit(ORG, REPO, "v1").parsed_data.sha == first

    with pytest.raises(RequestFailed) as exc:
        gh.rest.repos.get_commit(ORG, REPO, "no-such-branch")
    assert failure(exc) == (
        422,
        {
            "message": "No commit found for SHA: no-such-branch",
            "documentation_url": "https://docs.github.com/rest",
            "status": "422",
        },
    )
    with pytest.raises(RequestFailed) as exc:
        gh.rest.repos.get_branch(ORG, REPO, "nope")
    assert failure(exc)[0] == 404

    ref = gh.rest.git.get_ref(ORG, REPO, "heads/main").parsed_data
    assert (ref.ref, ref.object_.sha) == ("refs/heads/main", after)

    double.push(ORG, REPO, "feature/slash", {"x.txt": "x"})
    assert gh.rest.repos.get_branch(ORG, REPO, "feature/slash").parsed_data.name == "feature/slash"


def test_contents_file_directory_missing_and_raw(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    first = double.head(ORG, REPO)
    double.push(ORG, REPO, "main", {"reports/README.md": "# New\n", "big.bin": b"\x00" * (1024 * 1024 + 1)})

    file = gh.rest.repos.get_content(ORG, REPO, "reports/README.md").parsed_data
    assert isinstance(file, models.ContentFile)
    assert (file.type, file.encoding, file.path, file.name) == (
        "file",
        "base64",
        "reports/README.md",
        "README.md",
    )
    assert base64.b64decode(file.content) == b"# New\n"
    assert file.sha == hashlib.sha1(b"blob 6\0# New\n").hexdigest()

    old = gh.rest.repos.get_content(ORG, REPO, "reports/README.md", ref=first).parsed_data
    assert isinstance(old, models.ContentFile) and base64.b64decode(old.content) == REPORT.encode()

    listing = gh.rest.repos.get_content(ORG, REPO, "reports").parsed_data
    assert isinstance(listing, list)
    assert sorted((i.name, i.type) for i in listing) == [("README.md", "file"), ("figures", "dir")]
    root = gh.rest.repos.get_content(ORG, REPO, "").parsed_data
    assert isinstance(root, list) and {i.path for i in root} == {"big.bin", "reports", "src"}

    big = gh.rest.repos.get_content(ORG, REPO, "big.bin").parsed_data
    assert isinstance(big, models.ContentFile) and (big.encoding, big.content) == ("none", "")

    with pytest.raises(RequestFailed) as exc:
        gh.rest.repos.get_content(ORG, REPO, ".github/report-bot.yml")
    assert failure(exc) == (
        404,
        {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"},
    )
    assert isinstance(exc.value.response.parsed_data, models.BasicError)

    raw = gh.rest.repos.get_content(
        ORG, REPO, "reports/figures/loss.png", headers={"Accept": "application/vnd.github.raw+json"}
    )
    assert raw.content == b"\x89PNG\r\n\x1a\n\x00binary"


def test_tree_and_blob(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    tree = gh.rest.git.get_tree(ORG, REPO, "main", recursive="1").parsed_data
    assert isinstance(tree, models.GitTree) and tree.truncated is False
    blobs = {t.path: t for t in tree.tree if t.type == "blob"}
    assert set(blobs) == {"reports/README.md", "reports/figures/loss.png", "src/train.py"}
    assert {t.path for t in tree.tree if t.type == "tree"} == {"reports", "reports/figures", "src"}
    assert blobs["src/train.py"].size == len("print('hi')\n") and blobs["src/train.py"].mode == "100644"

    top = gh.rest.git.get_tree(ORG, REPO, tree.sha).parsed_data
    assert [t.path for t in top.tree] == ["reports", "src"]

    blob = gh.rest.git.get_blob(ORG, REPO, blobs["reports/figures/loss.png"].sha).parsed_data
    assert isinstance(blob, models.Blob) and blob.encoding == "base64"
    assert base64.b64decode(blob.content) == b"\x89PNG\r\n\x1a\n\x00binary"

    with pytest.raises(RequestFailed) as exc:
        gh.rest.git.get_blob(ORG, REPO, "0" * 40)
    assert failure(exc)[0] == 404


def test_compare_and_pull_request(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    base = double.head(ORG, REPO)
    before, first = double.push(
        ORG, REPO, "draft", {"reports/README.md": REPORT + "Draft.\n", "reports/figures/new.png": b"\x00"}
    )
    assert before == ZERO_SHA
    double.push(ORG, REPO, "main", {"src/train.py": "print('main moved')\n"})  # main diverges

    cmp = gh.rest.repos.compare_commits(ORG, REPO, "main...draft").parsed_data
    assert isinstance(cmp, models.CommitComparison)
    assert (cmp.status, cmp.ahead_by, cmp.behind_by, cmp.merge_base_commit.sha) == ("diverged", 1, 1, base)
    assert cmp.files and {(f.filename, f.status) for f in cmp.files} == {
        ("reports/README.md", "modified"),
        ("reports/figures/new.png", "added"),
    }

    number = double.open_pr(ORG, REPO, "draft", title="My draft")
    pr = gh.rest.pulls.get(ORG, REPO, number).parsed_data
    assert isinstance(pr, models.PullRequest)
    assert (pr.number, pr.head.ref, pr.head.sha, pr.base.ref, pr.state, pr.changed_files) == (
        number,
        "draft",
        first,
        "main",
        "open",
        2,
    )

    _, second = double.push(ORG, REPO, "draft", {"reports/figures/new.png": None, "notes.md": "n"})
    assert gh.rest.pulls.get(ORG, REPO, number).parsed_data.head.sha == second
    files = rows(gh.rest.pulls.list_files(ORG, REPO, number).parsed_data)
    assert all(isinstance(f, models.DiffEntry) for f in files)
    assert sorted(f.filename for f in files) == ["notes.md", "reports/README.md"]
    assert [p.number for p in rows(gh.rest.pulls.list(ORG, REPO, head=f"{ORG}:draft").parsed_data)] == [
        number
    ]
    by_commit = gh.rest.repos.list_pull_requests_associated_with_commit(ORG, REPO, second).parsed_data
    assert [p.number for p in rows(by_commit)] == [number]

    # a pull request is also an issue: it is listed, and takes comments
    issue = gh.rest.issues.get(ORG, REPO, number).parsed_data
    assert issue.pull_request is not None and issue.title == "My draft"
    gh.rest.issues.create_comment(ORG, REPO, number, data={"body": "sticky"})
    assert [c.body for c in double.comments(ORG, REPO, number)] == ["sticky"]


def test_collaborator_permission(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    levels = {"ada": "admin", "max": "maintain", "wes": "write", "tri": "triage", "rea": "read"}
    for user, level in levels.items():
        double.set_permission(ORG, REPO, user, level)
    double.add_comment(ORG, REPO, double.add_issue(ORG, REPO, "q", user="nobody").number, "hi", user="nobody")
    seen = {}
    for user in [*levels, "nobody"]:
        perm = gh.rest.repos.get_collaborator_permission_level(ORG, REPO, user).parsed_data
        assert isinstance(perm, models.RepositoryCollaboratorPermission) and perm.user is not None
        assert perm.user.login == user
        seen[user] = (perm.permission, perm.role_name)
    assert seen == {
        "ada": ("admin", "admin"),
        "max": ("write", "maintain"),
        "wes": ("write", "write"),
        "tri": ("read", "triage"),
        "rea": ("read", "read"),
        "nobody": ("none", "none"),
    }
    with pytest.raises(RequestFailed) as exc:
        gh.rest.repos.get_collaborator_permission_level(ORG, REPO, "ghost-user")
    assert failure(exc)[0] == 404


# -- issues, comments, reactions -----------------------------------------------------------------------------


def test_issue_create_get_update_and_validation(
    double: GitHubDouble, key: AppKey, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    created = gh.rest.issues.create(
        ORG, REPO, data={"title": "Report feedback", "body": "All good", "labels": ["bot"]}
    )
    assert created.status_code == 201
    issue = created.parsed_data
    assert isinstance(issue, models.Issue)
    assert issue.user and (issue.user.login, issue.user.type) == ("report-bot[bot]", "Bot")
    assert issue.html_url == f"https://github.com/{ORG}/{REPO}/issues/{issue.number}"
    assert issue.node_id and issue.state == "open" and not issue.locked

    got = gh.rest.issues.get(ORG, REPO, issue.number).parsed_data
    assert (got.title, got.body, [getattr(x, "name", x) for x in got.labels]) == (
        "Report feedback",
        "All good",
        ["bot"],
    )

    closed = gh.rest.issues.update(
        ORG, REPO, issue.number, data={"state": "closed", "state_reason": "not_planned", "body": "Edited"}
    ).parsed_data
    assert (closed.state, closed.state_reason, closed.body) == ("closed", "not_planned", "Edited")
    assert closed.closed_at is not None
    reopened = gh.rest.issues.update(ORG, REPO, issue.number, data={"state": "open"}).parsed_data
    assert (reopened.state, reopened.state_reason, reopened.closed_at) == ("open", "reopened", None)
    assert double.issue(ORG, REPO, issue.number).body == "Edited"

    bad = client(double, key, rest_api_validate_body=False)
    with pytest.raises(RequestFailed) as exc:
        bad.rest.issues.create(ORG, REPO, data={"body": "no title"})  # type: ignore[call-overload]
    status, body = failure(exc)
    assert (status, body["message"], body["errors"][0]["code"]) == (422, "Validation Failed", "missing_field")
    assert isinstance(exc.value.response.parsed_data, models.ValidationError)
    with pytest.raises(RequestFailed) as exc:
        gh.rest.issues.create(ORG, REPO, data={"title": "t", "body": "x" * 65537})
    assert failure(exc)[1]["errors"][0]["message"] == "body is too long (maximum is 65536 characters)"
    with pytest.raises(RequestFailed) as exc:
        bad.rest.issues.update(ORG, REPO, issue.number, data={"state": "done"})  # type: ignore[call-overload]
    assert failure(exc)[0] == 422
    with pytest.raises(RequestFailed) as exc:
        gh.rest.issues.get(ORG, REPO, 999)
    assert failure(exc)[0] == 404


def test_deleted_issue_is_gone(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    number = gh.rest.issues.create(ORG, REPO, data={"title": "Feedback"}).parsed_data.number
    double.delete_issue(ORG, REPO, number)
    with pytest.raises(RequestFailed) as exc:
        gh.rest.issues.get(ORG, REPO, number)
    status, body = failure(exc)
    assert (status, body["message"]) == (410, "This issue was deleted")
    with pytest.raises(RequestFailed) as exc:
        gh.rest.issues.create_comment(ORG, REPO, number, data={"body": "hello?"})
    assert failure(exc)[0] == 410
    assert gh.rest.issues.list_for_repo(ORG, REPO, state="all").parsed_data == []


def test_issue_list_filters_order_and_pagination(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    mine = [gh.rest.issues.create(ORG, REPO, data={"title": f"bot {i}"}).parsed_data.number for i in range(3)]
    theirs = double.add_issue(ORG, REPO, "question", user="alice", labels=["help"]).number
    closed = double.add_issue(ORG, REPO, "old", user="alice", state="closed").number

    def numbers(**query: Any) -> list[int]:
        return [i.number for i in rows(gh.rest.issues.list_for_repo(ORG, REPO, **query).parsed_data)]

    assert numbers() == [theirs, *reversed(mine)]  # open by default, newest first
    assert numbers(creator="report-bot[bot]") == list(reversed(mine))
    assert numbers(labels="help") == [theirs]
    assert numbers(state="closed") == [closed]
    assert numbers(state="all", creator="alice") == [closed, theirs]
    assert numbers(per_page=2, page=2) == [mine[1], mine[0]]

    paged: list[models.Issue] = list(
        gh.rest.paginate(gh.rest.issues.list_for_repo, owner=ORG, repo=REPO, state="all", per_page=2)
    )
    assert [i.number for i in paged] == [closed, theirs, *reversed(mine)]
    assert double.count("GET", f"/repos/{ORG}/{REPO}/issues", path=f"/repos/{ORG}/{REPO}/issues") >= 3


def test_comments_crud_and_pagination(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    number = double.add_issue(ORG, REPO, "help", user="alice").number
    human = double.add_comment(ORG, REPO, number, "/report check", user="alice")
    made = gh.rest.issues.create_comment(ORG, REPO, number, data={"body": "<!-- report-bot -->\nfirst"})
    assert made.status_code == 201
    comment = made.parsed_data
    assert isinstance(comment, models.IssueComment)
    assert comment.user and comment.user.login == "report-bot[bot]"
    assert comment.html_url == f"https://github.com/{ORG}/{REPO}/issues/{number}#issuecomment-{comment.id}"
    assert comment.performed_via_github_app and comment.performed_via_github_app.id == APP_ID

    for i in range(3):
        gh.rest.issues.create_comment(ORG, REPO, number, data={"body": f"more {i}"})
    page = rows(gh.rest.issues.list_comments(ORG, REPO, number, per_page=2, page=1).parsed_data)
    assert [c.id for c in page] == [human.id, comment.id]
    every: list[models.IssueComment] = list(
        gh.rest.paginate(gh.rest.issues.list_comments, owner=ORG, repo=REPO, issue_number=number, per_page=2)
    )
    assert [c.body for c in every] == [
        "/report check",
        "<!-- report-bot -->\nfirst",
        "more 0",
        "more 1",
        "more 2",
    ]

    edited = gh.rest.issues.update_comment(ORG, REPO, comment.id, data={"body": "second"}).parsed_data
    assert (
        edited.body == "second"
        and gh.rest.issues.get_comment(ORG, REPO, comment.id).parsed_data.body == "second"
    )
    assert double.comment(ORG, REPO, comment.id).body == "second"
    assert gh.rest.issues.get(ORG, REPO, number).parsed_data.comments == 5

    assert gh.rest.issues.delete_comment(ORG, REPO, comment.id).status_code == 204
    with pytest.raises(RequestFailed) as exc:
        gh.rest.issues.get_comment(ORG, REPO, comment.id)
    assert failure(exc)[0] == 404
    assert len(double.comments(ORG, REPO, number)) == 4


def test_reactions_on_comments_and_issues(
    double: GitHubDouble, key: AppKey, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    number = double.add_issue(ORG, REPO, "help", user="alice").number
    comment = double.add_comment(ORG, REPO, number, "/report html", user="alice")

    first = gh.rest.reactions.create_for_issue_comment(ORG, REPO, comment.id, data={"content": "eyes"})
    again = gh.rest.reactions.create_for_issue_comment(ORG, REPO, comment.id, data={"content": "eyes"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert isinstance(first.parsed_data, models.Reaction) and first.parsed_data.id == again.parsed_data.id
    gh.rest.reactions.create_for_issue_comment(ORG, REPO, comment.id, data={"content": "rocket"})
    listed = gh.rest.reactions.list_for_issue_comment(ORG, REPO, comment.id).parsed_data
    assert [r.content for r in listed] == ["eyes", "rocket"]
    assert [r.content for r in double.reactions(ORG, REPO, comment_id=comment.id)] == ["eyes", "rocket"]
    got = gh.rest.issues.get_comment(ORG, REPO, comment.id).parsed_data
    assert got.reactions and got.reactions.total_count == 2 and got.reactions.eyes == 1

    gh.rest.reactions.delete_for_issue_comment(ORG, REPO, comment.id, first.parsed_data.id)
    assert [r.content for r in double.reactions(ORG, REPO, comment_id=comment.id)] == ["rocket"]

    assert gh.rest.reactions.create_for_issue(ORG, REPO, number, data={"content": "+1"}).status_code == 201
    assert [r.content for r in gh.rest.reactions.list_for_issue(ORG, REPO, number).parsed_data] == ["+1"]
    bad = client(double, key, rest_api_validate_body=False)
    with pytest.raises(RequestFailed) as exc:
        bad.rest.reactions.create_for_issue(ORG, REPO, number, data={"content": "tada"})  # type: ignore[call-overload]
    assert failure(exc)[0] == 422


def test_people_act_with_user_tokens(double: GitHubDouble) -> None:
    alice = token_client(double, double.user_token("alice"))
    number = double.add_issue(ORG, REPO, "locked one", user="bob", locked=True).number
    # private repository, no role: invisible
    with pytest.raises(RequestFailed) as exc:
        alice.rest.issues.get(ORG, REPO, number)
    assert failure(exc)[0] == 404
    double.set_permission(ORG, REPO, "alice", "read")
    with pytest.raises(RequestFailed) as exc:
        alice.rest.issues.create_comment(ORG, REPO, number, data={"body": "let me in"})
    assert failure(exc) == (
        403,
        {
            "message": "Unable to create comment because issue is locked.",
            "documentation_url": "https://docs.github.com/rest",
            "status": "403",
        },
    )
    comment = alice.rest.issues.create_comment(
        ORG, REPO, double.add_issue(ORG, REPO, "open").number, data={"body": "/report help"}
    ).parsed_data
    assert comment.user and comment.user.login == "alice" and comment.author_association == "CONTRIBUTOR"
    with pytest.raises(RequestFailed) as exc:
        alice.rest.checks.create(ORG, REPO, data={"name": "x", "head_sha": double.head(ORG, REPO)})
    assert failure(exc)[0] == 403


# -- check runs ----------------------------------------------------------------------------------------------


def make_annotations(n: int, start: int = 1) -> Any:  # a list of annotation objects
    return [
        {
            "path": "reports/README.md",
            "start_line": i,
            "end_line": i,
            "annotation_level": "warning",
            "message": f"issue {i}",
            "title": "R001",
        }
        for i in range(start, start + n)
    ]


def test_check_runs_create_update_annotations_and_list(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    sha = double.head(ORG, REPO)
    created = gh.rest.checks.create(
        ORG,
        REPO,
        data={
            "name": "report-bot",
            "head_sha": sha,
            "status": "in_progress",
            "external_id": "job-1",
            "details_url": "https://bot.example/r/1",
            "output": {"title": "Checking", "summary": "…", "annotations": make_annotations(50)},
        },
    )
    assert created.status_code == 201
    run = created.parsed_data
    assert isinstance(run, models.CheckRun)
    assert (run.name, run.head_sha, run.status, run.conclusion, run.external_id) == (
        "report-bot",
        sha,
        "in_progress",
        None,
        "job-1",
    )
    assert run.app and run.app.id == APP_ID and run.output.annotations_count == 50

    done = gh.rest.checks.update(
        ORG,
        REPO,
        run.id,
        data={
            "conclusion": "failure",
            "output": {
                "title": "2 problems",
                "summary": "Fix them",
                "text": "details",
                "annotations": make_annotations(3, 51),
            },
        },
    ).parsed_data
    assert (done.status, done.conclusion, done.output.title, done.output.annotations_count) == (
        "completed",
        "failure",
        "2 problems",
        53,
    )
    assert done.completed_at is not None
    fetched = gh.rest.checks.get(ORG, REPO, run.id).parsed_data
    assert (fetched.output.summary, fetched.output.text) == ("Fix them", "details")

    listed = gh.rest.checks.list_annotations(ORG, REPO, run.id, per_page=100).parsed_data
    assert all(isinstance(a, models.CheckAnnotation) for a in listed)
    assert [a.start_line for a in listed] == list(range(1, 54))
    assert listed[0].blob_href == f"https://github.com/{ORG}/{REPO}/blob/{sha}/reports/README.md"
    stored = double.check_runs(ORG, REPO, sha)
    assert len(stored) == 1 and len(stored[0].annotations) == 53 and stored[0].conclusion == "failure"

    # list for a ref, with filters; "latest" keeps the newest run per name
    second = gh.rest.checks.create(ORG, REPO, data={"name": "report-bot", "head_sha": sha}).parsed_data
    gh.rest.checks.create(ORG, REPO, data={"name": "other", "head_sha": sha, "conclusion": "success"})
    by_ref = gh.rest.checks.list_for_ref(
        ORG, REPO, "main", check_name="report-bot", app_id=APP_ID
    ).parsed_data
    assert isinstance(by_ref, models.ReposOwnerRepoCommitsRefCheckRunsGetResponse200)
    assert (by_ref.total_count, [r.id for r in by_ref.check_runs]) == (1, [second.id])
    every = gh.rest.checks.list_for_ref(ORG, REPO, sha, filter_="all").parsed_data
    assert every.total_count == 3
    assert gh.rest.checks.list_for_ref(ORG, REPO, sha, app_id=APP_ID + 1).parsed_data.total_count == 0


def test_check_run_validation(
    double: GitHubDouble, key: AppKey, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    sha = double.head(ORG, REPO)
    raw = client(double, key, rest_api_validate_body=False)
    run = gh.rest.checks.create(ORG, REPO, data={"name": "report-bot", "head_sha": sha}).parsed_data

    with pytest.raises(RequestFailed) as exc:
        raw.rest.checks.update(
            ORG,
            REPO,
            run.id,
            data={"output": {"title": "t", "summary": "s", "annotations": make_annotations(51)}},
        )
    status, body = failure(exc)
    assert status == 422 and "50 annotations" in body["message"]
    assert double.check_runs(ORG, REPO)[0].annotations == []  # nothing applied

    with pytest.raises(RequestFailed) as exc:
        raw.rest.checks.update(ORG, REPO, run.id, data={"status": "completed"})  # type: ignore[call-overload]
    assert failure(exc)[0] == 422
    with pytest.raises(RequestFailed) as exc:
        raw.rest.checks.create(ORG, REPO, data={"name": "report-bot", "head_sha": "f" * 40})
    assert failure(exc)[1]["message"] == f"No commit found for SHA: {'f' * 40}"
    with pytest.raises(RequestFailed) as exc:
        raw.rest.checks.update(ORG, REPO, run.id, data={"output": {"title": "t", "summary": "x" * 65536}})
    assert failure(exc)[0] == 422
    with pytest.raises(RequestFailed) as exc:
        raw.rest.checks.create(
            ORG,
            REPO,
            data={"name": "n", "head_sha": sha, "output": {"title": "only title"}},  # type: ignore[call-overload]
        )
    assert failure(exc)[0] == 422
    with pytest.raises(RequestFailed) as exc:
        gh.rest.checks.get(ORG, REPO, 424242)
    assert failure(exc)[0] == 404


# -- GraphQL pins --------------------------------------------------------------------------------------------

PIN = "mutation($id: ID!) { pinIssue(input: {issueId: $id}) { issue { id isPinned } } }"
UNPIN = "mutation($input: UnpinIssueInput!) { unpinIssue(input: $input) { issue { id isPinned } } }"
PINNED = """query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { pinnedIssues(first: 3) { totalCount nodes { issue { number } } } }
}"""


@pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it
def test_pin_at_most_three_issues(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    issues = [gh.rest.issues.create(ORG, REPO, data={"title": f"t{i}"}).parsed_data for i in range(4)]
    for issue in issues[:3]:
        data = gh.graphql(PIN, {"id": issue.node_id})
        assert data["pinIssue"]["issue"] == {
            "id": issue.node_id,
            "isPinned": True,
            **data["pinIssue"]["issue"],
        }
    assert gh.graphql(PIN, {"id": issues[0].node_id})["pinIssue"]["issue"][
        "isPinned"
    ]  # pinning twice is fine

    with pytest.raises(GraphQLFailed) as exc:
        gh.graphql(PIN, {"id": issues[3].node_id})
    errors = exc.value.response.errors or []
    assert errors and errors[0].type == "UNPROCESSABLE" and errors[0].path == ["pinIssue"]
    assert double.pinned(ORG, REPO) == [i.number for i in issues[:3]]

    listed = gh.graphql(PINNED, {"owner": ORG, "name": REPO})["repository"]["pinnedIssues"]
    assert listed["totalCount"] == 3 and [n["issue"]["number"] for n in listed["nodes"]] == [1, 2, 3]

    gh.graphql(UNPIN, {"input": {"issueId": issues[1].node_id}})
    gh.graphql(PIN, {"id": issues[3].node_id})
    assert double.pinned(ORG, REPO) == [1, 3, 4]
    assert [i.pinned for i in double.issues(ORG, REPO)] == [True, False, True, True]

    with pytest.raises(GraphQLFailed) as exc:
        gh.graphql(PIN, {"id": "I_kwDOnope"})
    assert (exc.value.response.errors or [])[0].type == "NOT_FOUND"


HEAD = """
query Head($owner: String!, $name: String!, $expr: String!, $report: String!, $pr: Int!) {
  repository(owner: $owner, name: $name) {
    defaultBranchRef { name target { ... on Commit { oid } } }
    pullRequest(number: $pr) { state headRefOid files(first: 100) { totalCount nodes { path changeType } } }
    head: object(expression: $expr) {
      __typename
      ... on Commit {
        oid
        report: file(path: $report) { path object { ... on Blob { oid text byteSize } } }
        figure: file(path: "reports/figures/loss.png") { object { ... on Blob { isBinary text } } }
        missing: file(path: "nope.md") { oid }
      }
    }
    config: object(expression: "HEAD:.github/report-bot.yml") { ... on Blob { text } }
    figures: object(expression: "draft:reports/figures") { ... on Tree { entries { name type } } }
  }
}
"""


@pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it
def test_graphql_reads_heads_files_and_pull_requests(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    double.push(ORG, REPO, "main", {".github/report-bot.yml": "rules: dtu-mlops-2026\n"})
    _, head = double.push(
        ORG, REPO, "draft", {"reports/README.md": "# Draft\n", "reports/figures/b.png": b"\0"}
    )
    number = double.open_pr(ORG, REPO, "draft")
    variables = {"owner": ORG, "name": REPO, "expr": "draft", "report": "reports/README.md", "pr": number}
    repo = gh.graphql(HEAD, variables)["repository"]
    assert repo["defaultBranchRef"] == {"name": "main", "target": {"oid": double.head(ORG, REPO)}}
    assert repo["pullRequest"]["state"] == "OPEN" and repo["pullRequest"]["headRefOid"] == head
    assert repo["pullRequest"]["files"]["totalCount"] == 2
    assert {n["path"]: n["changeType"] for n in repo["pullRequest"]["files"]["nodes"]} == {
        "reports/README.md": "MODIFIED",
        "reports/figures/b.png": "ADDED",
    }
    assert repo["head"]["__typename"] == "Commit" and repo["head"]["oid"] == head
    report = repo["head"]["report"]
    assert report["path"] == "reports/README.md"
    assert report["object"] == {
        "oid": hashlib.sha1(b"blob 8\0# Draft\n").hexdigest(),
        "text": "# Draft\n",
        "byteSize": 8,
    }
    assert repo["head"]["figure"]["object"] == {"isBinary": True, "text": None}
    assert repo["head"]["missing"] is None
    assert repo["config"] == {"text": "rules: dtu-mlops-2026\n"}
    assert sorted(e["name"] for e in repo["figures"]["entries"]) == ["b.png", "loss.png"]

    gone = gh.graphql(HEAD, {**variables, "expr": "no-such-branch"})["repository"]
    assert gone["head"] is None

    # a missing pull request or repository is a NOT_FOUND error next to the data, as on GitHub
    with pytest.raises(GraphQLFailed) as exc:
        gh.graphql(HEAD, {**variables, "pr": 999})
    errors = exc.value.response.errors or []
    assert [(e.type, e.path) for e in errors] == [("NOT_FOUND", ["repository", "pullRequest"])]
    assert exc.value.response.data and exc.value.response.data["repository"]["head"]["oid"] == head
    with pytest.raises(GraphQLFailed) as exc:
        gh.graphql(HEAD, {**variables, "name": "other"})
    assert [e.type for e in exc.value.response.errors or []] == ["NOT_FOUND"]

    # unknown fields and bad syntax fail the whole query
    with pytest.raises(GraphQLFailed) as exc:
        gh.graphql(f'query {{ repository(owner: "{ORG}", name: "{REPO}") {{ stargazerCountz }} }}')
    assert "stargazerCountz" in (exc.value.response.errors or [])[0].message
    with pytest.raises(GraphQLFailed):
        gh.graphql("query { repository(owner: ")


@pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it
def test_graphql_pages_through_pull_request_files(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    double.push(ORG, REPO, "many", {f"f{i:02}.txt": str(i) for i in range(5)})
    number = double.open_pr(ORG, REPO, "many")
    query = """query($n: Int!, $after: String) { repository(owner: "course-org", name: "group-01") {
      pullRequest(number: $n) { files(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { path } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = gh.graphql(query, {"n": number, "after": after})["repository"]["pullRequest"]["files"]
        seen += [n["path"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"f{i:02}.txt" for i in range(5)] and page["totalCount"] == 5


@pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it
async def test_async_client_pins_and_comments(double: GitHubDouble, key: AppKey) -> None:
    gh = client(double, key)
    issue = (await gh.rest.issues.async_create(ORG, REPO, data={"title": "Feedback"})).parsed_data
    await gh.async_graphql(PIN, {"id": issue.node_id})
    comment = (
        await gh.rest.issues.async_create_comment(ORG, REPO, issue.number, data={"body": "hi"})
    ).parsed_data
    assert double.issue(ORG, REPO, issue.number).pinned and comment.body == "hi"


# -- request log, rate-limit headers, latency and faults -----------------------------------------------------


def test_request_log_and_rate_limit_headers(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    first = gh.rest.repos.get(ORG, REPO)
    mark = double.mark()
    second = gh.rest.repos.get(ORG, REPO)
    gh.rest.issues.create(ORG, REPO, data={"title": "t", "body": "b"})
    remaining = [int(r.headers["x-ratelimit-remaining"]) for r in (first, second)]
    assert remaining[1] == remaining[0] - 1 and second.headers["x-ratelimit-limit"] == "5000"
    assert int(second.headers["x-ratelimit-reset"]) > time.time()

    assert double.count(since=mark) == 2
    assert double.count("POST", f"/repos/{ORG}/{REPO}/issues") == 1
    assert double.count("GET", "/repos/") == 2
    post = double.requests("POST", "/repos/")[0]
    assert (post.body, post.status, post.actor) == ({"title": "t", "body": "b"}, 201, "installation:100")
    unknown = httpx.get(f"{double.url}/repos/{ORG}/{REPO}/no-such-endpoint", headers={"Authorization": "x"})
    assert (unknown.status_code, unknown.json()["message"]) == (401, "Bad credentials")
    assert "x-ratelimit-remaining" in unknown.headers
    double.clear_log()
    assert double.count() == 0


def test_rate_limit_budget_is_enforced(key: AppKey) -> None:
    with GitHubDouble(app_id=APP_ID, public_key=key.public_pem, rate_limit=2) as double:
        double.add_installation(INST, ORG)
        double.add_repo(ORG, REPO, {"a": "b"})
        gh = client(double, key)
        gh.rest.repos.get(ORG, REPO)
        gh.rest.repos.get(ORG, REPO)
        with pytest.raises(PrimaryRateLimitExceeded):
            gh.rest.repos.get(ORG, REPO)


def test_latency_per_route(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    gh.rest.repos.get(ORG, REPO)  # token fetched outside the measurement
    double.set_latency(0.3, "GET", f"/repos/{ORG}/{REPO}/issues")
    began = time.perf_counter()
    gh.rest.issues.list_for_repo(ORG, REPO)
    slow = time.perf_counter() - began
    began = time.perf_counter()
    gh.rest.repos.get(ORG, REPO)
    fast = time.perf_counter() - began
    assert slow >= 0.3 and fast < 0.3


def test_injected_server_error_then_recovery(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    double.fail_next("POST", "/repos/*/issues", status=503)
    with pytest.raises(RequestFailed) as exc:
        gh.rest.issues.create(ORG, REPO, data={"title": "t"})
    assert exc.value.response.status_code == 503
    assert double.issues(ORG, REPO) == []  # a plain failure does nothing server-side
    assert gh.rest.issues.create(ORG, REPO, data={"title": "t"}).status_code == 201
    assert [r.fault for r in double.requests("POST", "/repos/")] == ["status", None]
    assert double.pending_faults() == 0


def test_githubkit_default_retry_repeats_a_post_after_5xx(double: GitHubDouble, key: AppKey) -> None:
    double.fail_next("POST", "/repos/*/issues")
    retrying = client(double, key, auto_retry=True)
    assert retrying.rest.issues.create(ORG, REPO, data={"title": "t"}).status_code == 201
    assert double.count("POST", f"/repos/{ORG}/{REPO}/issues") == 2


def test_succeeds_server_side_but_answers_502(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    double.succeed_then_fail_next("POST", f"/repos/{ORG}/{REPO}/issues")
    with pytest.raises(RequestFailed) as exc:
        gh.rest.issues.create(ORG, REPO, data={"title": "Report feedback"})
    assert exc.value.response.status_code == 502
    assert [i.title for i in double.issues(ORG, REPO)] == ["Report feedback"]
    listed = rows(gh.rest.issues.list_for_repo(ORG, REPO, creator="report-bot[bot]").parsed_data)
    assert [i.title for i in listed] == ["Report feedback"]


def test_secondary_rate_limit(double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]) -> None:
    double.secondary_rate_limit_next("POST", "/repos/*/issues/*/comments", retry_after=7)
    number = double.add_issue(ORG, REPO, "q").number
    with pytest.raises(SecondaryRateLimitExceeded) as exc:
        gh.rest.issues.create_comment(ORG, REPO, number, data={"body": "x"})
    assert exc.value.retry_after == timedelta(seconds=7)
    assert exc.value.response.headers["retry-after"] == "7"
    assert exc.value.response.status_code == 403
    assert "secondary rate limit" in exc.value.response.json()["message"]
    assert double.comments(ORG, REPO, number) == []


@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy], status: int
) -> None:
    double.primary_rate_limit_next("GET", None, status=status, reset_in=120)
    with pytest.raises(PrimaryRateLimitExceeded) as exc:
        gh.rest.repos.get(ORG, REPO)
    headers = exc.value.response.headers
    assert exc.value.response.status_code == status and headers["x-ratelimit-remaining"] == "0"
    assert 100 < int(headers["x-ratelimit-reset"]) - time.time() <= 120
    assert timedelta(seconds=100) < exc.value.retry_after <= timedelta(seconds=120)
    assert gh.rest.repos.get(ORG, REPO).status_code == 200


def test_timeout_hangs_until_the_client_gives_up(double: GitHubDouble, key: AppKey) -> None:
    gh = client(double, key, timeout=0.3)
    gh.rest.repos.get(ORG, REPO)
    double.timeout_next("GET", f"/repos/{ORG}/{REPO}", hang=30)
    began = time.perf_counter()
    with pytest.raises(RequestTimeout):
        gh.rest.repos.get(ORG, REPO)
    assert time.perf_counter() - began < 2
    assert gh.rest.repos.get(ORG, REPO).status_code == 200
    deadline = time.monotonic() + 5  # the hung request is logged once the server notices the disconnect
    while not [r for r in double.requests() if r.fault == "timeout"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    hung = next(r for r in double.requests() if r.fault == "timeout")
    assert hung.status == 0 and hung.duration < 5


def test_a_hang_shorter_than_the_client_timeout_ends_in_a_dropped_connection(double: GitHubDouble) -> None:
    double.timeout_next(hang=0.2)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{double.url}/repos/{ORG}/{REPO}", timeout=5)


def test_githubkit_http_cache_ignores_the_timeout(double: GitHubDouble, key: AppKey) -> None:
    """Documents a githubkit 0.16 pitfall the double reveals: with http_cache=True (its default) the
    client's timeout is not applied, so a hung GitHub hangs the bot. Clients must pass http_cache=False."""
    gh = client(double, key, timeout=0.2, http_cache=True)
    gh.rest.repos.get(ORG, REPO)
    double.timeout_next("GET", f"/repos/{ORG}/{REPO}", hang=1.0)
    began = time.perf_counter()
    with pytest.raises(RequestError):
        gh.rest.repos.get(ORG, REPO)
    assert time.perf_counter() - began >= 0.9


def test_stop_ends_a_hanging_request_quickly() -> None:
    double = GitHubDouble().start()
    double.timeout_next(hang=60)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.get, f"{double.url}/repos/a/b", timeout=30)
        deadline = time.monotonic() + 5
        while double.pending_faults():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        began = time.perf_counter()
        double.stop()
        assert time.perf_counter() - began < 3
        with pytest.raises(httpx.RemoteProtocolError):
            pending.result(timeout=5)


def test_default_http_cache_sees_fresh_state(double: GitHubDouble, key: AppKey) -> None:
    gh = client(double, key, http_cache=True)
    number = double.add_issue(ORG, REPO, "before").number
    assert gh.rest.issues.get(ORG, REPO, number).parsed_data.title == "before"
    double.set_issue(ORG, REPO, number, title="after", state="closed")
    got = gh.rest.issues.get(ORG, REPO, number).parsed_data
    assert (got.title, got.state, got.state_reason) == ("after", "closed", "completed")


def test_concurrent_writers_get_distinct_ids(
    double: GitHubDouble, gh: GitHub[AppInstallationAuthStrategy]
) -> None:
    number = double.add_issue(ORG, REPO, "busy").number
    gh.rest.repos.get(ORG, REPO)

    def post(i: int) -> int:
        return gh.rest.issues.create_comment(ORG, REPO, number, data={"body": f"c{i}"}).parsed_data.id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(post, range(40)))
    assert len(set(ids)) == 40
    assert sorted(c.body for c in double.comments(ORG, REPO, number)) == sorted(f"c{i}" for i in range(40))


def test_json_helpers_give_webhook_shaped_objects(double: GitHubDouble) -> None:
    number = double.add_issue(ORG, REPO, "q", user="alice").number
    comment = double.add_comment(ORG, REPO, number, "/report check", user="alice")
    assert models.Issue.model_validate(double.json_issue(ORG, REPO, number)).user.login == "alice"  # type: ignore[union-attr]
    assert (
        models.IssueComment.model_validate(double.json_comment(ORG, REPO, comment.id)).body == "/report check"
    )
    assert models.FullRepository.model_validate(double.json_repo(ORG, REPO)).name == REPO
    assert models.SimpleUser.model_validate(double.json_user("alice")).login == "alice"
    assert models.Installation.model_validate(double.json_installation(INST)).id == INST
    double.push(ORG, REPO, "b", {"x": "y"})
    pr = double.open_pr(ORG, REPO, "b")
    assert models.PullRequest.model_validate(double.json_pull(ORG, REPO, pr)).head.ref == "b"
