"""Crash recovery, the budget check and hand merges on real repositories and a real store."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from self_improving_agent.base.errors import AgentError
from self_improving_agent.base.models import EvolutionEntry, LlmCall
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.core.budget import next_over_budget
from self_improving_agent.core.generation import Deps, GenerationOutcome, RunOptions
from self_improving_agent.core.session import (
    discard_pending,
    loop_generations,
    merge_pending,
    recover,
)
from self_improving_agent.git_ops.worktree import GenerationGit
from tests.conftest import git
from tests.core.test_generation import improving_script, session, target
from tests.loop_kit import build, plan


def add(store: Store, number: int, status: str, phase: str | None = None) -> None:
    """A generation row as a (possibly killed) earlier process left it."""
    store.add_generation(EvolutionEntry(generation=number, status="running", started_at=now_iso()))
    store.update_generation(number, status=status, phase=phase)


def test_recover_interrupts_running_and_keeps_pending(tmp_path: Path) -> None:
    repo = target(tmp_path)
    with session(repo, tmp_path, improving_script()) as deps:
        add(deps.store, 1, "running", "benchmark")
        add(deps.store, 2, "pending")
        add(deps.store, 3, "running")
        for number in (1, 2, 3):
            deps.git.create(number)
        assert recover(deps) == [
            "gen 1 was left running by a stopped process: marked interrupted",
            "gen 3 was left running by a stopped process: marked interrupted",
        ]
        entries = {e.generation: e for e in deps.store.list_generations()}
        assert deps.store.next_generation_number() == 4
    assert entries[1].status == "interrupted"
    assert entries[1].reason == "interrupted: the process stopped during phase benchmark"
    assert entries[3].reason == "interrupted: the process stopped during phase start"
    assert entries[2].status == "pending"
    branches = git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/agent").split()
    assert branches == ["refs/heads/agent/gen-2"]
    assert sorted(p.name for p in (repo / ".agent/worktrees").iterdir()) == ["gen-2"]
    assert json.loads((repo / "reports/gen-1.json").read_text())["status"] == "interrupted"
    assert json.loads((repo / "reports/gen-3.json").read_text())["status"] == "interrupted"


def _merge_without_recording(deps: Deps, number: int) -> str:
    """What a process killed right after moving main leaves: main moved, the store not."""
    ws = deps.git.create(number)
    (ws.path / "pkg/new.py").write_text('"""New."""\n', encoding="utf-8")
    deps.git.commit(ws, "new module")
    return deps.git.merge(ws)


def test_a_generation_stopped_after_main_moved_is_recovered_accepted(tmp_path: Path) -> None:
    repo = target(tmp_path)
    with session(repo, tmp_path, improving_script()) as deps:
        add(deps.store, 1, "running", "merge")
        sha = _merge_without_recording(deps, 1)
        assert recover(deps) == ["gen 1 was left running by a stopped process: marked accepted"]
        entry = deps.store.get_generation(1)
    assert entry is not None and entry.status == "accepted"
    assert entry.reason.startswith(f"merged as {sha[:10]}")
    assert json.loads((repo / "reports/gen-1.json").read_text())["status"] == "accepted"
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("act", [merge_pending, discard_pending])
def test_a_stopped_hand_merge_is_recorded_accepted_on_retry(
    tmp_path: Path, act: Callable[[Store, GenerationGit, int], object]
) -> None:
    repo = target(tmp_path)
    with session(repo, tmp_path, improving_script()) as deps:
        add(deps.store, 1, "pending")
        sha = _merge_without_recording(deps, 1)
        if act is merge_pending:
            assert act(deps.store, deps.git, 1).sha == sha
        else:
            with pytest.raises(AgentError, match="already on main"):
                act(deps.store, deps.git, 1)
        entry = deps.store.get_generation(1)
    assert entry is not None and entry.status == "accepted"


def test_a_pending_generation_without_its_branch(tmp_path: Path) -> None:
    repo = target(tmp_path)
    with session(repo, tmp_path, improving_script()) as deps:
        add(deps.store, 1, "pending")
        with pytest.raises(AgentError, match=r"no branch left to merge.*agent discard 1"):
            merge_pending(deps.store, deps.git, 1)
        discard_pending(deps.store, deps.git, 1)
        entry = deps.store.get_generation(1)
    assert entry is not None and entry.status == "rejected"
    assert entry.reason == "discarded by hand; its branch was already gone"


@pytest.mark.parametrize("act", [merge_pending, discard_pending])
def test_only_pending_generations_can_be_merged_or_discarded(
    tmp_path: Path, act: Callable[[Store, GenerationGit, int], object]
) -> None:
    repo = target(tmp_path)
    with session(repo, tmp_path, improving_script()) as deps:
        add(deps.store, 1, "rejected")
        with pytest.raises(AgentError, match="generation 1 is rejected, not pending"):
            act(deps.store, deps.git, 1)
        with pytest.raises(AgentError, match="generation 9 is unknown, not pending"):
            act(deps.store, deps.git, 9)


def test_budget_stops_before_a_generation_would_pass_it(tmp_path: Path) -> None:
    with Store.for_repo(tmp_path) as store:
        assert next_over_budget(store, None) is None
        assert next_over_budget(store, 0.0) is None
        add(store, 1, "rejected")
        call = LlmCall(persona="architect", provider="mock", model="m", cost_usd=0.4)
        store.add_llm_call(1, call.model_dump())
        assert next_over_budget(store, 1.0) is None
        message = next_over_budget(store, 0.7)
    assert message is not None
    assert message.startswith("stopping: spent $0.4000 so far")
    assert "--max-cost $0.7000" in message


def test_a_merge_into_the_agent_itself_is_checked_and_the_loop_goes_on(tmp_path: Path) -> None:
    """The judge stays in its process after a merge into itself: it judges the next round too."""
    repo = target(tmp_path)
    checked: list[int] = []

    def verified(_deps: Deps, outcome: GenerationOutcome) -> GenerationOutcome:
        checked.append(outcome.generation)
        return outcome

    script = improving_script(architect=[plan(["pkg/mul.py"], "Document mul")] * 2)
    with session(repo, tmp_path, script) as deps:
        result = loop_generations(
            replace(deps, after_merge=verified), RunOptions(auto_merge=True), max_generations=2
        )
    assert len(result.outcomes) == 2
    assert result.outcomes[0].status == "accepted"
    assert checked == [1]
    assert result.exit_code == 0


def test_the_loop_stops_with_exit_0_after_the_idle_limit(tmp_path: Path) -> None:
    repo = target(tmp_path)
    nothing = build(summary="nothing left to do")
    script = improving_script(
        architect=[plan(["pkg/mul.py"], f"Idea {n}") for n in range(5)],
        builder=[nothing] * 5,
    )
    with session(repo, tmp_path, script) as deps:
        result = loop_generations(deps, RunOptions(auto_merge=True), max_generations=5)
    assert [o.status for o in result.outcomes] == ["no_change", "no_change"]
    assert result.exit_code == 0
    assert result.message == (
        "stopping: 2 generations in a row found nothing to change (the last: no change: "
        "nothing left to do); raise [agent] max_idle_generations to keep trying"
    )
