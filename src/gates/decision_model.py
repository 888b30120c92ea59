"""The merge decision as the decision module hands it on: accepted or not, and why."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Decision(BaseModel):
    """The merge decision and every reason behind it."""

    accepted: bool
    reasons: list[str]
    needs_human: list[str] = Field(
        default_factory=list,
        description="Why an accepted change must not merge without a person (PR review or "
        "`agent merge`).",
    )
    evidence: str = Field(
        "",
        description="The diff of the tests, tool settings and suppressions that sent it to a "
        "person (main's checks measured it without them).",
    )
