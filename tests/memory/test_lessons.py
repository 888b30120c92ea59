"""Lessons in the state database: FTS5 relevance, the rejected-plan match, the CLI listing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from self_improving_agent.base.migrations import MIGRATIONS
from self_improving_agent.base.store import Store
from self_improving_agent.cli.app import app
from self_improving_agent.memory.lessons import Lesson, SqliteLessons, fts_query


def lesson(generation: int, files: list[str], benchmark: str = "", **extra: str) -> Lesson:
    """A lesson with sensible defaults."""
    data = {"tried": f"Plan {generation}", "outcome": "rejected", "reason": f"why {generation}"}
    return Lesson(generation=generation, files=files, benchmark=benchmark, **{**data, **extra})


def test_lessons_are_kept_in_their_own_migration_and_cleared_with_the_state(tmp_path: Path) -> None:
    with Store.for_repo(tmp_path) as store:
        assert store.schema_version == len(MIGRATIONS)
        memory = SqliteLessons(store)
        memory.add(lesson(1, ["b.py", "a.py", "a.py"], "lint_score"))
        assert memory.all()[0].files == ["a.py", "b.py"]
        store.clear()
        assert memory.all() == []
        assert (
            store.query("SELECT COUNT(*) FROM lessons_fts WHERE lessons_fts MATCH 'why'")[0][0] == 0
        )


def test_relevant_lessons_match_files_and_benchmarks_first_then_the_newest(tmp_path: Path) -> None:
    with Store.for_repo(tmp_path) as store:
        memory = SqliteLessons(store)
        memory.add(lesson(1, ["src/pkg/store.py"], "doc_coverage"))
        for n in range(2, 9):
            memory.add(lesson(n, [f"src/other_{n}.py"], "lint_score", outcome="accepted"))
        found = memory.relevant(["src/pkg/store.py"], 3)
        assert [x.generation for x in found] == [1, 8, 7]
        assert [x.generation for x in memory.relevant(["doc_coverage"], 1)] == [1]
        assert [x.generation for x in memory.relevant([], 2)] == [8, 7]
        assert memory.relevant(['a "quoted" name', "x OR y"], 2)[0].generation == 8
        assert [x.generation for x in memory.relevant(["-", "*"], 1)] == [8]


def test_a_rejected_plan_is_found_by_its_file_set_and_target_benchmark(tmp_path: Path) -> None:
    with Store.for_repo(tmp_path) as store:
        memory = SqliteLessons(store)
        memory.add(lesson(1, ["a.py", "b.py"], "type_check"))
        memory.add(lesson(2, ["a.py"], "type_check", outcome="accepted"))
        found = memory.rejected_like(["b.py", "a.py"], "type_check")
        assert found is not None and found.generation == 1
        assert memory.rejected_like(["a.py", "b.py"], "lint_score") is None
        assert memory.rejected_like(["a.py"], "type_check") is None


def test_fts_query_quotes_every_term_as_a_phrase() -> None:
    assert fts_query(["src/a.py", 'x"y', "", "src/a.py"]) == '"src/a.py" OR "x y"'


def test_agent_lessons_lists_them_as_text_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["lessons", "--repo", str(tmp_path)])
    assert (result.exit_code, result.output.strip()) == (0, "No lessons yet.")
    with Store.for_repo(tmp_path) as store:
        SqliteLessons(store).add(lesson(4, ["pkg/a.py"], "lint_score", reason="lint got worse"))
    result = runner.invoke(app, ["lessons", "--repo", str(tmp_path)])
    assert result.output.strip() == (
        "gen 4 rejected for lint_score: Plan 4 [pkg/a.py] -- lint got worse"
    )
    result = runner.invoke(app, ["lessons", "--repo", str(tmp_path), "--json"])
    (row,) = json.loads(result.output)
    assert (row["generation"], row["files"], row["outcome"]) == (4, ["pkg/a.py"], "rejected")
