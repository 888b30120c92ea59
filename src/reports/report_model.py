"""reports/gen-N.json as a model: what a person needs to judge one generation."""

from __future__ import annotations

from pydantic import BaseModel, Field

from self_improving_agent.base.models import EditResult, GenerationStatus, LlmCall, Plan, Review
from self_improving_agent.benchmarks.lost_check import LostTestCheck
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.gates.verdict import GateVerdict


class BenchDelta(BaseModel):
    """One benchmark before and after a generation."""

    before: float | None
    after: float | None
    delta: float | None
    custom: bool = Field(False, description="A user's evaluator from the custom list.")
    skipped: bool = Field(False, description="Not run: an earlier stage stopped the candidate.")
    detail: str | None = Field(None, description="A custom benchmark's words when it failed.")
    before_samples: list[float] = Field(default_factory=list, description="Main's repeated runs.")
    after_samples: list[float] = Field(default_factory=list, description="The candidate's runs.")
    p_value: float | None = Field(None, description="One-sided Mann-Whitney U of the change.")
    counted: bool | None = Field(None, description="False: the change was noise and counts 0.")


class RepairRound(BaseModel):
    """One round of a generation's change: round 0 is the first build, then each repair."""

    round: int = Field(ge=0)
    evidence: list[str] = Field(
        default_factory=list, description="What the Builder was shown (empty for round 0)."
    )
    evidence_tokens: int = Field(0, description="Estimated tokens of the whole repair request.")
    edits: list[EditResult] = Field(default_factory=list)
    scores: dict[str, float] = Field(
        default_factory=dict, description="The benchmarks measured after the round."
    )
    regressions: str = Field("", description="What was still broken after the round.")
    fixed: bool = False
    outcome: str = ""


class Reproducibility(BaseModel):
    """What it takes to tell whether a rerun of the generation saw the same inputs."""

    agent_version: str = ""
    provider: str = ""
    model: str = ""
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    tool_versions: dict[str, str] = Field(default_factory=dict)
    code_rules: bool = True
    sandbox: dict[str, object] = Field(
        default_factory=dict, description="The sandbox the runs used and what it restricted."
    )
    judge_commit: str = Field(
        "",
        description="The pinned commit of the agent's own code that judged it; empty when the"
        " installed agent judged another repository.",
    )
    judge_files_ahead: list[str] = Field(
        default_factory=list,
        description="Judge files main had changed since that pin when the generation started:"
        " merged, but judging nothing until a person promotes them.",
    )


class GenerationReport(BaseModel):
    """reports/gen-N.json: everything a person needs to judge one generation."""

    generation: int
    status: GenerationStatus
    reason: str = Field("", description="Why the generation ended with its status.")
    dry_run: bool = False
    started_at: str
    finished_at: str | None = None
    duration_s: float | None = None
    phases: list[dict[str, object]] = Field(default_factory=list)
    plan: Plan | None = None
    llm_calls: list[LlmCall] = Field(default_factory=list)
    llm_totals: dict[str, float] = Field(default_factory=dict)
    benchmarks: dict[str, BenchDelta] = Field(default_factory=dict)
    totals: BenchDelta | None = None
    review: Review | None = None
    edits: list[EditResult] = Field(default_factory=list)
    edit_stats: dict[str, float] = Field(
        default_factory=dict, description="total_edits, failed_edits, edit_success_rate."
    )
    files_changed: list[str] = Field(default_factory=list)
    repairs: list[RepairRound] = Field(
        default_factory=list, description="The change's rounds, when a regression was repaired."
    )
    gates: list[GateVerdict] = Field(default_factory=list)
    stage_rejection: str | None = Field(
        None, description="The stage whose threshold stopped the candidate, and why."
    )
    decision: Decision | None = None
    tests_check: LostTestCheck | None = Field(
        None, description="Main's tests run against the change, and reruns of lost tests."
    )
    errors: list[dict[str, str]] = Field(default_factory=list)
    human_verdict: dict[str, object] | None = Field(
        None, description="How the person who settled the PR decided (PR mode)."
    )
    reproducibility: Reproducibility = Field(default_factory=Reproducibility)
