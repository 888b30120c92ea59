"""One finding of the code scan."""

from __future__ import annotations

from pydantic import BaseModel


class CodeFinding(BaseModel):
    """One rule broken at one place; line and col are 1-based."""

    rule: str
    message: str
    line: int
    col: int
