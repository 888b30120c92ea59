"""`agent vet`: the one judgement of a change (a patch, a range, a generation's writes)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.judge_files import judge_files_at
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
    repo: Path,
    base: str,
    safety: SafetySection,
    bench_config: str = "config/benchmarks.json",
    judge_files: Sequence[str] = (),
) -> VetContext:
    """What the judgement needs, read from main's commit (not from the change); judge_files
    are the running judge's own, held as well as those base holds."""
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
        files=frozenset(tracked_paths(repo, base)),
        judge_files=tuple(dict.fromkeys([*judge_files_at(repo, base, bench_config), *judge_files])),
    )


def vet(
    repo: Path,
    changes: ChangeSet,
    safety: SafetySection,
    bench_config: str = "",
    judge_files: Sequence[str] = (),
) -> VetReport:
    """Judge a change with main's settings taken from its base commit."""
    bench = bench_config or "config/benchmarks.json"
    return vet_changes(changes, context_at(repo, changes.base, safety, bench, judge_files))
