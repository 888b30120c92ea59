"""One capability of a module, and the kinds there are."""

from __future__ import annotations

from dataclasses import dataclass

from self_improving_agent.analysis.code_scan.finding import CodeFinding

PROCESS = "starts processes"
NETWORK = "network access"
CODE = "runs code from data"
WRITES = "writes outside the repository"
SECRETS = "reads credentials from the environment"
REACH = "reaches into other modules' attributes"
KINDS = (PROCESS, NETWORK, CODE, WRITES, SECRETS, REACH)


@dataclass(frozen=True)
class Capability:
    """One thing a module can do: what kind, through which target, with what arguments."""

    kind: str
    target: str
    detail: str
    line: int = 0
    rule: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """What two versions of a module are compared by (the line is only where it is)."""
        return (self.kind, self.target, self.detail)

    def describe(self) -> str:
        """One line for a person."""
        where = f" (line {self.line})" if self.line else ""
        return " ".join(p for p in (f"{self.kind}:", self.target, self.detail) if p) + where

    def finding(self) -> CodeFinding:
        """The capability as a finding of the scanner rule that saw it."""
        return CodeFinding(
            rule=self.rule or self.kind, message=self.describe(), line=self.line, col=1
        )
