"""A run on one repository: wiring, crash recovery, the loop and its circuit breaker."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import AgentError, MergeConflict
from self_improving_agent.base.exclude import ensure_excluded
from self_improving_agent.base.models import GenerationStatus, LlmCall
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.benchmarks.compare import compare_repeated
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.early import early_stage
from self_improving_agent.benchmarks.lost_check import LostTestCheck, judge_lost_tests
from self_improving_agent.benchmarks.repeats import Comparison
from self_improving_agent.benchmarks.runner import SuiteResult, run_benchmarks
from self_improving_agent.benchmarks.scratch import sweep_scratch
from self_improving_agent.core.budget import next_over_budget
from self_improving_agent.core.deps import GenerationConfig
from self_improving_agent.core.generation import (
    Deps,
    GenerationOutcome,
    RunOptions,
    reports_dir,
    run_generation,
)
from self_improving_agent.core.judge_exec import running_judge
from self_improving_agent.core.judge_settings import SettingsSource, judge_settings, settings_source
from self_improving_agent.core.own_repo import is_self_hosted
from self_improving_agent.core.pr_mode import connect
from self_improving_agent.core.selfhost import check_after_merge
from self_improving_agent.gates.policy import PolicyGate, default_policies_dir
from self_improving_agent.git_ops.main_branch import resolve_main_branch
from self_improving_agent.git_ops.mainline import checkout_lag
from self_improving_agent.git_ops.worktree import GenerationGit
from self_improving_agent.providers.base import Provider
from self_improving_agent.reports.report_files import (
    amend_report,
    report_path,
    report_patterns,
    write_report,
)
from self_improving_agent.reports.report_model import GenerationReport

PrMode = Literal["off", "review", "auto"]
OPEN_STATUSES: tuple[GenerationStatus, ...] = ("pending", "awaiting_review")


class LoopResult(BaseModel):
    """What `agent loop` did and the exit code it ends with."""

    outcomes: list[GenerationOutcome]
    exit_code: int = 0
    message: str = ""


def open_deps(
    repo: Path,
    settings: Settings,
    store: Store,
    progress: Callable[[str], None],
    provider: Provider,
    github: PrMode = "off",
    source: SettingsSource | None = None,
) -> Deps:
    """Everything a generation needs, built once: policy, git, PR flow, self-hosting check;
    the judge's benchmark config and files from source (the pin's or main's commit)."""
    policy = PolicyGate.load(default_policies_dir(), settings.safety)
    git = GenerationGit(repo, resolve_main_branch(repo, settings.agent.main_branch))
    source = source or settings_source(repo, os.environ, git.main_branch)
    judge = judge_settings(repo, source, settings.benchmarks)
    # A stale git lock would stop the merge at the end: say so before any work is done.
    if locked := git.lock_problem():
        raise AgentError(f"{locked}.")
    ensure_excluded(repo, ["/.agent/", *report_patterns(settings.agent.reports_dir)])
    # The full name: a tag or remote branch called like the main line must never be measured.
    main_ref = f"refs/heads/{git.main_branch}"
    flow = None
    if github != "off":
        flow = connect(
            repo, settings.github, settings.agent.reports_dir, store, git, auto=github == "auto"
        )
        flow.check_ready()
    sections = MeasureSections(
        settings.benchmarks, settings.sandbox, bench=judge.bench, pinned=judge.evaluators
    )

    def measure(path: Path, only: Sequence[str] | None = None) -> SuiteResult:
        """Benchmarks of a tree, answered from the cache when the tree is unchanged."""
        return run_benchmarks(
            path,
            sections,
            only=only,
            store=store,
            use_cache=settings.benchmarks.cache,
            ref=main_ref,
            note=progress,
        )

    def compare(before: Path, after: Path, names: Sequence[str]) -> dict[str, Comparison]:
        """Repeated benchmarks of main's tree and the candidate's, interleaved, never cached."""
        return compare_repeated(
            before,
            after,
            sections,
            names,
            settings.agent.significance,
            store=store,
            ref=main_ref,
            note=progress,
        )

    def judge_tests(
        tree: Path,
        base: str,
        files_changed: Sequence[str],
        before: SuiteResult,
        after: SuiteResult,
        config: BenchConfig,
        own: Path | None = None,
    ) -> tuple[LostTestCheck, SuiteResult]:
        """Reruns judge the candidate's lost tests (flaky ones count as before); its own tests
        run apart in own."""
        return judge_lost_tests(
            tree,
            base,
            sections,
            files_changed,
            before,
            after,
            config,
            own=own,
            ref=main_ref,
            note=progress,
        )

    config = GenerationConfig(
        agent=settings.agent,
        safety=settings.safety,
        benchmarks=settings.benchmarks,
        sandbox=settings.sandbox,
        agentcore=settings.agentcore,
    )
    return Deps(
        repo=repo,
        config=config,
        store=store,
        provider=provider,
        git=git,
        measure=measure,
        judge_tests=judge_tests,
        policy=policy,
        progress=progress,
        pr=flow,
        after_merge=check_after_merge if is_self_hosted(repo) else None,
        compare=compare,
        early=partial(early_stage, store, sections, main_ref, progress)
        if settings.benchmarks.test_impact
        else None,
        judge_commit=running_judge(os.environ),
        bench=judge.bench,
        judge_files=judge.files,
    )


