"""What `agent run`, `agent loop`, `agent merge` and `agent discard` do, minus option parsing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from src.core.config import Settings
from src.core.generation import GenerationOutcome, RunOptions
from src.core.session import discard_pending, merge_pending, open_deps, recover, run_loop
from src.core.store import Store

Echo = Callable[[str], None]

NO_SAFETY_WARNING = (
    "WARNING: --no-safety turns off the SafetyValidator's code rules (eval/exec, shell=True, ...)."
    " Path protection, protected functions and Cedar policies stay on."
)


def outcome_line(outcome: GenerationOutcome) -> str:
    """One line per generation: number, status, score delta and the reason."""
    delta = "" if outcome.delta is None else f" ({outcome.delta:+.4f})"
    reason = outcome.reason if len(outcome.reason) <= 160 else outcome.reason[:157] + "..."
    return f"gen {outcome.generation} {outcome.status}{delta}: {reason}"


def run_generations(
    repo: Path,
    settings: Settings,
    options: RunOptions,
    max_generations: int,
    max_cost: float | None,
    echo: Echo,
    progress: Echo,
) -> int:
    """Recover from any crash, run the generations, print a line each; returns the exit code."""
    if not options.code_rules:
        progress(NO_SAFETY_WARNING)
    with Store.for_repo(repo) as store:
        deps = open_deps(repo, settings, store, progress)
        for number in recover(deps):
            progress(f"gen {number} was left running by a stopped process: marked interrupted")
        result = run_loop(deps, options, max_generations, max_cost)
    for outcome in result.outcomes:
        echo(outcome_line(outcome))
    if result.message:
        progress(result.message)
    return result.exit_code


def merge_generation(repo: Path, settings: Settings, number: int, progress: Echo) -> str:
    """Merge a pending generation into main."""
    with Store.for_repo(repo) as store:
        return merge_pending(open_deps(repo, settings, store, progress), number)


def discard_generation(repo: Path, settings: Settings, number: int, progress: Echo) -> None:
    """Reject a pending generation."""
    with Store.for_repo(repo) as store:
        discard_pending(open_deps(repo, settings, store, progress), number)
