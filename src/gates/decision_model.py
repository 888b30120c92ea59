"""The merge decision as the decision module hands it on: accepted or not, and why."""

from __future__ import annotations

from pydantic import BaseModel


class Decision(BaseModel):
    """The merge decision and every reason behind it."""

    accepted: bool
    reasons: list[str]
