"""One generation's values are frozen, and its report is assembled in one function."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from pydantic import ValidationError

from self_improving_agent.base.models import Review
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.candidate import Candidate
from self_improving_agent.core.values import Built, Decided, Reached, Repaired, Reviewed
from self_improving_agent.gates.decision_model import Decision

SRC = Path(__file__).resolve().parents[2] / "src"


def _candidate() -> Candidate:
    """A measured candidate with nothing in it."""
    after = SuiteResult(total=0.5, results=[], cached=False, key="")
    return Candidate(after=after, before=[], counted_delta=0.0)


def test_every_phase_value_refuses_an_assignment() -> None:
    built = Built(edits=(), files_changed=(), prompt_hash="h")
    repaired = Repaired(built, _candidate())
    reviewed = Reviewed(Review(approved=True, score=0.9, findings=[]), "h")
    decided = Decided(
        ws=None,  # type: ignore[arg-type]
        gates=(),
        decision=Decision(accepted=True, reasons=[]),
    )
    for value, field in (
        (built, "files_changed"),
        (repaired, "candidate"),
        (reviewed, "review"),
        (decided, "decision"),
        (Reached(), "planned"),
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)
    with pytest.raises(ValidationError):
        _candidate().counted_delta = 1.0  # type: ignore[misc]


def _calls_and_assignments(path: Path) -> tuple[list[str], list[str]]:
    """Functions that build a GenerationReport, and assignments to a report's fields."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    builders: list[str] = []
    writes: list[str] = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "GenerationReport":
                builders.append(f"{path.name}:{func.name}")
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and "report" in ast.unparse(target.value):
                    writes.append(f"{path.name}:{func.name}: {ast.unparse(target)}")
    return builders, writes


def test_a_generation_report_is_assembled_in_one_function_and_never_patched() -> None:
    builders: list[str] = []
    writes: list[str] = []
    for path in sorted((SRC / "core").glob("*.py")):
        found, assigned = _calls_and_assignments(path)
        builders += found
        writes += assigned
    # Recovery writes the report of a generation a stopped process left, from the store alone.
    assert sorted(set(builders)) == ["assemble.py:assemble_report", "session.py:_report_if_missing"]
    assert writes == []
