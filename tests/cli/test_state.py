"""The store reads behind `agent status`, `history`, `lessons` and `reset`, on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.models import EvolutionEntry
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.cli.state import (
    reset_state,
    status_text,
    stored_generations,
    stored_lessons,
)
from self_improving_agent.memory.lessons import Lesson, SqliteLessons


def _record(repo: Path) -> None:
    """One finished generation and its lesson in the repository's store."""
    with Store.for_repo(repo) as store:
        store.add_generation(
            EvolutionEntry(generation=1, status="rejected", started_at=now_iso(), title="t")
        )
        SqliteLessons(store).add(
            Lesson(
                generation=1,
                files=["a.py"],
                tried="t",
                outcome="rejected",
                reason="r",
                created_at=now_iso(),
            )
        )


def test_a_repository_without_state_reads_as_empty(repo: Path) -> None:
    assert "none yet" in status_text(repo, "built-in defaults")
    assert stored_generations(repo) == []
    assert stored_lessons(repo) == []
    assert "Nothing to reset" in reset_state(repo, lambda _: pytest.fail("asked"))
    assert not (repo / ".agent").exists()


def test_reads_show_what_the_store_holds(repo: Path) -> None:
    _record(repo)
    assert "last:       gen 1 rejected -- t" in status_text(repo, "x")
    assert [e.generation for e in stored_generations(repo)] == [1]
    assert [lesson.tried for lesson in stored_lessons(repo)] == ["t"]


def test_reset_asks_then_clears(repo: Path) -> None:
    _record(repo)
    asked: list[str] = []
    assert reset_state(repo, asked.append).startswith("Cleared 1 generation(s)")
    assert "Delete the record of 1 generation(s)" in asked[0]
    assert stored_generations(repo) == []
