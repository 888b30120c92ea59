"""SQLite state at <repo>/.agent/agent.db: generations, phases, LLM calls, benchmark cache."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from self_improving_agent.base.errors import StoreError
from self_improving_agent.base.exclude import ensure_excluded
from self_improving_agent.base.migrations import MIGRATIONS
from self_improving_agent.base.models import EvolutionEntry, GenerationStatus
from self_improving_agent.base.secrets import redactor

STATE_DIRNAME = ".agent"
DB_FILENAME = "agent.db"
# The folders the agent makes under its state folder (worktrees, set-aside copies).
STATE_SUBDIRS = ("worktrees", "set-aside")


_ENTRY_COLUMNS = tuple(EvolutionEntry.model_fields)


def now_iso() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def state_dir(repo: Path) -> Path:
    """The folder that holds the agent's state for a repository."""
    return repo / STATE_DIRNAME


def occupied_state_path(repo: Path, *extra: Path) -> Path | None:
    """The first folder the agent needs (state, its subfolders, extra) held by a file or link."""
    wanted = [state_dir(repo), *(state_dir(repo) / name for name in STATE_SUBDIRS), *extra]
    for folder in wanted:
        # Every folder from the repository down to it, so a file `reports` blocks reports/x too.
        inside = folder.is_relative_to(repo) and folder != repo
        steps = folder.relative_to(repo).parts if inside else ()
        chain = [repo.joinpath(*steps[: n + 1]) for n in range(len(steps))] or [folder]
        for path in chain:
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                return path
    return None


def check_state_paths(repo: Path, *extra: Path) -> None:
    """Raise one sentence when a folder the agent needs is taken by the user's file or link."""
    taken = occupied_state_path(repo, *extra)
    if taken is not None:
        kind = "link" if taken.is_symlink() else "file"
        raise StoreError(
            f"{taken} is a {kind}, but the agent keeps its state or reports in a folder there; "
            "move or rename it (or set another reports_dir) and run again."
        )


def db_path(repo: Path) -> Path:
    """The state database of a repository."""
    return state_dir(repo) / DB_FILENAME


class Writer:
    """The connection inside a write transaction: every text it stores is redacted first."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        # Once per transaction: the environment's secret values, whatever their names.
        self._redact = redactor()

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement with secret values replaced in its text arguments."""
        clean = [self._redact(a) if isinstance(a, str) else a for a in args]
        return self._db.execute(sql, clean)


