"""The state database's schema: its migrations, an append-only list applied in order."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _run_statements(db: sqlite3.Connection, script: str) -> None:
    """Execute ;-separated DDL inside the caller's transaction (executescript would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite3.Connection) -> None:
    """Generations, phases, LLM calls and the benchmark cache."""
    _run_statements(
        db,
        """
        CREATE TABLE generations (
            generation INTEGER PRIMARY KEY,
            status TEXT NOT NULL,
            phase TEXT,
            title TEXT,
            reason TEXT,
            score_before REAL,
            score_after REAL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            dry_run INTEGER NOT NULL DEFAULT 0,
            branch TEXT,
            pr_number INTEGER
        );
        CREATE TABLE phases (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            generation INTEGER NOT NULL REFERENCES generations(generation) ON DELETE CASCADE,
            phase TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            error TEXT
        );
        CREATE INDEX phases_generation ON phases(generation);
        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            generation INTEGER,
            persona TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            estimated INTEGER NOT NULL DEFAULT 0,
            latency_s REAL NOT NULL,
            cost_usd REAL,
            prompt_hash TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX llm_calls_generation ON llm_calls(generation);
        CREATE TABLE bench_cache (
            key TEXT NOT NULL,
            name TEXT NOT NULL,
            result TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (key, name)
        );
        """,
    )


def _m002_human_verdicts(db: sqlite3.Connection) -> None:
    """What people decided on the agent's pull requests, to compare with the Reviewer persona."""
    _run_statements(
        db,
        """
        CREATE TABLE human_verdicts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            generation INTEGER NOT NULL REFERENCES generations(generation) ON DELETE CASCADE,
            pr_number INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            reviewer TEXT,
            body TEXT NOT NULL DEFAULT '',
            decided_at TEXT NOT NULL
        );
        CREATE INDEX human_verdicts_generation ON human_verdicts(generation);
        """,
    )


def _m003_lessons(db: sqlite3.Connection) -> None:
    """The lessons table and its FTS5 index, kept in step by triggers."""
    statements = (
        """CREATE TABLE lessons (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            generation INTEGER NOT NULL,
            files TEXT NOT NULL,
            benchmark TEXT NOT NULL DEFAULT '',
            tried TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX lessons_plan ON lessons(files, benchmark)",
        """CREATE VIRTUAL TABLE lessons_fts USING fts5(
            files, benchmark, tried, reason, evidence, content='lessons', content_rowid='id'
        )""",
        """CREATE TRIGGER lessons_ai AFTER INSERT ON lessons BEGIN
            INSERT INTO lessons_fts(rowid, files, benchmark, tried, reason, evidence)
            VALUES (new.id, new.files, new.benchmark, new.tried, new.reason, new.evidence);
        END""",
        """CREATE TRIGGER lessons_ad AFTER DELETE ON lessons BEGIN
            INSERT INTO lessons_fts(lessons_fts, rowid, files, benchmark, tried, reason, evidence)
            VALUES ('delete', old.id, old.files, old.benchmark, old.tried, old.reason,
                    old.evidence);
        END""",
    )
    for statement in statements:
        db.execute(statement)


# Append-only: a released migration is never edited, a new one is added at the end.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_initial,
    _m002_human_verdicts,
    _m003_lessons,
]
