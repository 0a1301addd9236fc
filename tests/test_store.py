"""Store and engine: schema set-up and migrations, SQLite settings, and every Store method, on both DBs."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from db_backends import *  # noqa: F403 - the fixtures `db_url`, `engine`, `fresh_db_url`
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.store import Store, init_db, make_engine
from bot.store.migrations import MIGRATIONS, Migration, migrate
from bot.store.models import replies_table, schema_version_table

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(engine: Engine, clock: FakeClock) -> Store:
    return Store(engine, clock=clock)


# -- engine and schema --------------------------------------------------------------------------------
def test_sqlite_engine_settings_and_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.db"
    eng = make_engine(f"sqlite:///{path}")
    try:
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 5000
        assert path.parent.is_dir()
    finally:
        eng.dispose()


def test_postgresql_url_maps_to_psycopg() -> None:
    eng = make_engine("postgresql://nobody@127.0.0.1:1/none")
    assert eng.dialect.driver == "psycopg"
    eng.dispose()


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        make_engine("mysql://x@y/z")


def test_init_db_creates_schema_and_is_idempotent(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    expected = {"installations", "repositories", "deliveries", "replies", "verdicts", "renders", "jobs"}
    assert expected | {"schema_version"} <= tables
    latest = MIGRATIONS[-1].version
    assert init_db(engine) == latest
    with engine.connect() as conn:
        assert conn.execute(select(schema_version_table.c.version)).scalars().all() == [latest]


def test_migrations_run_in_order_once(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    init_db(engine)
    applied: list[int] = []

    def step(version: int) -> Callable[..., None]:
        def apply(conn: object) -> None:
            applied.append(version)

        return apply

    n = MIGRATIONS[-1].version  # steps after the project's own (another issue may add one too)
    steps = [*MIGRATIONS, Migration(n + 1, "two", step(n + 1)), Migration(n + 2, "three", step(n + 2))]
    assert migrate(engine, steps) == n + 2
    assert migrate(engine, steps) == n + 2
    assert applied == [n + 1, n + 2]
    with pytest.raises(ValueError):
        migrate(engine, [Migration(2, "b", step(2)), Migration(1, "a", step(1))])
    engine.dispose()


def test_fresh_database_is_stamped_latest_without_running_steps(fresh_db_url: str) -> None:
    applied: list[int] = []
    n = MIGRATIONS[-1].version
    steps = [*MIGRATIONS, Migration(n + 1, "two", lambda conn: applied.append(2))]
    eng = make_engine(fresh_db_url)
    try:
        assert migrate(eng, steps) == n + 1
        assert applied == []
    finally:
        eng.dispose()


def test_two_processes_initialising_at_once(fresh_db_url: str) -> None:
    """Several processes opening a NEW database together (SQLite: switching it to WAL answered "database is
    locked" at once, without waiting, while another one was in its first transaction)."""
    engines = [make_engine(fresh_db_url) for _ in range(8)]
    try:
        with ThreadPoolExecutor(8) as pool:
            versions = list(pool.map(init_db, engines))
        assert versions == [MIGRATIONS[-1].version] * 8
    finally:
        for eng in engines:
            eng.dispose()


# -- deliveries -----------------------------------------------------------------------------------------
def test_record_delivery_first_time_only(store: Store) -> None:
    assert store.record_delivery("guid-1", "push") is True
    assert store.record_delivery("guid-1", "push") is False
    assert store.record_delivery("guid-2", "issue_comment", "created") is True


def test_forget_delivery_lets_a_redelivery_through(store: Store) -> None:
    assert store.record_delivery("guid-1", "push") is True
    assert store.forget_delivery("guid-1") is True
    assert store.forget_delivery("guid-1") is False
    assert store.record_delivery("guid-1", "push") is True


def test_record_delivery_concurrent_same_guid_exactly_one_true(store: Store) -> None:
    barrier = threading.Barrier(8)

    def record(_: int) -> bool:
        barrier.wait()
        return store.record_delivery("same-guid", "push")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(record, range(8)))
    assert results.count(True) == 1


def test_many_threads_write_without_lock_errors(store: Store) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: store.record_delivery(f"g{i}", "push"), range(200)))
    assert all(results)


def test_prune_deliveries(store: Store, clock: FakeClock) -> None:
    store.record_delivery("old", "push")
    clock.now = T0 + timedelta(days=20)
    store.record_delivery("new", "push")
    assert store.prune_deliveries(T0 + timedelta(days=14)) == 1
    assert store.record_delivery("old", "push") is True  # forgotten
    assert store.record_delivery("new", "push") is False


# -- installations and repositories --------------------------------------------------------------------
def test_installation_upsert_suspend_remove_cascades(store: Store, clock: FakeClock) -> None:
    store.upsert_installation(101, "course-org", "Organization")
    clock.now = T0 + timedelta(hours=1)
    store.upsert_installation(101, "course-org-renamed", "Organization")
    inst = store.get_installation(101)
    assert inst is not None
    assert (inst.account_login, inst.account_type, inst.created_at) == (
        "course-org-renamed",
        "Organization",
        T0,
    )
    assert store.set_installation_suspended(101, clock.now) is True
    assert store.get_installation(101).suspended_at == clock.now  # type: ignore[union-attr]
    assert store.set_installation_suspended(999, None) is False

    store.upsert_repository(1, 101, "course-org/group-1", "main")
    store.upsert_repository(2, 101, "course-org/group-2", "master")
    store.upsert_repository(1, 101, "course-org/group-01", "main")  # renamed
    names = [r.full_name for r in store.list_repositories(101)]
    assert names == ["course-org/group-01", "course-org/group-2"]
    assert store.remove_repository(2) is True
    assert store.remove_installation(101) is True
    assert store.get_installation(101) is None
    assert store.list_repositories(101) == []
    assert store.remove_installation(101) is False


