"""Lessons of finished generations in the state database, searchable with SQLite FTS5."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from self_improving_agent.base.store import Store

REJECTED = "rejected"


class Lesson(BaseModel):
    """What one generation tried on which files for which benchmark, and how it ended."""

    generation: int = Field(ge=1)
    files: list[str]
    benchmark: str = Field("", description="The plan's target benchmark, '' when it named none.")
    tried: str = Field(description="The plan's title.")
    outcome: str = Field(description="The generation's final status.")
    reason: str = Field("", description="Why it ended so, in one line.")
    evidence: str = Field("", description="What went wrong in detail, when something did.")
    created_at: str = ""

    def line(self) -> str:
        """The lesson as one line for a prompt or a listing."""
        target = f" for {self.benchmark}" if self.benchmark else ""
        files = ", ".join(self.files)
        text = f"gen {self.generation} {self.outcome}{target}: {self.tried} [{files}]"
        return f"{text} -- {self.reason}" if self.reason else text


class LessonMemory(Protocol):
    """Where lessons are kept and found again."""

    def add(self, lesson: Lesson) -> None:
        """Keep a lesson."""
        ...

    def relevant(self, terms: Sequence[str], limit: int) -> list[Lesson]:
        """The lessons that best match files or benchmark names, then the most recent ones."""
        ...

    def rejected_like(self, files: Sequence[str], benchmark: str) -> Lesson | None:
        """The latest rejected lesson with exactly these files and this target benchmark."""
        ...

    def all(self) -> list[Lesson]:
        """Every lesson, oldest first."""
        ...


def files_key(files: Sequence[str]) -> str:
    """The set of files as the column stores it: sorted, unique, JSON."""
    return json.dumps(sorted(set(files)))


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 query matching any term as a phrase (a path's words in order)."""
    phrases = [t.replace('"', " ") for t in dict.fromkeys(terms) if t.strip()]
    return " OR ".join(f'"{p}"' for p in phrases)


_COLUMNS = "generation, files, benchmark, tried, outcome, reason, evidence, created_at"


def _lesson(row: sqlite3.Row) -> Lesson:
    """A stored row as a Lesson."""
    data = dict(row)
    return Lesson.model_validate({**data, "files": json.loads(data["files"])})


class SqliteLessons:
    """Lessons in the repository's own state database: the default and the fallback."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, lesson: Lesson) -> None:
        """Insert the lesson; its text is indexed by the trigger."""
        with self.store.transaction() as db:
            db.execute(
                f"INSERT INTO lessons ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    lesson.generation,
                    files_key(lesson.files),
                    lesson.benchmark,
                    lesson.tried,
                    lesson.outcome,
                    lesson.reason,
                    lesson.evidence,
                    lesson.created_at,
                ),
            )

    def relevant(self, terms: Sequence[str], limit: int) -> list[Lesson]:
        """Best FTS5 matches for the terms first (bm25), then the newest, without repeats."""
        query = fts_query(terms) or '""'
        try:
            ranked = self.store.query(
                "SELECT rowid FROM lessons_fts WHERE lessons_fts MATCH ?"
                " ORDER BY bm25(lessons_fts), rowid DESC LIMIT ?",
                (query, limit),
            )
        except sqlite3.OperationalError:
            # A query of punctuation alone has no words to match; the newest lessons still count.
            ranked = []
        ids = [int(row[0]) for row in ranked]
        newest = self.store.query("SELECT id FROM lessons ORDER BY id DESC LIMIT ?", (limit,))
        ids = list(dict.fromkeys([*ids, *(int(row[0]) for row in newest)]))[:limit]
        rows = self.store.query(
            f"SELECT id, {_COLUMNS} FROM lessons WHERE id IN ({', '.join('?' for _ in ids)})",
            ids,
        )
        by_id = {int(row["id"]): row for row in rows}
        return [_lesson(by_id[i]) for i in ids]

    def rejected_like(self, files: Sequence[str], benchmark: str) -> Lesson | None:
        """The latest rejected lesson with the same file set and target benchmark."""
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM lessons WHERE files = ? AND benchmark = ? AND outcome = ?"
            " ORDER BY id DESC LIMIT 1",
            (files_key(files), benchmark, REJECTED),
        )
        return _lesson(rows[0]) if rows else None

    def all(self) -> list[Lesson]:
        """Every lesson, oldest first."""
        rows = self.store.query(f"SELECT {_COLUMNS} FROM lessons ORDER BY id")
        return [_lesson(row) for row in rows]
