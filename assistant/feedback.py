"""The feedback store: a 👍 / 👎 and an optional note per answer, in one SQLite table.

Only what the user chose to send is kept (the question, the rating, the note, the build id and the
passages shown, as document spans), plus the time it arrived. The file and its folder are created on the
first write; reading never creates anything. WAL journal, one short transaction per write, a fresh
connection per call (safe from any thread).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Rating = Literal["up", "down"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT    NOT NULL,                 -- UTC, ISO 8601
    question   TEXT    NOT NULL,
    rating     TEXT    NOT NULL CHECK (rating IN ('up', 'down')),
    note       TEXT    NOT NULL DEFAULT '',
    build_id   TEXT,
    passages   TEXT    NOT NULL DEFAULT '[]'     -- JSON: [{"document_id", "start", "end"}]
)
"""
COLUMNS = ("id", "created_at", "question", "rating", "note", "build_id", "passages")


@dataclass(frozen=True)
class PassageRef:
    """A passage the answer showed: ``document.text[start:end]``."""

    document_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Feedback:
    question: str
    rating: Rating
    note: str = ""
    build_id: str | None = None
    passages: tuple[PassageRef, ...] = ()


@dataclass(frozen=True)
class StoredFeedback:
    id: int
    created_at: str
    feedback: Feedback

    def as_dict(self) -> dict:
        f = self.feedback
        return {"id": self.id, "created_at": self.created_at, "question": f.question, "rating": f.rating,
                "note": f.note, "build_id": f.build_id,
                "passages": [{"document_id": p.document_id, "start": p.start, "end": p.end} for p in f.passages]}


class FeedbackStore:
    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.timeout = timeout  # seconds a write waits for another writer's lock

    @contextmanager
    def _writer(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=self.timeout)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            with conn:  # one transaction: committed on success, rolled back on error
                conn.execute(SCHEMA)
                yield conn

    def add(self, feedback: Feedback, now: datetime | None = None) -> int:
        """Store one piece of feedback; returns its id."""
        created = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        passages = json.dumps([{"document_id": p.document_id, "start": p.start, "end": p.end}
                               for p in feedback.passages], ensure_ascii=False)
        with self._writer() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (created_at, question, rating, note, build_id, passages) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (created, feedback.question, feedback.rating, feedback.note, feedback.build_id, passages))
            return int(cursor.lastrowid or 0)

    def list(self, limit: int | None = None) -> list[StoredFeedback]:
        """Newest first; empty when nothing was ever stored (the file is not created)."""
        if not self.path.exists():
            return []
        with closing(sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=self.timeout)) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'").fetchone() \
                    is None:
                return []
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id DESC"
                                + (" LIMIT ?" if limit is not None else ""),
                                (limit,) if limit is not None else ()).fetchall()
        return [_stored(row) for row in rows]


def _stored(row: tuple) -> StoredFeedback:
    id_, created, question, rating, note, build_id, passages = row
    refs = tuple(PassageRef(str(p["document_id"]), int(p["start"]), int(p["end"])) for p in json.loads(passages))
    return StoredFeedback(int(id_), str(created), Feedback(question, rating, note, build_id, refs))
