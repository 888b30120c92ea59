"""`agent vet`: the one judgement of a change (a patch, a range, a generation's writes)."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.own_tools import tools_from
from self_improving_agent.gates.vet.judge import VetContext, vet_changes
from self_improving_agent.gates.vet.model import EXIT_CODES, FileVerdict, VetItem, VetReport
from self_improving_agent.gates.vet.outside import backend_paths
from self_improving_agent.git_ops.changeset import (
    ChangeSet,
    file_at,
    top_names,
    tracked_paths,
)

__all__ = [
    "EXIT_CODES",
    "FileVerdict",
    "VetContext",
    "VetItem",
    "VetReport",
    "context_at",
    "vet",
    "vet_changes",
]


def context_at(
    repo: Path, base: str, safety: SafetySection, bench_config: str = "config/benchmarks.json"
) -> VetContext:
    """What the judgement needs, read from main's commit (not from the change)."""
    raw = file_at(repo, base, "pyproject.toml")
    pyproject = raw.decode("utf-8", "replace") if raw is not None else None
    names = top_names(repo, base)
    roots = frozenset(n.removesuffix(".py") for n in names if n.removesuffix(".py").isidentifier())
    packages = [n for n in top_names(repo, base, "src") if n.isidentifier()]
    return VetContext(
        root=repo,
        safety=safety,
        own_tools=tools_from(pyproject, [*packages, *(r for r in roots if r in names)]),
        local_roots=roots | frozenset(packages),
        backend_paths=tuple(backend_paths(pyproject)),
        bench_config=bench_config,
        files=frozenset(tracked_paths(repo, base)),
    )


def vet(repo: Path, changes: ChangeSet, safety: SafetySection, bench_config: str = "") -> VetReport:
    """Judge a change with main's settings taken from its base commit."""
    ctx = context_at(repo, changes.base, safety, bench_config or "config/benchmarks.json")
    return vet_changes(changes, ctx)
