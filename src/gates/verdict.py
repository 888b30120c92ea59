"""The per-write seam: what a write gate answers and the Protocol every write gate meets."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field


class GateVerdict(BaseModel):
    """One gate's answer to one write."""

    allowed: bool
    reasons: list[str] = Field(default_factory=list)
    gate: str


class WriteGate(Protocol):
    """Anything that may refuse a single write before it reaches the disk."""

    def check(self, path: str, content: str, *, new_file: bool, lines_changed: int) -> GateVerdict:
        """Allow or refuse writing content to the repo-relative path."""
        ...