class Store:
    """The state database; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the state database ({exc})") from None

    @classmethod
    def for_repo(cls, repo: Path) -> Store:
        """Open (creating if needed) a repository's store and keep .agent/ out of git status."""
        check_state_paths(repo)
        ensure_excluded(repo, [f"/{STATE_DIRNAME}/"])
        return cls(db_path(repo))

    @classmethod
    def existing(cls, repo: Path) -> Store | None:
        """The repository's store if it has one; read-only commands never create state."""
        return cls(db_path(repo)) if db_path(repo).is_file() else None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """How many migrations have been applied."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Apply the migrations this database has not seen, each in its own transaction."""
        for index in range(self.schema_version, len(MIGRATIONS)):
            with self._transaction():
                MIGRATIONS[index](self._db)
                self._db.execute(f"PRAGMA user_version = {index + 1}")

    def transaction(self) -> AbstractContextManager[Writer]:
        """One write transaction for the tables that other modules own (lessons)."""
        return self._transaction()

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of one read query."""
        return list(self._db.execute(sql, args).fetchall())

    @contextmanager
    def _transaction(self) -> Iterator[Writer]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Writer(self._db)
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            # Read-only file, full disk, file size limit, lock held too long: one sentence.
            raise StoreError(
                f"cannot write the state database {self.path} ({exc}); free space or fix its "
                "permissions and run again"
            ) from None

    # generations

    def next_generation_number(self) -> int:
        """One past the highest number ever used, so no number is reused."""
        row = self._db.execute("SELECT MAX(generation) FROM generations").fetchone()
        return int(row[0] or 0) + 1

    def add_generation(self, entry: EvolutionEntry) -> None:
        """Insert a new generation row."""
        data = entry.model_dump()
        columns = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        with self._transaction() as db:
            db.execute(f"INSERT INTO generations ({columns}) VALUES ({marks})", list(data.values()))

    def update_generation(self, generation: int, **fields: Any) -> EvolutionEntry:
        """Change some columns of a generation and return the validated result."""
        current = self.get_generation(generation)
        if current is None:
            raise StoreError(f"generation {generation} does not exist in {self.path}")
        updated = EvolutionEntry.model_validate({**current.model_dump(), **fields})
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._transaction() as db:
            db.execute(
                f"UPDATE generations SET {assignments} WHERE generation = ?",
                [getattr(updated, name) for name in fields] + [generation],
            )
        return updated

    def get_generation(self, generation: int) -> EvolutionEntry | None:
        """One generation, or None."""
        row = self._db.execute(
            f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM generations WHERE generation = ?",
            (generation,),
        ).fetchone()
        return EvolutionEntry.model_validate(dict(row)) if row else None

    def list_generations(self, *statuses: GenerationStatus) -> list[EvolutionEntry]:
        """All generations in order, or those with one of the given statuses."""
        query = f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM generations"
        if statuses:
            query += f" WHERE status IN ({', '.join('?' for _ in statuses)})"
        rows = self._db.execute(query + " ORDER BY generation", statuses).fetchall()
        return [EvolutionEntry.model_validate(dict(row)) for row in rows]

    def counts_by_status(self) -> dict[str, int]:
        """How many generations have each status."""
        rows = self._db.execute("SELECT status, COUNT(*) FROM generations GROUP BY status")
        return {str(status): int(count) for status, count in rows}

    # phases

    def start_phase(self, generation: int, phase: str) -> int:
        """Record that a phase began; returns its id."""
        with self._transaction() as db:
            db.execute("UPDATE generations SET phase = ? WHERE generation = ?", (phase, generation))
            cursor = db.execute(
                "INSERT INTO phases (generation, phase, status, started_at) VALUES (?, ?, ?, ?)",
                (generation, phase, "running", now_iso()),
            )
        return int(cursor.lastrowid or 0)

    def finish_phase(self, phase_id: int, status: str, error: str | None = None) -> None:
        """Record how a phase ended."""
        with self._transaction() as db:
            db.execute(
                "UPDATE phases SET status = ?, finished_at = ?, error = ? WHERE id = ?",
                (status, now_iso(), error, phase_id),
            )

    def phases(self, generation: int) -> list[dict[str, Any]]:
        """The phase records of a generation, in order."""
        rows = self._db.execute(
            "SELECT phase, status, started_at, finished_at, error FROM phases"
            " WHERE generation = ? ORDER BY id",
            (generation,),
        )
        return [dict(row) for row in rows]

    # LLM calls

    def add_llm_call(self, generation: int | None, call: dict[str, Any]) -> None:
        """Record one provider call (persona, provider, model, tokens, latency, cost)."""
        data = {"generation": generation, "created_at": now_iso(), **call}
        columns = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        with self._transaction() as db:
            db.execute(f"INSERT INTO llm_calls ({columns}) VALUES ({marks})", list(data.values()))

    def llm_calls(self, generation: int | None = None) -> list[dict[str, Any]]:
        """Recorded calls, all or one generation's."""
        query = "SELECT * FROM llm_calls"
        args: tuple[Any, ...] = ()
        if generation is not None:
            query, args = query + " WHERE generation = ?", (generation,)
        return [dict(row) for row in self._db.execute(query + " ORDER BY id", args)]

    def total_cost(self) -> float:
        """Spend so far over all recorded calls whose cost is known."""
        row = self._db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM llm_calls").fetchone()
        return float(row[0])

    # benchmark cache

    def cached_result(self, key: str, name: str) -> dict[str, Any] | None:
        """A cached benchmark result, or None."""
        row = self._db.execute(
            "SELECT result FROM bench_cache WHERE key = ? AND name = ?", (key, name)
        ).fetchone()
        return dict(json.loads(row[0])) if row else None

    def cache_result(self, key: str, name: str, result: dict[str, Any]) -> None:
        """Store a benchmark result under the tree's content key."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO bench_cache (key, name, result, created_at)"
                " VALUES (?, ?, ?, ?)",
                (key, name, json.dumps(result, sort_keys=True), now_iso()),
            )

    # human verdicts

    def add_human_verdict(
        self, generation: int, pr_number: int, verdict: str, reviewer: str | None, body: str
    ) -> None:
        """Record how a person (or the review timeout) settled a generation's pull request."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO human_verdicts"
                " (generation, pr_number, verdict, reviewer, body, decided_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (generation, pr_number, verdict, reviewer, body, now_iso()),
            )

    def human_verdicts(self) -> list[dict[str, Any]]:
        """Every recorded human verdict, oldest first."""
        rows = self._db.execute(
            "SELECT generation, pr_number, verdict, reviewer, body, decided_at"
            " FROM human_verdicts ORDER BY id"
        )
        return [dict(row) for row in rows]

    # reset

    def clear(self) -> None:
        """Delete every row; the schema stays."""
        with self._transaction() as db:
            for table in (
                "phases",
                "llm_calls",
                "bench_cache",
                "human_verdicts",
                "lessons",
                "generations",
            ):
                db.execute(f"DELETE FROM {table}")
