"""The one SQLite helper behind feedback and the Slack state: schema versions, migrations, clear errors."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from cluster_assistant.assistant.database import Database
from cluster_assistant.assistant.feedback import MIGRATIONS as FEEDBACK_MIGRATIONS
from cluster_assistant.assistant.feedback import FeedbackStore
from cluster_assistant.bots.slack.state import MIGRATIONS as STATE_MIGRATIONS
from cluster_assistant.bots.slack.state import SlackState


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def test_new_files_get_the_latest_version(tmp_path: Path) -> None:
    FeedbackStore.in_dir(tmp_path)
    SlackState.in_dir(tmp_path)
    assert _user_version(tmp_path / "feedback.sqlite3") == len(FEEDBACK_MIGRATIONS)
    assert _user_version(tmp_path / "slack_state.sqlite3") == len(STATE_MIGRATIONS) == 2


def test_a_state_file_from_before_versions_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "slack_state.sqlite3"
    with sqlite3.connect(path) as db:  # what the unversioned bot wrote (user_version 0)
        for sql in STATE_MIGRATIONS[0]:
            db.execute(sql)
        db.execute("INSERT INTO seen (key, time) VALUES ('event:Ev1', 1e12)")
    state = SlackState(path)
    assert _user_version(path) == 2
    assert not state.claim("event:Ev1")  # the old row is still there
    assert state.start_share("a1", "U1", "C1") and not state.start_share("a1", "U1", "C1")
    state.cancel_share("a1")
    assert state.start_share("a1", "U1", "C1")


def test_migrations_run_once_when_processes_start_together(tmp_path: Path) -> None:
    """Six openers of one new file at once, thirty times over: SQLite does not wait to switch a file to WAL,
    so without retrying some of them got "database is locked" (about one round in ten)."""
    migrations = [["CREATE TABLE t (n INTEGER)", "INSERT INTO t VALUES (1)"], ["INSERT INTO t VALUES (2)"]]
    errors: list[BaseException] = []
    for round_ in range(30):
        path = tmp_path / f"x{round_}.sqlite3"

        def open_it(path: Path = path) -> None:
            try:
                Database(path, migrations)
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with Database(path, migrations).transaction(write=False) as db:
            assert [r[0] for r in db.execute("SELECT n FROM t ORDER BY n")] == [1, 2]
    assert errors == []


def test_a_file_from_a_newer_version_is_named_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(sqlite3.DatabaseError, match=r"feedback.sqlite3 has schema version 99, newer"):
        FeedbackStore(path)
    assert _user_version(path) == 99


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3", [["CREATE TABLE t (n INTEGER)"]])
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    with db.transaction(write=False) as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
