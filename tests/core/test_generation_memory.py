"""What the personas are shown in a real generation: findings, and lessons of earlier ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from self_improving_agent.base.config import Settings
from self_improving_agent.base.models import Change, Plan
from self_improving_agent.base.store import Store
from self_improving_agent.core.generation import GenerationOutcome
from self_improving_agent.memory.lessons import SqliteLessons
from self_improving_agent.providers.base import Completion, CompletionRequest
from self_improving_agent.providers.mock import MockProvider
from tests.conftest import provider_args
from tests.core.test_generation import improving_script, run_one, target
from tests.loop_kit import build, review, write_script


class Recording:
    """The mock provider, keeping every request it was sent."""

    name = "mock"

    def __init__(self, script: Path) -> None:
        self.inner = MockProvider(
            *provider_args(Settings(), "mock"), environ={"AGENT_MOCK_SCRIPT": str(script)}
        )
        self.requests: list[CompletionRequest] = []

    def complete(self, request: CompletionRequest) -> Completion:
        """Keep the request, answer as the mock would."""
        self.requests.append(request)
        return self.inner.complete(request)

    def sent(self, persona: str) -> list[CompletionRequest]:
        """The requests one persona received, in order."""
        return [r for r in self.requests if r.persona == persona]


def recorded_run(
    repo: Path, tmp_path: Path, script: dict[str, Any]
) -> tuple[GenerationOutcome, Recording]:
    """One generation with a recording provider."""
    provider = Recording(write_script(tmp_path / f"script-{id(script)}.json", script))
    return run_one(repo, tmp_path, script, provider, auto_merge=True), provider


def test_architect_and_builder_see_the_findings_with_file_and_line(tmp_path: Path) -> None:
    repo = target(tmp_path)
    outcome, provider = recorded_run(repo, tmp_path, improving_script())
    assert outcome.status == "accepted", outcome.reason
    (architect,) = provider.sent("architect")
    assert "Findings of the weakest benchmarks (file:line):" in architect.prompt
    assert "  pkg/mul.py:4 no docstring: mul" in architect.prompt
    assert "pkg/mul.py (used by" not in architect.context
    (builder,) = provider.sent("builder")
    assert "- [doc_coverage] pkg/mul.py:4 no docstring: mul" in builder.context


def targeted_plan(files: list[str], title: str, benchmark: str = "doc_coverage") -> str:
    """An Architect reply that names its target benchmark."""
    return Plan(
        title=title, files_to_modify=files, rationale="r", target_benchmarks=[benchmark]
    ).model_dump_json()


def test_a_rejected_generation_leaves_a_lesson_the_next_architect_sees(tmp_path: Path) -> None:
    repo = target(tmp_path)
    first = improving_script(
        architect=[targeted_plan(["pkg/mul.py"], "Document mul")],
        reviewer=[review(approved=False)],
    )
    outcome, _ = recorded_run(repo, tmp_path, first)
    assert outcome.status == "rejected"
    other = Change(file="pkg/calc.py", op="append", content="\n\nSEVEN = 7\n")
    second = improving_script(
        architect=[
            targeted_plan(["pkg/mul.py"], "Document mul again"),
            targeted_plan(["pkg/calc.py"], "Name a constant", "lint_score"),
        ],
        builder=[build(other)],
        reviewer=[review(approved=False)],
    )
    outcome, provider = recorded_run(repo, tmp_path, second)
    assert outcome.status == "rejected"
    asked, sent_back = provider.sent("architect")
    lesson = "- gen 1 rejected for doc_coverage: Document mul [pkg/mul.py] -- "
    assert "Lessons of earlier generations (most relevant first):" in asked.prompt
    assert lesson + "the Reviewer did not approve" in asked.prompt
    assert sent_back.prompt.startswith(asked.prompt)
    assert "Your plan repeats generation 1 (the same files and target benchmark)" in (
        sent_back.prompt
    )
    (builder,) = provider.sent("builder")
    assert "Plan: Name a constant" in builder.context
    with Store.for_repo(repo) as store:
        kept = [(x.generation, x.tried, x.outcome) for x in SqliteLessons(store).all()]
    assert kept == [(1, "Document mul", "rejected"), (2, "Name a constant", "rejected")]


def test_a_plan_repeated_after_the_send_back_rejects_before_any_builder_call(
    tmp_path: Path,
) -> None:
    repo = target(tmp_path)
    first = improving_script(
        architect=[targeted_plan(["pkg/mul.py"], "Document mul")],
        reviewer=[review(approved=False)],
    )
    recorded_run(repo, tmp_path, first)
    same = targeted_plan(["pkg/mul.py"], "Document mul")
    outcome, provider = recorded_run(repo, tmp_path, improving_script(architect=[same, same]))
    assert outcome.status == "rejected"
    assert outcome.reason == "plan failed: the Architect repeated a rejected plan: Document mul"
    assert len(provider.sent("architect")) == 2 and provider.sent("builder") == []