def test_repository_of_unknown_installation_gets_placeholder(store: Store) -> None:
    store.upsert_repository(5, 202, "someone/report", "main")
    inst = store.get_installation(202)
    assert inst is not None and inst.account_login == "someone" and inst.account_type == ""
    store.upsert_installation(202, "someone", "User")
    assert store.get_installation(202).account_type == "User"  # type: ignore[union-attr]
    assert [r.id for r in store.list_repositories(202)] == [5]


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO repositories (id, installation_id, full_name, default_branch)"
                " VALUES (1, 42, 'a/b', 'main')"
            )
        )


# -- replies ----------------------------------------------------------------------------------------------
def test_reply_set_get_update_delete(store: Store, clock: FakeClock) -> None:
    assert store.get_reply("o/r", "issue", "default") is None
    store.set_reply("o/r", "issue", "default", github_id=9_000_000_001, number=3, node_id="I_abc")
    store.set_reply("o/r", "pr_comment", "pr:12", github_id=2_500_000_000_123, number=12)
    clock.now = T0 + timedelta(minutes=5)
    updated = store.set_reply("o/r", "issue", "default", github_id=9_000_000_002, number=4, node_id="I_def")
    assert updated.github_id == 9_000_000_002 and updated.updated_at == clock.now
    got = store.get_reply("o/r", "issue", "default")
    assert got == updated
    assert dataclasses.is_dataclass(got)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.github_id = 1  # type: ignore[misc]
    assert store.get_reply("o/r", "pr_comment", "pr:12").number == 12  # type: ignore[union-attr]
    assert store.get_reply("o/r", "check_run", "sha:abc") is None
    assert store.delete_reply("o/r", "issue", "default") is True
    assert store.delete_reply("o/r", "issue", "default") is False
    assert store.get_reply("o/r", "issue", "default") is None


def test_reply_is_unique_per_repo_kind_scope(store: Store, engine: Engine) -> None:
    for i in range(5):
        store.set_reply("o/r", "check_run", "sha:abc", github_id=i)
    with engine.connect() as conn:
        assert len(conn.execute(select(replies_table)).all()) == 1


def test_reply_kind_is_validated(store: Store) -> None:
    with pytest.raises(ValueError, match="reply kind"):
        store.set_reply("o/r", "discussion", "default", github_id=1)


# -- verdicts -----------------------------------------------------------------------------------------------
def test_last_verdict_per_repo_and_scope(store: Store, clock: FakeClock) -> None:
    assert store.last_verdict("o/r", "refs/heads/main") is None
    store.set_verdict("o/r", "refs/heads/main", "a" * 40, False, 31, ["Q3", "Q12"], None)
    store.set_verdict("o/r", "pr:4", "b" * 40, True, 31, [], None)
    clock.now = T0 + timedelta(minutes=1)
    v = store.set_verdict("o/r", "refs/heads/main", "c" * 40, False, 31, ["Q12"], "crash: x")
    got = store.last_verdict("o/r", "refs/heads/main")
    assert got == v
    assert (got.sha, got.passed, got.total, got.failing, got.error) == (
        "c" * 40,
        False,
        31,
        ["Q12"],
        "crash: x",
    )
    assert got.updated_at == clock.now
    assert store.last_verdict("o/r", "pr:4").passed is True  # type: ignore[union-attr]
    assert store.last_verdict("o/other", "pr:4") is None


# -- renders ----------------------------------------------------------------------------------------------
def test_render_counting(store: Store) -> None:
    for minutes in (0, 10, 50, 70):
        store.record_render("o/r", T0 + timedelta(minutes=minutes))
    store.record_render("o/other", T0 + timedelta(minutes=65))
    since = T0 + timedelta(minutes=70) - timedelta(hours=1)
    assert store.count_renders("o/r", since) == 3
    assert store.oldest_render_since("o/r", since) == T0 + timedelta(minutes=10)
    assert store.oldest_render_since("o/none", since) is None
    assert store.count_renders("o/other", since) == 1
    assert store.prune_renders(since) == 1
    assert store.count_renders("o/r", T0 - timedelta(days=1)) == 3


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive"):
        store.record_render("o/r", datetime(2026, 1, 1))


def test_a_version_1_database_gets_the_backfill_table(fresh_db_url: str) -> None:
    """An existing database from before issue 15 (version 1) gains `backfills` by migration 2."""
    from sqlalchemy import inspect

    from bot.store.backfill import backfills_table
    from bot.store.models import Base

    eng = make_engine(fresh_db_url)
    try:
        migrate(eng, MIGRATIONS[:1])
        with eng.begin() as conn:
            backfills_table.drop(conn)  # as a version-1 database had it: without the table
        assert "backfills" not in inspect(eng).get_table_names()
        assert migrate(eng) == MIGRATIONS[-1].version
        assert "backfills" in inspect(eng).get_table_names()
        assert set(Base.metadata.tables) <= set(inspect(eng).get_table_names())
    finally:
        eng.dispose()
