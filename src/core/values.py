"""One generation as a line of frozen values, from the plan to the decision."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

from self_improving_agent.base.models import EditResult, Plan, Review
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.candidate import Candidate
from self_improving_agent.core.deps import Deps, RunOptions
from self_improving_agent.core.mind_link import MindLink
from self_improving_agent.core.recorder import Recorder
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.gates.verdict import GateVerdict
from self_improving_agent.git_ops.worktree import Workspace
from self_improving_agent.memory.lessons import LessonMemory
from self_improving_agent.providers.base import Provider
from self_improving_agent.reports.report_model import RepairRound, Reproducibility


@dataclass(frozen=True)
class Context:
    """What every phase of one generation works with: its parts, options, number and log."""

    deps: Deps
    options: RunOptions
    number: int
    rec: Recorder
    memory: LessonMemory
    reproducibility: Reproducibility
    # What the generation holds open until it ends (its mind's process and scratch).
    closing: ExitStack = field(default_factory=ExitStack)


@dataclass(frozen=True)
class Planned:
    """The plan phase's value: the worktree, main's scores and config, the Architect's plan."""

    ws: Workspace
    before: SuiteResult
    bench_config: BenchConfig
    plan: Plan
    provider: Provider
    prompt_hash: str
    mind: MindLink


@dataclass(frozen=True)
class Built:
    """The implement phase's value: the edits as the gates let them through, and what changed."""

    edits: tuple[EditResult, ...]
    files_changed: tuple[str, ...]
    prompt_hash: str
    no_change: str | None = None

    def applied(self) -> bool:
        """Whether any edit reached the worktree."""
        return any(e.applied for e in self.edits)


@dataclass(frozen=True)
class Repaired:
    """The repair phase's value: the change and its measured candidate after the rounds."""

    built: Built
    candidate: Candidate
    rounds: tuple[RepairRound, ...] = ()


@dataclass(frozen=True)
class Reviewed:
    """The review phase's value: the Reviewer's verdict on the final diff."""

    review: Review
    prompt_hash: str


@dataclass(frozen=True)
class Decided:
    """The decide phase's value: the worktree judged, the merge gates' verdicts, the decision."""

    ws: Workspace
    gates: tuple[GateVerdict, ...]
    decision: Decision


@dataclass(frozen=True)
class Reached:
    """How far a generation got: its worktree once open, each finished phase's value."""

    ws: Workspace | None = None
    planned: Planned | None = None
    built: Built | None = None
    candidate: Candidate | None = None
    repaired: Repaired | None = None
    reviewed: Reviewed | None = None
    decided: Decided | None = None

    def change(self) -> Built | None:
        """The change as it stands: after the repair rounds when they ran."""
        return self.repaired.built if self.repaired else self.built

    def measured(self) -> Candidate | None:
        """The candidate as measured last: after the repair rounds when they ran."""
        return self.repaired.candidate if self.repaired else self.candidate
