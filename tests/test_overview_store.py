"""The overview's stored rows (bot/store/summaries.py) on SQLite and PostgreSQL: migration 3 adds them to an
older database, rows are upserted, listed per installation or owner, forgotten with their repository or
installation; and the pure parts of the repository measures (bot/github/stats.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from db_backends import *  # noqa: F403 - the fixtures `db_url`, `engine`, `fresh_db_url`
from sqlalchemy import Engine, inspect

from bot.github.stats import _LAST_PAGE, RepoStats, ci_conclusion, file_measures
from bot.store import backfill, make_engine, summaries
from bot.store.migrations import MIGRATIONS, migrate
from bot.store.summaries import Summary

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def _summary(repo: str, inst: int = 1, sha: str = "a" * 40, late: int | None = None) -> Summary:
    return Summary(repo, inst, sha, NOW, {"passed": 3, "total": 31}, None, {"commits": 5}, late, None)


def test_a_version_2_database_gets_the_overview_tables(fresh_db_url: str) -> None:
    eng = make_engine(fresh_db_url)
    try:
        migrate(eng, MIGRATIONS[:2])
        with eng.begin() as conn:  # as a version-2 database had it: without them
            summaries.summaries_table.drop(conn)
            summaries.overview_edits_table.drop(conn)
        assert "repo_summaries" not in inspect(eng).get_table_names()
        assert migrate(eng) == MIGRATIONS[-1].version
        assert {"repo_summaries", "overview_edits"} <= set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def test_summaries_upsert_list_and_forget(engine: Engine) -> None:
    summaries.set_summary(engine, _summary("Org/b"))
    summaries.set_summary(engine, _summary("org/a"))
    summaries.set_summary(engine, _summary("other/c", inst=2))
    summaries.set_summary(engine, _summary("Org/b", sha="b" * 40, late=2))  # the same repository again
    assert [s.repo for s in summaries.list_summaries(engine)] == ["org/a", "Org/b", "other/c"]
    assert [s.repo for s in summaries.list_summaries(engine, installation_id=1)] == ["org/a", "Org/b"]
    assert [s.repo for s in summaries.list_summaries(engine, owner="ORG")] == ["org/a", "Org/b"]
    assert summaries.list_summaries(engine, owner="o_g") == []  # LIKE wildcards are escaped
    found = summaries.get_summary(engine, "org/B")
    assert found is not None and found.sha == "b" * 40 and found.late_pushes == 2
    assert found.checked_at == NOW and found.report == {"passed": 3, "total": 31}

    backfill.forget_repositories(engine, ["org/b"])
    assert [s.repo for s in summaries.list_summaries(engine)] == ["org/a", "other/c"]
    summaries.record_overview_edit(engine, 2, "other/staff", NOW, "d" * 64)
    backfill.forget_installation(engine, 2)
    assert [s.repo for s in summaries.list_summaries(engine)] == ["org/a"]
    assert summaries.last_overview_edit(engine, 2) is None


def test_overview_edits_are_kept_per_installation(engine: Engine) -> None:
    assert summaries.last_overview_edit(engine, 7) is None
    summaries.record_overview_edit(engine, 7, "org/staff", NOW, "1" * 64)
    summaries.record_overview_edit(engine, 7, "org/staff", NOW.replace(minute=5), "2" * 64)
    last = summaries.last_overview_edit(engine, 7)
    assert last is not None and last.edited_at == NOW.replace(minute=5) and last.digest == "2" * 64


def test_file_measures_from_the_tree() -> None:
    m = file_measures(
        [
            "Dockerfile",
            "dockerfiles/train.dockerfile",
            "docker/api/Dockerfile",
            "Dockerfile.gpu",
            "notes/dockerfile.md",
            ".github/workflows/tests.yaml",
            ".github/workflows/lint.yml",
            ".github/workflows/old/x.yml",
            ".github/dependabot.yml",
            "requirements_dev.txt",
            "cloudbuild.yaml",
            "data.dvc",
        ]
    )
    assert (m.dockerfiles, m.workflows) == (4, 2)
    assert m.requirements and not m.pyproject and m.cloudbuild and m.dvc
    assert file_measures([]) == file_measures(["src/x.py"])
    assert file_measures(["pyproject.toml", ".dvc/config"]).pyproject


def test_ci_conclusion_looks_only_at_github_actions() -> None:
    actions = {"slug": "github-actions"}
    mine = {"slug": "report-bot"}
    assert ci_conclusion([]) == "none"
    assert ci_conclusion([{"status": "COMPLETED", "conclusion": "FAILURE", "app": mine}]) == "none"
    ok = {"status": "COMPLETED", "conclusion": "SUCCESS", "app": actions}
    assert ci_conclusion([ok]) == "success"
    assert ci_conclusion([ok, {"status": "IN_PROGRESS", "conclusion": None, "app": actions}]) == "pending"
    assert (
        ci_conclusion([ok, {"status": "COMPLETED", "conclusion": "TIMED_OUT", "app": actions}]) == "failure"
    )


def test_contributors_from_the_last_page_link_and_stats_round_trip() -> None:
    link = (
        '<https://api.github.com/repositories/1/contributors?per_page=1&page=2>; rel="next", '
        '<https://api.github.com/repositories/1/contributors?per_page=1&page=14>; rel="last"'
    )
    m = _LAST_PAGE.search(link)
    assert m is not None and m.group(1) == "14"
    s = RepoStats(4, 120, 7, "success", file_measures(["Dockerfile"]))
    assert RepoStats.from_json({**s.to_json(), "read_at": NOW.isoformat()}) == s
