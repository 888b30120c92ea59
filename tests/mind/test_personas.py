"""Persona prompts and requests: roles, rules, schemas, budgets and no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from self_improving_agent.base.models import Build, EditResult, EvolutionEntry, Plan, Review
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.core.reviewing import MAX_DIFF_CHARS, REVIEWER_SYSTEM, reviewer_request
from self_improving_agent.mind.offline import scores_of
from self_improving_agent.mind.personas import (
    ARCHITECT_SYSTEM,
    BUILDER_SYSTEM,
    architect_request,
    builder_request,
    request_tokens,
)
from self_improving_agent.providers.base import prompt_hash
from tests.analysis.test_repomap import BLOCKED, build_repo_map, generated_repo

PLAN = Plan(
    title="Add tests for the store",
    files_to_modify=["src/store.py", "tests/test_store.py", ".env"],
    rationale="The store is untested.",
    target_benchmarks=["code_coverage"],
    steps=["Test reopen", "Test migrations"],
)
SCORES = [
    BenchResult(name="lint_score", score=0.9, raw={"violations": 4, "by_rule": {"E501": 4}}),
    BenchResult(name="doc_coverage", score=0.4, raw={"documented": 4, "total": 10}),
    BenchResult(name="type_check", score=0.0, status="timeout", detail="mypy ran over 600 s"),
]


def entry(n: int, status: str = "rejected", reason: str | None = None) -> EvolutionEntry:
    """One past generation."""
    return EvolutionEntry.model_validate(
        {
            "generation": n,
            "status": status,
            "title": f"Idea number {n}",
            "reason": reason,
            "score_before": 0.5,
            "score_after": 0.45,
            "started_at": "2025-01-01T00:00:00Z",
        }
    )


@pytest.mark.parametrize(
    ("system", "role"),
    [(ARCHITECT_SYSTEM, "Architect"), (BUILDER_SYSTEM, "Builder"), (REVIEWER_SYSTEM, "Reviewer")],
)
def test_each_system_prompt_names_its_role_and_the_rules(system: str, role: str) -> None:
    assert f"You are the {role}" in system
    for rule in ("small, focused", "only the planned files", "placeholder", "# noqa", "test"):
        assert rule in system
    assert "held for a person" in system and "agent judge promote" in system


@pytest.mark.parametrize(
    ("system", "model"),
    [(ARCHITECT_SYSTEM, Plan), (BUILDER_SYSTEM, Build), (REVIEWER_SYSTEM, Review)],
)
def test_each_system_prompt_states_every_field_of_its_schema(
    system: str, model: type[BaseModel]
) -> None:
    assert f"schema {model.__name__}" in system
    for name in model.model_fields:
        assert name in system


def test_builder_prompt_explains_every_op() -> None:
    for op in ("create", "replace", "insert_after", "insert_before", "append", "prepend"):
        assert f'"{op}"' in BUILDER_SYSTEM
    assert "exactly once" in BUILDER_SYSTEM


def test_architect_request_orders_scores_and_shows_recent_history() -> None:
    history = [entry(n, reason=f"reason {n}") for n in range(1, 8)] + [entry(8, "accepted")]
    request = architect_request("MAP TEXT", SCORES, history, ["Speed up the store"])
    prompt = request.prompt
    assert request.persona == "architect" and request.context == "MAP TEXT"
    assert request.schema_name == "Plan" and request.json_schema == Plan.model_json_schema()
    assert prompt.index("type_check") < prompt.index("doc_coverage") < prompt.index("lint_score")
    assert "- type_check: 0.000 [timeout: mypy ran over 600 s]" in prompt
    assert "- doc_coverage: 0.400 (documented=4, total=10)" in prompt
    assert "by_rule=<1 items>" in prompt
    assert "- gen 8 accepted: Idea number 8 (delta -0.050)" in prompt
    assert "- gen 7 rejected: Idea number 7 (delta -0.050) -- reason 7" in prompt
    assert "gen 4 " in prompt and "gen 3 " not in prompt
    assert "- Speed up the store" in prompt


def test_architect_request_without_data_says_so() -> None:
    prompt = architect_request("", [], [], []).prompt
    assert prompt.count("- none yet") == 2 and "- none given" in prompt


def test_architect_prompt_stays_within_budget_on_a_large_repository(tmp_path: Path) -> None:
    repo_map = build_repo_map(generated_repo(tmp_path / "r", folders=6), 1200, BLOCKED)
    history = [
        entry(n, reason="review score 0.4 below consensus: " + "why " * 40) for n in range(1, 10)
    ]
    scores = [
        BenchResult(name=f"bench_{i}", score=i / 10, raw={"a": 1, "b": 2.5, "c": "x", "d": []})
        for i in range(8)
    ]
    request = architect_request(repo_map, scores, history, ["Raise coverage of src/core"])
    assert request_tokens(request) <= 2000


def test_builder_request_carries_the_plan_and_only_the_given_files() -> None:
    files = {"src/store.py": "def open():\n    pass", "tests/test_store.py": ""}
    request = builder_request(PLAN, files)
    assert request.persona == "builder" and request.schema_name == "Build"
    assert request.json_schema == Build.model_json_schema()
    context = request.context
    assert "Plan: Add tests for the store" in context and "Step 2: Test migrations" in context
    assert "=== BEGIN src/store.py ===\ndef open():\n    pass\n=== END src/store.py ===" in context
    assert "=== tests/test_store.py: empty or new" in context
    assert "=== .env: WITHHELD" in context
    assert "previous edits failed" not in request.prompt


def test_builder_retry_carries_the_failure_messages_intact() -> None:
    message = "replace src/store.py failed: anchor not found. Nearest lines:\n  1: def open():"
    request = builder_request(PLAN, {"src/store.py": "def open():\n"}, [message])
    assert f"- {message}" in request.prompt
    assert request.context == builder_request(PLAN, {"src/store.py": "def open():\n"}).context


def test_builder_prompt_without_files_is_small() -> None:
    assert request_tokens(builder_request(PLAN, {})) <= 5000


def test_reviewer_request_truncates_a_huge_diff_and_lists_edits() -> None:
    diff = "+line\n" * (MAX_DIFF_CHARS // 3)
    edits = [
        EditResult(file="src/store.py", op="replace", applied=True, lines_changed=4),
        EditResult(file="src/x.py", op="append", applied=False, error="src/x.py: gone"),
    ]
    request = reviewer_request(PLAN, diff, edits)
    assert request.persona == "reviewer" and request.schema_name == "Review"
    assert "Plan: Add tests for the store" in request.context
    assert "- applied replace src/store.py (4 lines changed)" in request.prompt
    assert "- FAILED append src/x.py: src/x.py: gone" in request.prompt
    assert f"[diff truncated: {len(diff) - MAX_DIFF_CHARS} more characters omitted]" in (
        request.prompt
    )
    assert len(request.prompt) < MAX_DIFF_CHARS + 1000


def test_prompt_hash_is_short_stable_and_sensitive() -> None:
    first = architect_request("map", SCORES, [], [])
    again = architect_request("map", SCORES, [], [])
    other = architect_request("map", SCORES, [], ["a goal"])
    assert prompt_hash(first) == prompt_hash(again) != prompt_hash(other)
    assert len(prompt_hash(first)) == 16 and int(prompt_hash(first), 16) >= 0


def test_secrets_never_reach_a_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    planted = "env-secret-value-0042"
    monkeypatch.setenv("ANTHROPIC_API_KEY", planted)
    token = "ghp" + "_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
    requests = [
        architect_request(f"map {planted}", SCORES, [], [f"use {planted} and {token}"]),
        builder_request(PLAN, {"src/store.py": f"KEY = '{planted}'\n"}, [token]),
        reviewer_request(PLAN, f"+GITHUB = '{token}'\n+K = '{planted}'\n", []),
    ]
    for request in requests:
        text = request.system + request.context + request.prompt
        assert planted not in text and token not in text and "***" in text


def test_the_architect_sees_a_custom_benchmark_and_a_goal_that_names_it() -> None:
    speed = BenchResult(
        name="speed", score=0.4, raw={"value": 120.0, "requests": 50}, custom=True, detail="ok"
    )
    broken = BenchResult(name="latency", score=0.0, status="error", custom=True, detail="no JSON")
    request = architect_request("map", [speed, broken], [], ["raise speed above 0.6"])
    assert "- speed: 0.400 (value=120, requests=50)" in request.prompt
    assert "- latency: 0.000 [error: no JSON]" in request.prompt
    assert "- raise speed above 0.6" in request.prompt
    assert scores_of(request.prompt)["speed"] == 0.4
