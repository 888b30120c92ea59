"""One generation run to its end: its values in a line, merge or reject, every failure recorded."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from self_improving_agent import __version__
from self_improving_agent.base.errors import (
    MergeConflict,
    PhaseFailed,
    ProviderAuthError,
    Stopped,
    StoreError,
)
from self_improving_agent.base.models import GenerationStatus
from self_improving_agent.benchmarks.cache import tool_versions
from self_improving_agent.core import phases
from self_improving_agent.core.assemble import assemble_report, scores
from self_improving_agent.core.deps import (
    Deps,
    GenerationOutcome,
    Measure,
    PullRequestFlow,
    RunOptions,
    next_number,
    reports_dir,
)
from self_improving_agent.core.lessons import lesson_memory, lesson_of, remember
from self_improving_agent.core.recorder import Recorder
from self_improving_agent.core.repair import RepairFailed, repair
from self_improving_agent.core.values import Context, Decided, Reached
from self_improving_agent.git_ops.judge_pin import judge_changes
from self_improving_agent.git_ops.worktree import MergeRefused
from self_improving_agent.reports.report_files import report_path
from self_improving_agent.reports.report_model import Reproducibility
from self_improving_agent.sandbox.sandbox import record

# The seam types stay importable from here, where the callers of a generation look for them.
__all__ = [
    "Deps",
    "GenerationOutcome",
    "Measure",
    "PullRequestFlow",
    "RunOptions",
    "interrupted_reason",
    "next_number",
    "reports_dir",
    "run_generation",
]


def run_generation(deps: Deps, options: RunOptions) -> GenerationOutcome:
    """Run one generation to its end; every failure becomes a recorded, cleaned-up outcome."""
    ctx = _context(deps, options)
    # The mind's process and scratch go with the generation, however it ends.
    with ctx.closing:
        return _run(ctx)


def _run(ctx: Context) -> GenerationOutcome:
    """The generation's phases in a line, its ending recorded."""
    deps, options = ctx.deps, ctx.options
    reached = Reached()
    status: GenerationStatus = "rejected"
    reason = ""
    failure: str | None = None
    try:
        with ctx.rec.phase("plan"):
            ws = phases.open_worktree(ctx)
            reached = replace(reached, ws=ws)
            planned = phases.plan(ctx, ws)
            reached = replace(reached, planned=planned)
            _refuse("plan", phases.plan_refusal(ctx, planned))
        with ctx.rec.phase("implement"):
            built = phases.build(ctx, planned)
            reached = replace(reached, built=built)
            _refuse("implement", phases.build_refusal(built))
        if built.no_change is not None:
            status, reason = "no_change", built.no_change
            _discard(ctx, reached)
        else:
            with ctx.rec.phase("benchmark"):
                candidate = phases.measure(ctx, planned, built)
                reached = replace(reached, candidate=candidate)
            with ctx.rec.phase("repair"):
                try:
                    repaired = repair(ctx, planned, built, candidate)
                except RepairFailed as exc:
                    reached = replace(reached, repaired=exc.reached)
                    raise
                reached = replace(reached, repaired=repaired)
            with ctx.rec.phase("review"):
                reviewed = phases.review(ctx, planned, repaired)
                reached = replace(reached, reviewed=reviewed)
            with ctx.rec.phase("decide"):
                decided = phases.decide(ctx, planned, repaired, reviewed)
                reached = replace(reached, decided=decided)
            with ctx.rec.phase("merge"):
                status, reason = _merge_or_reject(ctx, reached, decided)
    except PhaseFailed as exc:
        status, reason = "rejected", f"{exc.phase} failed: {exc.message}"
        failure = reason
        _discard(ctx, reached)
    except ProviderAuthError as exc:
        _discard(ctx, reached)
        why = f"the provider refused the credentials: {exc}"
        _finish(ctx, reached, "rejected", why, scored=False)
        raise
    except StoreError:
        # The store cannot be written; the next start's recovery records what is left.
        _discard(ctx, reached)
        raise
    except BaseException as exc:
        merged = None if options.dry_run else deps.git.merged_commit(ctx.number)
        _discard(ctx, reached)
        if merged is not None:
            # Main already holds the change: record that truth, not an interruption.
            _finish(
                ctx, reached, "accepted", f"merged as {merged[:10]}; then stopped", scored=False
            )
            raise
        _finish(ctx, reached, "interrupted", interrupted_reason(exc), scored=False)
        raise
    try:
        with ctx.rec.phase("record"):
            path = _finish(ctx, reached, status, reason, failure=failure)
    except PhaseFailed as exc:
        # The report could not be written; the store row still gets the outcome, so that the
        # generation is not mistaken for a killed one, and the failure counts for the breaker.
        reason = f"{reason}; record failed: {exc.message}"
        deps.store.update_generation(ctx.number, status=status, reason=reason)
        path = report_path(reports_dir(deps), ctx.number)
    _learn(ctx, reached, status, reason)
    before, after = scores(reached)
    return GenerationOutcome(
        generation=ctx.number,
        status=status,
        reason=reason,
        report_path=str(path),
        delta=None if before is None or after is None else after - before,
        errored=bool(ctx.rec.errors),
    )


