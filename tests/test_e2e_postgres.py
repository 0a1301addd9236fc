"""End to end on PostgreSQL (the scaled deployment): two `report-bot serve --with-worker` replicas on one
database share the procrastinate queue (one check per key at a time, across replicas) and the delivery ids (a redelivery to the other
replica is dropped). Cross-replica writers of one place are serialised by `bot.store.locks` (tests/test_locks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from db_backends import _pg_schema
from e2e_harness import BotServer, push_payload, seed
from github_double import GitHubDouble

pytestmark = pytest.mark.usefixtures("graphql_schema")  # the double answers GraphQL against it

ORG = "course-org"


def test_two_replicas_on_postgres_make_one_issue(
    github_double: GitHubDouble, app_key, tmp_path: Path, postgres_url: str
) -> None:  # type: ignore[no-untyped-def]
    d = github_double
    d.add_repo(ORG, "pg-1", {"README.md": "x"})
    d.set_latency(0.3, "POST", "/graphql")  # slow reads: both replicas have work in flight at once
    report = seed("001_11aae388d88f3f4c.md")
    with _pg_schema(postgres_url) as url:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        env = {"REPORT_BOT_DATABASE_URL": url, "REPORT_BOT_ARTIFACT_DIR": str(tmp_path / "artifacts")}
        with (
            BotServer(d, app_key.private_pem, tmp_path / "a", args=["--with-worker"], **env) as one,
            BotServer(d, app_key.private_pem, tmp_path / "b", args=["--with-worker"], **env) as two,
        ):
            shas = []
            for i, server in enumerate([one, two, one, two]):
                before, after = d.push(ORG, "pg-1", "main", {"reports/README.md": report + f"\nedit {i}\n"})
                shas.append(after)
                resp = server.send("push", push_payload(d, ORG, "pg-1", before, after, ["reports/README.md"]))
                assert resp.status_code == 202
            one.idle(timeout=60)
            two.idle(timeout=60)
            redelivered = push_payload(d, ORG, "pg-1", shas[-2], shas[-1], ["reports/README.md"])
            assert one.send("push", redelivered, delivery="same").status_code == 202
            assert (
                two.send("push", redelivered, delivery="same").status_code == 200
            )  # seen by the other replica
            one.idle(timeout=60)
    d.set_latency(0)
    issues = d.issues(ORG, "pg-1")
    assert len(issues) == 1 and f"commit `{shas[-1][:7]}`" in issues[0].body
