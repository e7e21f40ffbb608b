"""One SQLite file with a versioned schema: the helper behind the feedback store and the Slack bot's state.

`Database(path, migrations)` opens the file in WAL mode and brings its schema up to date: migration `i`
(a list of SQL statements) turns schema version `i` into `i + 1`, and `PRAGMA user_version` records the
version reached. Migrations run in one `BEGIN IMMEDIATE` transaction, so two processes starting together
apply each one once. A file written by a newer version, or a damaged file, gets a message that names it
and says what to do.

Every `transaction()` opens its own short-lived connection (with a busy timeout), so one `Database` may be
shared by threads, and several processes may use the same file."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

Migration = Sequence[str]
BUSY_TIMEOUT_S = 10.0


class Database:
    def __init__(self, path: Path | str, migrations: Sequence[Migration]) -> None:
        self.path = Path(path)
        self.migrations = migrations
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._named_errors():
            self._use_wal()
        self._migrate()

    def _use_wal(self) -> None:
        """Switch the file to WAL (outside any transaction; it persists in the file). SQLite does not wait
        for a lock to change the journal mode: when processes open a new file together, all but one get
        "database is locked" at once, so the switch is tried again until the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
            finally:
                db.close()
            time.sleep(0.01)

    @property
    def version(self) -> int:
        """The schema version this code writes (the number of migrations)."""
        return len(self.migrations)

    def _migrate(self) -> None:
        with self.transaction() as db:
            found = int(db.execute("PRAGMA user_version").fetchone()[0])
            if found > self.version:
                raise sqlite3.DatabaseError(
                    f"{self.path} has schema version {found}, newer than this version of cluster-assistant "
                    f"knows ({self.version}): upgrade it, or move the file away to start a new one")
            for statements in self.migrations[found:]:
                for sql in statements:
                    db.execute(sql)
            if found < self.version:
                db.execute(f"PRAGMA user_version = {self.version:d}")

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction on a new connection: committed at the end, rolled back on error. `write` takes
        the write lock at once (BEGIN IMMEDIATE), so a read-then-write cannot be interleaved."""
        with self._named_errors():
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            db.row_factory = sqlite3.Row
            try:
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()

    @contextmanager
    def _named_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as e:
            if "not a database" in str(e) or "malformed" in str(e):
                raise sqlite3.DatabaseError(f"{self.path} is damaged ({e}): move it away, and a new one "
                                            "is started") from e
            raise
