"""Webhook deliveries -> jobs (pure), and installation events -> the store, on GitHub's example payloads."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import SHARED, require_shared

from bot.commands.grammar import Command, Parsed, parsed_from_payload
from bot.github import installations
from bot.github.events import check_key, command_key, decide, touches
from bot.store import Store, init_db, make_engine


def example(name: str) -> dict[str, Any]:
    require_shared()
    return copy.deepcopy(json.loads((SHARED / "github-payloads" / name).read_text("utf-8")))


def push(changed: list[str], *, ref: str = "refs/heads/master", sender_type: str = "User") -> dict[str, Any]:
    p = example("push/with-installation.payload.json")
    p["ref"] = ref
    p["deleted"], p["after"] = False, "b" * 40  # the example is a tag deletion
    p["commits"] = [{"id": "a" * 40, "added": [], "removed": [], "modified": changed}]
    p["sender"]["type"] = sender_type
    return p


def test_push_to_the_default_branch_touching_the_report() -> None:
    jobs = decide("push", push(["reports/README.md"]))
    assert len(jobs) == 1
    job = jobs[0]
    assert (
        job.key
        == check_key("Codertocat", "Hello-World", "branch:master")
        == "check:codertocat/hello-world:branch:master"
    )
    assert job.payload == {
        "owner": "Codertocat",
        "repo": "Hello-World",
        "installation_id": 1,
        "branch": "master",
        "pushed_at": 1557933657.0,  # GitHub's time of the push (the deadline is held against it)
    }


@pytest.mark.parametrize(
    ("changed", "ref", "expected"),
    [
        (["reports/figures/a.png"], "refs/heads/master", 1),
        ([".github/report-bot.yml"], "refs/heads/master", 1),
        (["src/train.py"], "refs/heads/master", 0),
        (["reports/README.md"], "refs/heads/feature", 0),
        (["reports/README.md"], "refs/tags/v1", 0),
    ],
)
def test_push_filters(changed: list[str], ref: str, expected: int) -> None:
    assert len(decide("push", push(changed, ref=ref))) == expected


def test_deleted_branches_and_bots_do_nothing() -> None:
    p = push(["reports/README.md"])
    p["deleted"] = True
    assert decide("push", p) == []
    assert decide("push", push(["reports/README.md"], sender_type="Bot")) == []


def test_truncated_or_unlisted_changes_are_checked() -> None:
    p = push([])
    p["commits"] = []  # a force push to an older commit lists nothing
    assert len(decide("push", p)) == 1
    assert touches({"commits": [{"id": "x"}]}, "reports")  # lists missing: assume it does


def test_custom_report_folder() -> None:
    assert len(decide("push", push(["docs/exam/README.md"]), report_dir="docs/exam")) == 1
    assert decide("push", push(["reports/README.md"]), report_dir="docs/exam") == []


@pytest.mark.parametrize(
    ("action", "expected"),
    [("opened", 1), ("synchronize", 1), ("reopened", 1), ("closed", 0), ("labeled", 0)],
)
def test_pull_request_actions(action: str, expected: int) -> None:
    p = example("pull_request/opened.payload.json")
    p["action"] = action
    p["installation"] = {"id": 7}
    jobs = decide("pull_request", p)
    assert len(jobs) == expected
    if jobs:
        assert jobs[0].payload["pr"] == p["number"] and jobs[0].installation_id == 7


def test_events_without_an_installation_do_nothing() -> None:
    p = example("pull_request/opened.payload.json")
    p.pop("installation", None)
    assert decide("pull_request", p) == []
    assert decide("issues", example("issues/opened.payload.json")) == []


def test_installation_events_update_the_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    init_db(engine)
    store = Store(engine)
    created = example("installation/created.payload.json")
    assert installations.apply(store, "installation", created)
    inst_id = created["installation"]["id"]
    assert store.get_installation(inst_id).account_login == "Codertocat"  # type: ignore[union-attr]
    assert [r.full_name for r in store.list_repositories(inst_id)] == ["Codertocat/Hello-World"]
    added = example("installation_repositories/added.payload.json")
    added["installation"]["id"] = inst_id
    installations.apply(store, "installation_repositories", added)
    assert {r.full_name for r in store.list_repositories(inst_id)} == {
        "Codertocat/Hello-World",
        "Codertocat/Space",
    }
    suspend = example("installation/suspend.payload.json")
    suspend["installation"]["id"] = inst_id
    installations.apply(store, "installation", suspend)
    assert store.get_installation(inst_id).suspended_at is not None  # type: ignore[union-attr]
    deleted = example("installation/deleted.payload.json")
    deleted["installation"]["id"] = inst_id
    installations.apply(store, "installation", deleted)
    assert store.get_installation(inst_id) is None
    assert not installations.apply(store, "push", created)


# --------------------------------------------------------------------------- issue comments -> command jobs


def comment(
    body: str, *, action: str = "created", pr: bool = False, before: str | None = None
) -> dict[str, Any]:
    p = example("issue_comment/created.with-installation.payload.json")
    p["action"] = action
    p["comment"]["body"] = body
    if pr:
        p["issue"]["pull_request"] = {"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
    if before is not None:
        p["changes"] = {"body": {"from": before}}
    return p


def test_a_comment_with_a_command_becomes_one_command_job() -> None:
    jobs = decide("issue_comment", comment("Could you look?\r\n\r\n/report html main"))
    assert len(jobs) == 1
    job = jobs[0]
    assert job.kind == "command" and job.installation_id == 1
    assert (
        job.key
        == command_key("Codertocat", "Hello-World", 492700400)
        == "command:codertocat/hello-world:comment:492700400"
    )
    p = job.payload
    assert (p["owner"], p["repo"], p["number"], p["comment_id"], p["sender"]) == (
        "Codertocat", "Hello-World", 1, 492700400, "Codertocat",
    )  # fmt: skip
    assert p["pr"] is False and p["default_branch"] == "master" and p["action"] == "created"
    assert p["issue_url"] == "https://github.com/Codertocat/Hello-World/issues/1"
    assert p["comment_created_at"] == "2019-05-15T15:20:21Z"
    assert parsed_from_payload(p["command"]) == Parsed(Command("html", "main", 3, "/report html main"), ())
    json.dumps(p)  # the queue stores it as JSON


def test_a_command_in_a_pull_request_conversation() -> None:
    jobs = decide("issue_comment", comment("/report check", pr=True))
    assert len(jobs) == 1 and jobs[0].payload["pr"] is True


@pytest.mark.parametrize(
    "body",
    ["You are totally right!", "> /report html", "```\n/report html\n```", "I ran `/report html`", ""],
)
def test_comments_without_a_command_line_are_not_jobs(body: str) -> None:
    assert decide("issue_comment", comment(body)) == []


def test_comments_by_bots_or_apps_are_not_jobs() -> None:
    by_bot = comment("/report check")
    by_bot["sender"]["type"] = "Bot"
    assert decide("issue_comment", by_bot) == []
    authored_by_bot = comment("/report check")
    authored_by_bot["comment"]["user"]["login"] = "report-bot[bot]"
    assert decide("issue_comment", authored_by_bot) == []
    via_app = comment("/report check")
    via_app["comment"]["performed_via_github_app"] = {"id": 1, "slug": "report-bot"}
    assert decide("issue_comment", via_app) == []


def test_deleted_comments_and_review_comments_are_not_jobs() -> None:
    assert decide("issue_comment", comment("/report check", action="deleted")) == []
    review = comment("/report check")
    review["pull_request"] = review.pop("issue")  # the shape of a review comment on a diff line
    assert decide("pull_request_review_comment", review) == []


def test_edits_become_jobs_only_when_the_command_changed() -> None:
    added = decide("issue_comment", comment("LGTM\n/report help", action="edited", before="LGTM"))
    assert len(added) == 1
    assert (
        added[0].key == "command:codertocat/hello-world:comment:492700400:edit"
    )  # never replaces a created job
    assert added[0].payload["action"] == "edited"
    changed = decide("issue_comment", comment("/report html", action="edited", before="/report check"))
    assert len(changed) == 1
    same = decide(
        "issue_comment", comment("LGTM!\n/Report Check.", action="edited", before="LGTM\n/report check")
    )
    assert same == []
    no_changes = decide("issue_comment", comment("/report help", action="edited"))
    assert len(no_changes) == 1  # GitHub did not say what it was: the config decides in the job
