"""The bot's own state in `data_dir/slack_state.sqlite3` (a versioned `Database`, shared by workers and
restarts): claimed keys (event ids, messages, button clicks), threads it answered, the per-user rate
window, and answers shared to a channel."""

from __future__ import annotations

import time
from pathlib import Path

from cluster_assistant.assistant.database import Database

STATE_FILE = "slack_state.sqlite3"
RATE_WINDOW_S = 60.0
SEEN_TTL_S = 2 * 24 * 3600      # Slack retries an event for at most a few minutes
THREAD_TTL_S = 90 * 24 * 3600

# Entry i turns schema version i into i + 1 (see database.py). Add, never edit.
MIGRATIONS: list[list[str]] = [
    [  # 1: seen keys, answered threads, the rate window
        "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, time REAL NOT NULL)",
        "CREATE TABLE IF NOT EXISTS threads (channel TEXT NOT NULL, thread_ts TEXT NOT NULL, "
        "question TEXT NOT NULL, time REAL NOT NULL, PRIMARY KEY (channel, thread_ts))",
        "CREATE TABLE IF NOT EXISTS rate (user TEXT NOT NULL, time REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS rate_user_time ON rate (user, time)",
    ],
    [  # 2: one share per answer ("Share to channel" is idempotent)
        "CREATE TABLE shares (answer_id TEXT PRIMARY KEY, user TEXT NOT NULL, channel TEXT NOT NULL, "
        "ts TEXT, time REAL NOT NULL)",
    ],
]


class SlackState:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)
        self.path = self.db.path
        self._calls = 0

    @classmethod
    def in_dir(cls, data_dir: Path | str) -> SlackState:
        return cls(Path(data_dir) / STATE_FILE)

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed (by any worker), False afterwards."""
        now = time.time()
        with self.db.transaction() as db:
            self._calls += 1
            if self._calls % 200 == 1:
                db.execute("DELETE FROM seen WHERE time < ?", (now - SEEN_TTL_S,))
                db.execute("DELETE FROM threads WHERE time < ?", (now - THREAD_TTL_S,))
            return db.execute("INSERT OR IGNORE INTO seen (key, time) VALUES (?, ?)", (key, now)).rowcount == 1

    def remember_thread(self, channel: str, thread_ts: str, question: str) -> None:
        with self.db.transaction() as db:
            db.execute("INSERT OR REPLACE INTO threads (channel, thread_ts, question, time) VALUES (?, ?, ?, ?)",
                       (channel, thread_ts, question, time.time()))

    def thread_question(self, channel: str, thread_ts: str) -> str | None:
        """The last base question answered in the thread, or None if the bot never answered there."""
        with self.db.transaction(write=False) as db:
            row = db.execute("SELECT question FROM threads WHERE channel = ? AND thread_ts = ?",
                             (channel, thread_ts)).fetchone()
        return None if row is None else str(row[0])

    def allow(self, user: str, per_minute: int) -> bool:
        """Count a question by `user`; False (and not counted) if they reached `per_minute` already."""
        now = time.time()
        with self.db.transaction() as db:
            db.execute("DELETE FROM rate WHERE time < ?", (now - RATE_WINDOW_S,))
            n = db.execute("SELECT COUNT(*) FROM rate WHERE user = ? AND time >= ?",
                           (user, now - RATE_WINDOW_S)).fetchone()[0]
            if n >= per_minute:
                return False
            db.execute("INSERT INTO rate (user, time) VALUES (?, ?)", (user, now))
        return True

    # --- shares ---

    def start_share(self, answer_id: str, user: str, channel: str) -> bool:
        """Claim the one share of an answer: False if it was shared (or is being shared) already."""
        with self.db.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO shares (answer_id, user, channel, time) VALUES (?, ?, ?, ?)",
                              (answer_id, user, channel, time.time())).rowcount == 1

    def finish_share(self, answer_id: str, ts: str | None) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE shares SET ts = ? WHERE answer_id = ?", (ts, answer_id))

    def cancel_share(self, answer_id: str) -> None:
        """The post failed (e.g. not_in_channel): the asker may try again."""
        with self.db.transaction() as db:
            db.execute("DELETE FROM shares WHERE answer_id = ?", (answer_id,))