def recover(deps: Deps) -> list[str]:
    """Record what generations a stopped process left running really came to, clean git up.

    A generation whose commit is on main was merged and is recorded accepted; any other is
    recorded interrupted and its commit parked. Each gets the report it may lack. Returns one
    line per thing the user should know.
    """
    lines = []
    for entry in deps.store.list_generations("running"):
        n = entry.generation
        merged = None if entry.dry_run else deps.git.merged_commit(n)
        if merged is not None:
            status: GenerationStatus = "accepted"
            reason = f"merged as {merged[:10]}; the process stopped before recording it"
        else:
            status = "interrupted"
            reason = f"interrupted: the process stopped during phase {entry.phase or 'start'}"
        finished = now_iso()
        deps.store.update_generation(n, status=status, reason=reason, finished_at=finished)
        _report_if_missing(deps, n, status, entry.started_at, finished, entry.dry_run)
        lines.append(f"gen {n} was left running by a stopped process: marked {status}")
    for entry in deps.store.list_generations("pending"):
        if _already_merged(deps.store, deps.git, entry.generation):
            lines.append(f"gen {entry.generation} was merged by a stopped `agent merge`: recorded")
    keep = [e.generation for e in deps.store.list_generations(*OPEN_STATUSES)]
    # What the agent did not make is moved aside, never deleted, and the user is told where.
    lines += [done for done in deps.git.cleanup(keep) if "moved aside" in done]
    sweep_scratch()
    lag = checkout_lag(deps.git.root, deps.git.main_branch)
    return [*lines, *([lag] if lag else [])]


def _report_if_missing(
    deps: Deps, n: int, status: GenerationStatus, started: str, finished: str, dry_run: bool
) -> None:
    """Write the report of a generation whose process stopped before writing one."""
    folder = reports_dir(deps)
    path = report_path(folder, n)
    if path.is_file():
        existing = json.loads(path.read_text(encoding="utf-8")).get("status")
        if existing == status:
            return
    phases = [dict(p) for p in deps.store.phases(n)]
    report = GenerationReport(
        generation=n,
        status=status,
        dry_run=dry_run,
        started_at=started,
        finished_at=finished,
        phases=phases,
        llm_calls=[LlmCall.model_validate(c) for c in deps.store.llm_calls(n)],
    )
    write_report(report, folder)


def loop_generations(
    deps: Deps,
    options: RunOptions,
    max_generations: int,
    max_cost: float | None = None,
    ended: Callable[[GenerationOutcome], None] = lambda _: None,
) -> LoopResult:
    """Run up to max_generations, telling ended about each; stop on the budget or the breaker."""
    if max_cost is not None and options.max_cost is None:
        # The mind's calls inside a generation stop at the same budget.
        options = replace(options, max_cost=max_cost)
    outcomes: list[GenerationOutcome] = []
    failures = idle = 0
    limit = deps.config.agent.max_consecutive_failures
    idle_limit = deps.config.agent.max_idle_generations
    for done in range(1, max_generations + 1):
        budget = next_over_budget(deps.store, max_cost)
        if budget:
            return LoopResult(outcomes=outcomes, exit_code=0, message=budget)
        if deps.pr is not None:
            for line in deps.pr.poll():
                deps.progress(line)
        outcome = run_generation(deps, options)
        if outcome.status == "accepted" and not options.dry_run and deps.after_merge is not None:
            # The judge stays as it is: merged judge code judges nothing until promoted.
            outcome = deps.after_merge(deps, outcome)
        outcomes.append(outcome)
        ended(outcome)
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


def _already_merged(store: Store, git: GenerationGit, number: int) -> str | None:
    """Record a pending generation accepted when an earlier, stopped merge put it on main."""
    sha = git.merged_commit(number)
    if sha is not None:
        store.update_generation(
            number, status="accepted", reason=f"merged as {sha[:10]} by hand", finished_at=now_iso()
        )
        git.cleanup([e.generation for e in store.list_generations(*OPEN_STATUSES)])
    return sha


class Merged(BaseModel):
    """Where `agent merge N` put a generation: the commit, the branch, what checkouts did."""

    sha: str
    branch: str
    note: str = ""


def merge_pending(
    store: Store, git: GenerationGit, number: int, reports: Path | None = None
) -> Merged:
    """Merge a pending generation into the branch it was built from, re-checked against it."""
    _require_pending(store, number)
    branch = git.built_from(number)
    sha = _already_merged(store, git, number)
    if sha is not None:
        return Merged(sha=sha, branch=branch)
    if not git.has_branch(number):
        raise AgentError(
            f"generation {number} has no branch left to merge; record it with "
            f"`agent discard {number}`"
        )
    ws = git.workspace(number)
    try:
        sha = git.merge(ws)
    except MergeConflict as exc:
        raise MergeConflict(
            f"{exc}; resolve it on branch {ws.branch} and run `agent merge {number}` again, or "
            f"drop it with `agent discard {number}`"
        ) from None
    reason = f"merged as {sha[:10]} by hand"
    store.update_generation(number, status="accepted", reason=reason, finished_at=now_iso())
    left = git.tidy(ws)
    if reports is not None and report_path(reports, number).is_file():
        amend_report(report_path(reports, number), "accepted", reason=reason)
    notes = [n for n in (git.checkout_note(branch), left) if n]
    return Merged(sha=sha, branch=branch, note="; ".join(notes))


def discard_pending(store: Store, git: GenerationGit, number: int) -> None:
    """Reject a pending generation: its commit stays under refs/agent/rejected/gen-N."""
    _require_pending(store, number)
    sha = _already_merged(store, git, number)
    if sha is not None:
        raise AgentError(
            f"generation {number} is already on main as {sha[:10]} (a stopped merge); "
            "recorded it accepted"
        )
    if git.has_branch(number):
        git.reject(git.workspace(number))
        reason = "discarded by hand"
    else:
        reason = "discarded by hand; its branch was already gone"
    store.update_generation(number, status="rejected", reason=reason)
