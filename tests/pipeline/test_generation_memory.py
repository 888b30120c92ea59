"""What the personas are shown in a real generation: findings, and lessons of earlier ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from src.base.config import Settings
from src.pipeline.generation import GenerationOutcome
from src.providers.base import Completion, CompletionRequest
from src.providers.mock import MockProvider
from tests.loop_kit import write_script
from tests.pipeline.test_generation import improving_script, run_one, target


class Recording:
    """The mock provider, keeping every request it was sent."""

    name = "mock"

    def __init__(self, script: Path) -> None:
        self.inner = MockProvider(Settings(), environ={"AGENT_MOCK_SCRIPT": str(script)})
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
