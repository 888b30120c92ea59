"""A run on one repository: wiring, crash recovery, the loop and its circuit breaker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from src.base.config import Settings
from src.base.errors import AgentError
from src.base.exclude import ensure_excluded
from src.base.models import GenerationStatus
from src.base.store import Store
from src.benchmarks.runner import SuiteResult, run_benchmarks
from src.gates.policy import PolicyGate, default_policies_dir
from src.git_ops.worktree import GenerationGit
from src.pipeline.generation import Deps, GenerationOutcome, RunOptions, run_generation
from src.pipeline.pr_mode import connect
from src.pipeline.selfhost import check_after_merge, is_self_hosted
from src.providers.base import Provider

PrMode = Literal["off", "review", "auto"]
OPEN_STATUSES: tuple[GenerationStatus, ...] = ("pending", "awaiting_review")


class LoopResult(BaseModel):
    """What `agent loop` did and the exit code it ends with."""

    outcomes: list[GenerationOutcome]
    exit_code: int = 0
    message: str = ""
    handoff: int = 0


def open_deps(
    repo: Path,
    settings: Settings,
    store: Store,
    progress: Callable[[str], None],
    provider: Provider,
    github: PrMode = "off",
) -> Deps:
    """Everything a generation needs, built once: policy, git, PR flow, self-hosting check."""
    policy = PolicyGate.load(default_policies_dir(), settings.safety)
    git = GenerationGit(repo, settings.agent.main_branch)
    ensure_excluded(repo, ["/.agent/", f"/{settings.agent.reports_dir.strip('/')}/"])
    flow = None
    if github != "off":
        flow = connect(repo, settings, store, git, auto=github == "auto")
        flow.check_ready()

    def measure(path: Path) -> SuiteResult:
        """Benchmarks of a tree, answered from the cache when the tree is unchanged."""
        return run_benchmarks(path, settings, store=store, use_cache=settings.benchmarks.cache)

    after_merge = check_after_merge if is_self_hosted(repo) else None
    return Deps(repo, settings, store, provider, git, measure, policy, progress, flow, after_merge)


def recover(deps: Deps) -> list[int]:
    """Mark generations a killed process left running as interrupted and clean their git state."""
    interrupted = []
    for entry in deps.store.list_generations("running"):
        deps.store.update_generation(
            entry.generation,
            status="interrupted",
            reason=f"interrupted: the process stopped during phase {entry.phase or 'start'}",
        )
        interrupted.append(entry.generation)
    keep = [e.generation for e in deps.store.list_generations(*OPEN_STATUSES)]
    deps.git.cleanup(keep)
    return interrupted


def _over_budget(store: Store, max_cost: float | None) -> str | None:
    """Why the next generation would exceed --max-cost, or None."""
    if max_cost is None:
        return None
    spent = store.total_cost()
    finished = [e for e in store.list_generations() if e.status != "running"]
    average = spent / len(finished) if finished else 0.0
    if spent + average > max_cost:
        return (
            f"stopping: spent ${spent:.4f} so far and a generation costs ${average:.4f} on average,"
            f" which would pass --max-cost ${max_cost:.4f}"
        )
    return None


def run_loop(
    deps: Deps, options: RunOptions, max_generations: int, max_cost: float | None = None
) -> LoopResult:
    """Run up to max_generations; stop early on the budget or the circuit breaker."""
    outcomes: list[GenerationOutcome] = []
    failures = idle = 0
    limit = deps.settings.agent.max_consecutive_failures
    idle_limit = deps.settings.agent.max_idle_generations
    for done in range(1, max_generations + 1):
        budget = _over_budget(deps.store, max_cost)
        if budget:
            return LoopResult(outcomes=outcomes, exit_code=0, message=budget)
        if deps.pr is not None:
            for line in deps.pr.poll():
                deps.progress(line)
        outcome = run_generation(deps, options)
        if outcome.status == "accepted" and not options.dry_run and deps.after_merge is not None:
            outcome = deps.after_merge(deps, outcome)
            if outcome.status == "accepted" and done < max_generations:
                # The agent just merged into itself: the new code must run the next round.
                outcomes.append(outcome)
                return LoopResult(outcomes=outcomes, handoff=max_generations - done)
        outcomes.append(outcome)
        failures = failures + 1 if outcome.errored else 0
        idle = idle + 1 if outcome.status == "no_change" else 0
        if idle >= idle_limit and done < max_generations:
            return LoopResult(
                outcomes=outcomes,
                exit_code=0,
                message=f"stopping: {idle} generations in a row found nothing to change (the"
                f" last: {outcome.reason}); raise [agent] max_idle_generations to keep trying",
            )
        if failures >= limit:
            return LoopResult(
                outcomes=outcomes,
                exit_code=1,
                message=f"stopping: {failures} generations failed in a row (the last: "
                f"{outcome.reason}); fix the cause or raise [agent] max_consecutive_failures",
            )
    return LoopResult(outcomes=outcomes)


def _require_pending(store: Store, number: int) -> None:
    """Refuse to act on a generation that is not pending."""
    entry = store.get_generation(number)
    if entry is None or entry.status != "pending":
        state = entry.status if entry else "unknown"
        raise AgentError(f"generation {number} is {state}, not pending; see `agent status`")


def merge_pending(store: Store, git: GenerationGit, number: int) -> str:
    """Merge a pending generation, re-checking that main has not moved in a conflicting way."""
    _require_pending(store, number)
    ws = git.workspace(number)
    sha = git.merge(ws)
    git.remove(ws)
    store.update_generation(number, status="accepted", reason=f"merged as {sha[:10]} by hand")
    return sha


def discard_pending(store: Store, git: GenerationGit, number: int) -> None:
    """Reject a pending generation: its commit stays under refs/agent/rejected/gen-N."""
    _require_pending(store, number)
    git.reject(git.workspace(number))
    store.update_generation(number, status="rejected", reason="discarded by hand")
