"""The benchmark package's error: bad targets and bad benchmark config, in one sentence."""

from __future__ import annotations

from src.base.errors import AgentError


class BenchmarkError(AgentError):
    """The target cannot be measured as asked (not a git repository, unknown benchmark, ...)."""
