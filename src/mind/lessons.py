"""Which lessons of earlier generations the Architect is shown: those about what is in play."""

from __future__ import annotations

from collections.abc import Sequence

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.mind.evidence import WEAKEST, findings_of

LESSONS_SHOWN = 5
FILES_IN_PLAY = 10


def terms_in_play(results: Sequence[BenchResult]) -> list[str]:
    """The weakest benchmarks' names and the files their findings point at."""
    weak = [r for r in sorted(results, key=lambda r: (r.score, r.name)) if r.score < 1.0]
    names = [r.name for r in weak[:WEAKEST]]
    files = [f.path for r in weak[:WEAKEST] for f in findings_of(r)]
    return [*names, *list(dict.fromkeys(files))[:FILES_IN_PLAY]]
