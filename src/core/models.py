"""Pydantic data that crosses a boundary: store rows, reports, persona replies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
Phase = Literal["plan", "implement", "review", "benchmark", "decide", "merge", "record"]


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