def _context(deps: Deps, options: RunOptions) -> Context:
    """A new generation's number, its log in the store and what makes it reproducible."""
    number = next_number(deps)
    rec = Recorder(deps.store, number, options.dry_run, deps.progress)
    memory = lesson_memory(deps.config.agentcore, deps.store, deps.repo)
    reproducibility = Reproducibility(
        agent_version=__version__,
        provider=deps.provider.name,
        model=deps.config.agent.model,
        tool_versions=tool_versions(),
        code_rules=options.code_rules,
        sandbox=record(deps.config.sandbox.mode).model_dump(),
        judge_commit=deps.judge_commit,
        judge_files_ahead=_judge_ahead(deps),
    )
    return Context(deps, options, number, rec, memory, reproducibility)


def _judge_ahead(deps: Deps) -> list[str]:
    """The judge files main has changed since the pinned judge of this run (none unpinned)."""
    if not deps.judge_commit:
        return []
    return judge_changes(deps.repo, deps.judge_commit, deps.git.main_sha())


def _refuse(phase: str, why: str | None) -> None:
    """End the generation in phase when a pure check found a reason."""
    if why is not None:
        raise PhaseFailed(phase, why)


def _finish(
    ctx: Context,
    reached: Reached,
    status: GenerationStatus,
    reason: str,
    *,
    failure: str | None = None,
    scored: bool = True,
) -> Path:
    """Assemble the report from how far the generation got, write it and the final store row;
    scored puts main's and the candidate's totals on the row."""
    report = assemble_report(ctx, reached, status, failure=failure, reason=reason)
    before, after = scores(reached) if scored else (None, None)
    return ctx.rec.finish(report, reports_dir(ctx.deps), reason, before, after)


def _learn(ctx: Context, reached: Reached, status: GenerationStatus, reason: str) -> None:
    """Keep the lesson of a generation that got a plan."""
    if reached.planned is None:
        return
    change = reached.change()
    edits = list(change.edits) if change else []
    rounds = list(reached.repaired.rounds) if reached.repaired else []
    lesson = lesson_of(ctx.number, reached.planned.plan, status, reason, edits, rounds)
    remember(ctx.memory, lesson)


def interrupted_reason(exc: BaseException) -> str:
    """Why a generation stopped half-way: Ctrl-C, a termination signal, or another escape."""
    if isinstance(exc, Stopped):
        return f"interrupted by {exc.signal_name}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by the user"
    return f"interrupted: {type(exc).__name__}: {exc}"


def _merge_or_reject(
    ctx: Context, reached: Reached, decided: Decided
) -> tuple[GenerationStatus, str]:
    """Act on the decision: merge, keep pending, or reject and clean up."""
    deps, decision, number = ctx.deps, decided.decision, ctx.number
    ws = decided.ws
    summary = "; ".join(decision.reasons)
    if ctx.options.dry_run:
        deps.git.remove_scratch(ws)
        return ("accepted" if decision.accepted else "rejected"), f"dry run: {summary}"
    if not decision.accepted:
        deps.git.reject(ws)
        return "rejected", summary
    if deps.pr is not None:
        return deps.pr.submit(number, ws, assemble_report(ctx, reached, "running", finished=False))
    if decision.needs_human:
        why = "; ".join(decision.needs_human)
        return "pending", f"accepted, waiting for a person to `agent merge {number}`: {why}"
    if not ctx.options.auto_merge:
        return "pending", f"accepted, waiting for `agent merge {number}`: {summary}"
    try:
        sha = deps.git.merge(ws)
    except MergeConflict as exc:
        deps.git.reject(ws)
        kept = f"{deps.git.rejected_prefix}{number}"
        return "rejected", f"merge refused: {exc}, so it is rejected (its commits stay at {kept})"
    except MergeRefused as exc:
        # Refused is not rejected: the change was accepted and waits, whole, for the way to clear.
        return "pending", f"accepted, waiting for `agent merge {number}`: {exc}"
    # The merge has landed: what its clean-up leaves is a note, never a rejection.
    left = deps.git.tidy(ws)
    notes = [n for n in (deps.git.checkout_note(ws.target or deps.git.main_branch), left) if n]
    said = f" ({'; '.join(notes)})" if notes else ""
    return "accepted", f"merged as {sha[:10]}{said}: {summary}"


def _discard(ctx: Context, reached: Reached) -> None:
    """Remove whatever the generation left in git; never raises over the original failure."""
    ws = reached.ws
    if ws is None:
        return
    try:
        if ctx.options.dry_run:
            ctx.deps.git.remove_scratch(ws)
        else:
            ctx.deps.git.reject(ws)
    except Exception as exc:
        ctx.rec.note_error("cleanup", str(exc))
