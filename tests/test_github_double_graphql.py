"""The GitHub double's GraphQL endpoint as raw JSON: every field it models resolves, a field of the real
schema it does not model answers null and is logged, refusals and field errors have GitHub's shapes, and
each caller sees what GitHub would show it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from github_double import GitHubDouble
from github_double.fixtures import INSTALLATION_ID, ORG

pytestmark = pytest.mark.usefixtures("graphql_schema")

REPO = "group-01"
FILES: dict[str, bytes | str] = {"reports/README.md": "# Report\n", "reports/figures/a.png": b"\x89PNG\0"}


def post(
    double: GitHubDouble, query: str, variables: dict[str, Any] | None = None, *, token: str = ""
) -> Any:
    token = token or double.installation_token(INSTALLATION_ID)
    resp = httpx.post(
        f"{double.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"authorization": f"bearer {token}"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
def d(github_double: GitHubDouble) -> GitHubDouble:
    github_double.add_repo(ORG, REPO, FILES)
    return github_double


EVERYTHING = """
query All($owner: String!, $name: String!, $pr: Int!, $issue: Int!, $node: ID!, $blob: GitObjectID!) {
  viewer { login }
  rateLimit { cost limit remaining used nodeCount resetAt }
  node(id: $node) { __typename ... on Issue { number } }
  repository(owner: $owner, name: $name) {
    id databaseId name nameWithOwner isPrivate url
    owner { __typename login id url ... on Organization { databaseId } }
    defaultBranchRef { name prefix target { ... on Commit {
      id oid abbreviatedOid message committedDate authoredDate url
      file(path: "reports/README.md") { name }
      tree { oid entries { name path oid type mode size extension isGenerated
        object { __typename ... on Tree { oid entries { path } } } } }
    } } }
    ref(qualifiedName: "refs/heads/main") { name }
    blob: object(oid: $blob) { ... on Blob { oid abbreviatedOid byteSize isBinary isTruncated text } }
    issue(number: $issue) {
      id databaseId number title body state closed stateReason isPinned locked url createdAt updatedAt
      author { login }
    }
    pullRequest(number: $pr) {
      state url isDraft merged headRefName headRefOid baseRefName baseRefOid changedFiles
      files(first: 1) {
        totalCount
        edges { cursor node { path additions deletions changeType } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
    issueOrPullRequest(number: $pr) { __typename ... on PullRequest { number } }
    pinnedIssues(first: 3) { totalCount nodes { id issue { number } } }
  }
}
"""


def test_every_modelled_field_resolves_and_nothing_is_unmodelled(d: GitHubDouble) -> None:
    issue = d.add_issue(ORG, REPO, "Report check", pinned=True)
    d.push(ORG, REPO, "draft", {"reports/README.md": "# Draft\n"})
    pr = d.open_pr(ORG, REPO, "draft")
    blob = d.file(ORG, REPO, "reports/README.md")
    assert blob is not None
    import hashlib

    oid = hashlib.sha1(b"blob %d\0" % len(blob) + blob).hexdigest()
    variables = {
        "owner": ORG,
        "name": REPO,
        "pr": pr,
        "issue": issue.number,
        "node": issue.node_id,
        "blob": oid,
    }
    answer = post(d, EVERYTHING, variables)
    assert "errors" not in answer, answer
    data = answer["data"]
    assert data["node"] == {"__typename": "Issue", "number": issue.number}
    assert data["rateLimit"]["limit"] == 5000
    repo = data["repository"]
    assert repo["nameWithOwner"] == f"{ORG}/{REPO}" and repo["owner"]["__typename"] == "Organization"
    commit = repo["defaultBranchRef"]["target"]
    assert commit["oid"] == d.head(ORG, REPO) and commit["file"] == {"name": "README.md"}
    reports = next(e for e in commit["tree"]["entries"] if e["name"] == "reports")
    assert reports["object"]["__typename"] == "Tree" and reports["type"] == "tree"
    assert repo["blob"] == {
        "oid": oid,
        "abbreviatedOid": oid[:7],
        "byteSize": len(blob),
        "isBinary": False,
        "isTruncated": False,
        "text": "# Report\n",
    }
    assert repo["issue"]["state"] == "OPEN" and repo["issue"]["isPinned"] is True
    files = repo["pullRequest"]["files"]
    assert files["totalCount"] == 1 and files["edges"][0]["node"]["changeType"] == "MODIFIED"
    assert files["pageInfo"]["hasNextPage"] is False
    assert repo["issueOrPullRequest"] == {"__typename": "PullRequest", "number": pr}
    assert repo["pinnedIssues"]["totalCount"] == 1
    assert d.unmodelled_fields() == []


def test_unmodelled_fields_answer_null_and_are_logged(d: GitHubDouble) -> None:
    mark = d.mark()
    # a nullable field the double does not model: null, and the request log names it
    answer = post(d, f'{{ repository(owner: "{ORG}", name: "{REPO}") {{ name description }} }}')
    assert answer == {"data": {"repository": {"name": REPO, "description": None}}}
    assert d.unmodelled_fields(since=mark) == ["Repository.description"]
    assert d.requests("POST", "/graphql", since=mark)[-1].unmodelled == ("Repository.description",)

    # a non-null one: graphql-core nulls the nearest nullable parent and says so; still logged
    mark = d.mark()
    answer = post(d, f'{{ repository(owner: "{ORG}", name: "{REPO}") {{ name stargazerCount }} }}')
    assert answer["data"] == {"repository": None}
    assert [(e["path"], e["message"]) for e in answer["errors"]] == [
        (
            ["repository", "stargazerCount"],
            "Cannot return null for non-nullable field Repository.stargazerCount.",
        )
    ]
    assert d.unmodelled_fields(since=mark) == ["Repository.stargazerCount"]


def test_refused_documents_get_errors_and_no_data(d: GitHubDouble) -> None:
    unknown = post(d, f'query {{ repository(owner: "{ORG}", name: "{REPO}") {{ stargazerCountz }} }}')
    assert unknown == {
        "errors": [
            {
                "extensions": {
                    "code": "undefinedField",
                    "typeName": "Repository",
                    "fieldName": "stargazerCountz",
                },
                "message": "Field 'stargazerCountz' doesn't exist on type 'Repository'",
                "locations": [{"line": 1, "column": 61}],
            }
        ]
    }
    syntax = post(d, "query { repository(owner: ")
    assert list(syntax) == ["errors"] and syntax["errors"][0]["message"].startswith("Parse error")
    assert syntax["errors"][0]["locations"] == [{"line": 1, "column": 27}]

    argument = post(d, f'{{ repository(owner: "{ORG}", name: "{REPO}", colour: 1) {{ name }} }}')
    assert [e["extensions"]["code"] for e in argument["errors"]] == ["argumentNotAccepted"]
    missing = post(d, f'{{ repository(owner: "{ORG}") {{ name }} }}')
    assert missing["errors"][0]["message"] == "Field 'repository' is missing required arguments: name"
    undeclared = post(d, "{ repository(owner: $o, name: $n) { name } }")
    assert {e["extensions"]["code"] for e in undeclared["errors"]} == {"variableNotDefined"}
    # a variable of the wrong type fails before anything runs, also without data
    typed = post(d, "query($n: Int!) { repository(owner: $n, name: $n) { name } }", {"n": 1})
    assert list(typed) == ["errors"] and "data" not in typed
    assert d.unmodelled_fields() == []


def test_field_errors_have_type_path_and_locations(d: GitHubDouble) -> None:
    answer = post(d, '{\n  repository(owner: "course-org", name: "nope") { name }\n}')
    assert answer == {
        "data": {"repository": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["repository"],
                "locations": [{"line": 2, "column": 3}],
                "message": "Could not resolve to a Repository with the name 'course-org/nope'.",
            }
        ],
    }
    pull = post(
        d, f'{{ repository(owner: "{ORG}", name: "{REPO}") {{ name pullRequest(number: 9) {{ state }} }} }}'
    )
    assert pull["data"] == {"repository": {"name": REPO, "pullRequest": None}}
    assert [(e["type"], e["path"]) for e in pull["errors"]] == [("NOT_FOUND", ["repository", "pullRequest"])]


def test_connection_limits_and_cursors(d: GitHubDouble) -> None:
    d.push(ORG, REPO, "many", {f"f{i}.txt": str(i) for i in range(3)})
    pr = d.open_pr(ORG, REPO, "many")
    query = """query($pr: Int!, $first: Int, $after: String) { repository(owner: "course-org", name: "group-01") {
      pullRequest(number: $pr) { files(first: $first, after: $after) { nodes { path } } } } }"""
    for first in (None, 0, 101):
        answer = post(d, query, {"pr": pr, "first": first})
        assert [e["type"] for e in answer["errors"]] == ["INVALID"], first
        assert answer["data"]["repository"]["pullRequest"] == {"files": None}
    bad = post(d, query, {"pr": pr, "first": 2, "after": "not a cursor"})
    assert [e["type"] for e in bad["errors"]] == ["INVALID_CURSOR_ARGUMENTS"]
    pinned = post(
        d, '{ repository(owner: "course-org", name: "group-01") { pinnedIssues(first: 101) { totalCount } } }'
    )
    assert [e["type"] for e in pinned["errors"]] == ["INVALID"]


def test_each_caller_sees_what_github_shows_it(d: GitHubDouble) -> None:
    d.add_installation(200, "other-org")
    d.add_repo("other-org", "theirs", {"a.txt": "a"})
    d.add_repo(ORG, "open-source", {"a.txt": "a"}, private=False)
    issue = d.add_issue(ORG, REPO, "Report check")
    query = "query($o: String!, $n: String!) { repository(owner: $o, name: $n) { name } }"

    def sees(owner: str, name: str, token: str = "") -> bool:
        answer = post(d, query, {"o": owner, "n": name}, token=token)
        return answer["data"]["repository"] is not None

    # an installation sees its own repositories only
    assert sees(ORG, REPO) and not sees("other-org", "theirs")
    # a person sees public repositories and private ones they have a role on
    stranger, member = d.user_token("stranger"), d.user_token("member")
    d.set_permission(ORG, REPO, "member", "read")
    assert sees(ORG, "open-source", stranger) and not sees(ORG, REPO, stranger)
    assert sees(ORG, REPO, member)
    assert post(d, "{ viewer { login } }", token=member)["data"] == {"viewer": {"login": "member"}}
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert post(d, node, {"id": issue.node_id}, token=stranger)["errors"][0]["type"] == "NOT_FOUND"

    # pinning needs write access; a reader is refused, the installation may
    pin = 'mutation($id: ID!) { pinIssue(input: {issueId: $id, clientMutationId: "c1"}) { clientMutationId issue { isPinned } } }'
    refused = post(d, pin, {"id": issue.node_id}, token=member)
    assert refused["data"] == {"pinIssue": None} and refused["errors"][0]["type"] == "FORBIDDEN"
    pinned = post(d, pin, {"id": issue.node_id})
    assert pinned == {"data": {"pinIssue": {"clientMutationId": "c1", "issue": {"isPinned": True}}}}
    assert d.pinned(ORG, REPO) == [issue.number]
    assert d.unmodelled_fields() == []
