"""Answers as posted, 👍/👎 votes on them, and a log of asked questions, in one SQLite file.

`FeedbackStore(settings.data_dir / "feedback.sqlite3")` is what Slack writes to. The file is a
`database.Database` (WAL mode, a busy timeout, a schema version with migrations): one store may be shared
by threads, and several processes may write to the same file.

- `record_answer(...)`: an answer shown to someone (also logged as a question).
- `vote(answer_id, user, ±1)`: one vote per user and answer; a later click replaces the earlier one.
- `comment(answer_id, user, text)`: an optional note attached to that user's vote.
- `export_candidates(path)`: answers with a 👎 as eval-dataset items (`evals/dataset.yaml` format) for a
  maintainer to complete: `candidate: true`, empty `reference_answer` and `key_facts`.
- `log_question(answer, source)` and `questions(since)`: what was asked, refused or low-confidence, for
  a "gaps" report.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from .database import Database
from .language import is_lithuanian
from .schema import Answer, Citation
from .topics import area_of

FILENAME = "feedback.sqlite3"

# Schema migrations (see database.py): entry i turns version i into i + 1. Add, never edit.
MIGRATIONS: list[list[str]] = [
    [  # 1: answers as shown, votes on them, the question log
        "CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL, "
        "citations TEXT NOT NULL, "  # JSON list of Citation fields
        "topic TEXT, refused INTEGER NOT NULL, confidence REAL NOT NULL, user TEXT, channel TEXT, "
        "ts TEXT, "  # the Slack message ts once posted
        "source TEXT NOT NULL, time REAL NOT NULL)",
        "CREATE TABLE IF NOT EXISTS votes (answer_id TEXT NOT NULL, user TEXT NOT NULL, "
        "vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), comment TEXT, time REAL NOT NULL, "
        "PRIMARY KEY (answer_id, user))",
        "CREATE TABLE IF NOT EXISTS questions (id INTEGER PRIMARY KEY AUTOINCREMENT, question TEXT NOT NULL, "
        "topic TEXT, refused INTEGER NOT NULL, confidence REAL NOT NULL, source TEXT NOT NULL, answer_id TEXT, "
        "time REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS questions_time ON questions (time)",
    ],
]


def new_answer_id() -> str:
    return uuid.uuid4().hex[:16]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def _epoch(since: datetime | float | str | None) -> float:
    if since is None:
        return float("-inf")
    if isinstance(since, int | float):
        return float(since)
    if isinstance(since, str):
        since = datetime.fromisoformat(since)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return since.timestamp()


class FeedbackStore:
    def __init__(self, path: Path | str) -> None:
        self.db = Database(path, MIGRATIONS)
        self.path = self.db.path

    @classmethod
    def in_dir(cls, data_dir: Path | str) -> FeedbackStore:
        return cls(Path(data_dir) / FILENAME)

    # --- answers and questions -------------------------------------------------------------------

    def record_answer(self, answer: Answer, *, answer_id: str | None = None, user: str | None = None,
                      channel: str | None = None, ts: str | None = None, source: str = "slack") -> str:
        """Store an answer that was shown to `user`, and log its question. Returns the answer id."""
        answer_id = answer_id or new_answer_id()
        now = time.time()
        cites = json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False)
        with self.db.transaction() as db:
            db.execute("INSERT OR REPLACE INTO answers (id, question, answer, citations, topic, refused, confidence, "
                       "user, channel, ts, source, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (answer_id, answer.question, answer.answer, cites, answer.topic, int(answer.refused),
                        float(answer.confidence), user, channel, ts, source, now))
            self._log(db, answer, source, answer_id, now)
        return answer_id

    def set_message(self, answer_id: str, channel: str, ts: str | None) -> None:
        """Where the answer ended up (e.g. after "Share to channel")."""
        with self.db.transaction() as db:
            db.execute("UPDATE answers SET channel = ?, ts = ? WHERE id = ?", (channel, ts, answer_id))

    def get_answer(self, answer_id: str) -> Answer | None:
        with self.db.transaction(write=False) as db:
            row = db.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        if row is None:
            return None
        return Answer(question=row["question"], answer=row["answer"], refused=bool(row["refused"]),
                      topic=row["topic"], citations=[Citation(**c) for c in json.loads(row["citations"])],
                      confidence=row["confidence"])

    def asked_by(self, answer_id: str) -> tuple[str | None, str] | None:
        """Who the answer was shown to, and through which door ("slack-command" for /ask); None if unknown."""
        with self.db.transaction(write=False) as db:
            row = db.execute("SELECT user, source FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return None if row is None else (row["user"], row["source"])

    def log_question(self, answer: Answer, source: str = "cli", answer_id: str | None = None) -> None:
        """Log an asked question (for doors that do not call `record_answer`)."""
        with self.db.transaction() as db:
            self._log(db, answer, source, answer_id, time.time())

    @staticmethod
    def _log(db: sqlite3.Connection, answer: Answer, source: str, answer_id: str | None, now: float) -> None:
        db.execute("INSERT INTO questions (question, topic, refused, confidence, source, answer_id, time) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (answer.question, answer.topic, int(answer.refused), float(answer.confidence), source,
                    answer_id, now))

    def questions(self, since: datetime | float | str | None = None) -> list[dict[str, Any]]:
        """Asked questions, oldest first: question, topic, refused, confidence, time (ISO, UTC), source,
        answer_id. `since` is a datetime (naive = UTC), an ISO string or a Unix time."""
        with self.db.transaction(write=False) as db:
            rows = db.execute("SELECT * FROM questions WHERE time >= ? ORDER BY time, id", (_epoch(since),)).fetchall()
        return [{"question": r["question"], "topic": r["topic"], "refused": bool(r["refused"]),
                 "confidence": r["confidence"], "time": _iso(r["time"]), "source": r["source"],
                 "answer_id": r["answer_id"]} for r in rows]

    # --- votes -----------------------------------------------------------------------------------

    def vote(self, answer_id: str, user: str, vote: int) -> bool:
        """Record a 👍 (+1) or 👎 (-1); replaces the user's earlier vote. False if the answer is unknown."""
        if vote not in (-1, 1):
            raise ValueError(f"vote must be +1 or -1, not {vote!r}")
        with self.db.transaction() as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return False
            db.execute("INSERT INTO votes (answer_id, user, vote, time) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (answer_id, user) DO UPDATE SET vote = excluded.vote, time = excluded.time",
                       (answer_id, user, vote, time.time()))
        return True

    def comment(self, answer_id: str, user: str, text: str) -> bool:
        """Attach a note to the user's vote on the answer. False if there is no such vote."""
        with self.db.transaction() as db:
            cur = db.execute("UPDATE votes SET comment = ?, time = ? WHERE answer_id = ? AND user = ?",
                             (text.strip()[:3000] or None, time.time(), answer_id, user))
        return cur.rowcount > 0

    def votes(self, answer_id: str) -> dict[str, int]:
        with self.db.transaction(write=False) as db:
            rows = db.execute("SELECT user, vote FROM votes WHERE answer_id = ?", (answer_id,)).fetchall()
        return {r["user"]: r["vote"] for r in rows}

    # --- export ----------------------------------------------------------------------------------

    def export_candidates(self, out_path: Path | str) -> int:
        """Write answers with at least one 👎 as eval-dataset candidates (YAML). Returns how many."""
        with self.db.transaction(write=False) as db:
            answers = db.execute(
                "SELECT a.*, "
                "  (SELECT COUNT(*) FROM votes v WHERE v.answer_id = a.id AND v.vote = -1) AS down, "
                "  (SELECT COUNT(*) FROM votes v WHERE v.answer_id = a.id AND v.vote = 1) AS up, "
                "  (SELECT MAX(time) FROM votes v WHERE v.answer_id = a.id AND v.vote = -1) AS voted "
                "FROM answers a WHERE EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.vote = -1) "
                "ORDER BY voted").fetchall()
            comments: dict[str, list[str]] = {}
            for r in db.execute("SELECT answer_id, comment FROM votes WHERE vote = -1 AND comment IS NOT NULL "
                                "ORDER BY time").fetchall():
                comments.setdefault(r["answer_id"], []).append(r["comment"])
        items = [self._candidate(r, comments.get(r["id"], [])) for r in answers]
        header = ("# Candidate eval items from 👎 feedback in Slack (cluster-assistant feedback export).\n"
                  "# Format: evals/dataset.yaml. A maintainer checks each item, writes reference_answer and\n"
                  "# key_facts, fixes expected_sources, removes `candidate` and `feedback`, then moves it into\n"
                  "# the dataset with the next free qNNN id.\n")
        out = Path(out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        body = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=110) if items else "[]\n"
        out.write_text(header + body, encoding="utf-8")
        return len(items)

    @staticmethod
    def _candidate(r: sqlite3.Row, comments: list[str]) -> dict[str, Any]:
        sources: list[dict[str, str]] = []
        for c in json.loads(r["citations"]):
            src = {"doc_id": c["doc_id"], "section": c.get("section") or ""}
            if src not in sources:
                sources.append(src)
        topic = r["topic"]
        return {
            "id": f"cand-{r['id']}",
            "question": r["question"],
            "language": "lt" if is_lithuanian(r["question"]) else "en",
            "area": area_of(topic) or "management",  # the maintainer corrects it
            "style": guess_style(r["question"]),
            "in_scope": True,
            "reference_answer": "",
            "key_facts": [],
            "expected_sources": sources,
            "candidate": True,
            "feedback": {
                "comment": "\n".join(comments),
                "time": _iso(r["voted"]),
                "votes_down": r["down"],
                "votes_up": r["up"],
                "answer_id": r["id"],
                "refused": bool(r["refused"]),
                "bot_answer": r["answer"][:1000],
            },
        }


def guess_style(question: str) -> str:
    """A first guess at the dataset `style`; the maintainer corrects it."""
    q = question.lower()
    if any(w in q for w in (" compare", "compare ", "difference", " versus ", " vs ")):
        return "comparison"
    if q.startswith(("how ", "how can", "what steps", "kaip ")):
        return "how-to"
    if q.startswith(("what are", "which ", "list ", "name ")) or " what are " in q:
        return "list"
    return "factoid"
