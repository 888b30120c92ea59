"""Pydantic data that crosses a boundary: store rows, reports, persona replies."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

GenerationStatus = Literal[
    "running",
    "pending",
    "awaiting_review",
    "accepted",
    "rejected",
    "failed",
    "interrupted",
    "no_change",
]


class EvolutionEntry(BaseModel):
    """One generation as the store keeps it."""

    model_config = ConfigDict(extra="forbid")

    generation: int = Field(ge=1)
    status: GenerationStatus
    phase: str | None = None
    title: str | None = None
    reason: str | None = None
    score_before: float | None = None
    score_after: float | None = None
    started_at: str
    finished_at: str | None = None
    dry_run: bool = False
    branch: str | None = None
    pr_number: int | None = None

    @property
    def delta(self) -> float | None:
        """Change of the weighted total, when both ends were measured."""
        if self.score_before is None or self.score_after is None:
            return None
        return self.score_after - self.score_before


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _plain_path(path: str) -> str:
    """A path without control characters: a NUL or newline in a file name is never intended."""
    if _CONTROL.search(path):
        raise ValueError("a path must not contain control characters such as NUL or newline")
    return path


RepoPath = Annotated[str, AfterValidator(_plain_path)]


class _Reply(BaseModel):
    """Base of persona replies: unknown keys are ignored so a chatty model still validates."""

    model_config = ConfigDict(extra="ignore")


class Plan(_Reply):
    """The Architect's reply: one small improvement and the files it touches."""

    title: str = Field(min_length=1, max_length=200, description="Short imperative title.")
    files_to_modify: list[RepoPath] = Field(
        min_length=1, description="Repo-relative paths to change."
    )
    rationale: str = Field("", description="Why this change improves the repository.")
    target_benchmarks: list[str] = Field(default_factory=list, description="Benchmarks to raise.")
    steps: list[str] = Field(default_factory=list, description="Concrete steps for the Builder.")


EditOp = Literal["create", "replace", "insert_after", "insert_before", "append", "prepend"]


class Change(_Reply):
    """One edit: op omitted writes the whole file; replace/insert_* need an anchor."""

    file: RepoPath = Field(min_length=1, description="Repo-relative path.")
    content: str = Field(description="New text (whole file, replacement or insertion).")
    op: EditOp | None = Field(None, description="Omit to write the whole file.")
    anchor: str | None = Field(None, description="Exact text that occurs once in the file.")


class Build(_Reply):
    """The Builder's reply: the edits that carry out the plan."""

    changes: list[Change] = Field(description="Edits, applied in order.")
    summary: str = Field("", description="What was changed.")


class Finding(_Reply):
    """One Reviewer remark."""

    severity: Literal["info", "minor", "major", "critical"] = "info"
    message: str


class Review(_Reply):
    """The Reviewer's reply: a verdict, a score and the findings behind it."""

    approved: bool
    score: float = Field(ge=0.0, le=1.0)
    findings: list[Finding | str] = Field(description="Remarks, as strings or objects.")
    summary: str = ""


class EditResult(BaseModel):
    """What happened to one Change."""

    file: str
    op: str
    applied: bool
    error: str | None = None
    lines_changed: int = 0


class LlmCall(BaseModel):
    """One provider call as reports and the store record it."""

    persona: str
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    estimated: bool = False
    latency_s: float = 0.0
    cost_usd: float | None = None
    prompt_hash: str | None = None
