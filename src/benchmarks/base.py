"""The Benchmark seam: what every benchmark returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

BenchStatus = Literal["ok", "failed", "timeout", "error"]


class BenchResult(BaseModel):
    """One benchmark's measurement of one tree."""

    name: str
    score: float = Field(ge=0.0, le=1.0)
    raw: dict[str, Any] = Field(default_factory=dict)
    status: BenchStatus = "ok"
    duration_s: float = 0.0
    detail: str = ""
    sandbox: str = Field(
        "", description="The sandbox the measuring run used (bwrap, landlock, ...)."
    )
    custom: bool = Field(False, description="A user's evaluator from the config's custom list.")
    samples: list[float] = Field(
        default_factory=list, description="Each run's score when repeated; score is their median."
    )
