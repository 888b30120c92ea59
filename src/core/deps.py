"""The parts a generation works with and what it hands back: Deps, RunOptions, outcomes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from self_improving_agent.base.config import (
    AgentcoreSection,
    AgentSection,
    BenchmarksSection,
    SandboxSection,
)
from self_improving_agent.base.models import GenerationStatus
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.early import EarlyVerdict
from self_improving_agent.benchmarks.lost_check import LostTestCheck
from self_improving_agent.benchmarks.repeats import Comparison
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.gates.policy import PolicyGate
from self_improving_agent.git_ops.worktree import GenerationGit, Workspace
from self_improving_agent.providers.base import Provider
from self_improving_agent.reports.report_model import GenerationReport


class Measure(Protocol):
    """Benchmarks of a tree: all enabled ones, or only the named ones (a repair round's)."""

    def __call__(self, path: Path, only: Sequence[str] | None = None) -> SuiteResult:
        """The suite result of the tree at path."""
        ...


# Repeated benchmarks of main's tree (first) and the candidate's, run interleaved.
Compare = Callable[[Path, Path, Sequence[str]], dict[str, Comparison]]
# The early stage of a candidate (its tree, main's commit, its changed files, main's results):
# what it ran and lost, or None when the change needs the full suite straight away.
EarlyStage = Callable[[Path, str, Sequence[str], SuiteResult], EarlyVerdict | None]


class JudgeTests(Protocol):
    """Reruns of a candidate's lost tests, and its own tests run apart from main's."""

    def __call__(
        self,
        tree: Path,
        base: str,
        files_changed: Sequence[str],
        before: SuiteResult,
        after: SuiteResult,
        config: BenchConfig,
        own: Path | None = None,
    ) -> tuple[LostTestCheck, SuiteResult]:
        """The check, and after scored over main's tests with flaky ones counted as before."""
        ...


@dataclass(frozen=True)
class GenerationConfig:
    """The config sections a generation reads, taken from the settings once where a run starts."""

    agent: AgentSection
    safety: SafetySection
    benchmarks: BenchmarksSection
    sandbox: SandboxSection
    agentcore: AgentcoreSection


@dataclass
class RunOptions:
    """What the user asked of this run."""

    auto_merge: bool = False
    dry_run: bool = False
    goals: list[str] = field(default_factory=list)
    code_rules: bool = True
    max_cost: float | None = None


class PullRequestFlow(Protocol):
    """Where accepted generations go in GitHub mode, instead of a local merge."""

    def submit(
        self, number: int, ws: Workspace, report: GenerationReport
    ) -> tuple[GenerationStatus, str]:
        """Push the branch and open a PR (merging it in auto mode); the status and reason."""
        ...

    def poll(self) -> list[str]:
        """Settle the PRs that got a verdict or timed out; one line per change for the user."""
        ...


@dataclass(frozen=True)
class Deps:
    """The parts a generation works with; tests swap in fakes only at the network edge."""

    repo: Path
    config: GenerationConfig
    store: Store
    provider: Provider
    git: GenerationGit
    measure: Measure
    judge_tests: JudgeTests
    policy: PolicyGate
    progress: Callable[[str], None]
    pr: PullRequestFlow | None = None
    after_merge: Callable[[Deps, GenerationOutcome], GenerationOutcome] | None = None
    compare: Compare | None = None
    early: EarlyStage | None = None
    # The mind's package folder; None: main's on the agent's own repository, else the installed.
    mind_code: Path | None = None
    mind_timeout_s: float = 600.0
    judge_commit: str = ""
    # The judge's benchmark config and files, read once for the run (None: main's tree's own).
    bench: BenchConfig | None = None
    judge_files: tuple[str, ...] = ()


class GenerationOutcome(BaseModel):
    """How one generation ended, for the CLI's one-line result and the circuit breaker."""

    generation: int
    status: GenerationStatus
    reason: str
    report_path: str
    delta: float | None = None
    errored: bool = False


def reports_dir(deps: Deps) -> Path:
    """Where this repository's generation reports go."""
    return deps.repo / deps.config.agent.reports_dir


def next_number(deps: Deps) -> int:
    """A number no generation had: above the store's, the reports' and the agent's git refs'."""
    reports = reports_dir(deps).glob("gen-*.json")
    seen = [int(p.stem[4:]) for p in reports if p.stem[4:].isdigit()]
    return deps.git.next_free_number([deps.store.next_generation_number() - 1, *seen])
