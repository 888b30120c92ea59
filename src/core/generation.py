"""One generation run to its end: phases in order, merge or reject, every failure recorded."""

from __future__ import annotations

from self_improving_agent.base.errors import (
    MergeConflict,
    PhaseFailed,
    ProviderAuthError,
    Stopped,
    StoreError,
)
from self_improving_agent.base.models import GenerationStatus
from self_improving_agent.core.deps import (
    Deps,
    GenerationOutcome,
    Measure,
    PullRequestFlow,
    RunOptions,
    next_number,
    reports_dir,
)
from self_improving_agent.core.lessons import lesson_of, remember
from self_improving_agent.core.phases import Generation
from self_improving_agent.core.repair import repair_phase
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.git_ops.worktree import MergeRefused
from self_improving_agent.reports.report_files import report_path

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
    gen = Generation(deps, options)
    rec = gen.rec
    status: GenerationStatus = "rejected"
    reason = ""
    try:
        with rec.phase("plan"):
            gen.plan_phase()
        with rec.phase("implement"):
            changed = gen.implement_phase()
        if not changed:
            status, reason = "no_change", gen.no_change_reason
            _discard(gen)
        else:
            with rec.phase("benchmark"):
                gen.benchmark_phase()
            with rec.phase("repair"):
                repair_phase(gen)
            with rec.phase("review"):
                gen.review_phase()
            with rec.phase("decide"):
                decision = gen.decide_phase()
            with rec.phase("merge"):
                status, reason = _merge_or_reject(gen, decision)
    except PhaseFailed as exc:
        status, reason = "rejected", f"{exc.phase} failed: {exc.message}"
        rec.report.decision = rec.report.decision or Decision(accepted=False, reasons=[reason])
        _discard(gen)
    except ProviderAuthError as exc:
        _discard(gen)
        rec.finish("rejected", f"the provider refused the credentials: {exc}", reports_dir(deps))
        raise
    except StoreError:
        # The store cannot be written; the next start's recovery records what is left.
        _discard(gen)
        raise
    except BaseException as exc:
        merged = None if options.dry_run else deps.git.merged_commit(gen.number)
        if merged is not None:
            # Main already holds the change: record that truth, not an interruption.
            _discard(gen)
            rec.finish("accepted", f"merged as {merged[:10]}; then stopped", reports_dir(deps))
            raise
        _discard(gen)
        rec.finish("interrupted", interrupted_reason(exc), reports_dir(deps))
        raise
    before = gen.before.total if gen.before else None
    after = gen.after.total if gen.after else None
    try:
        with rec.phase("record"):
            path = rec.finish(status, str(reason), reports_dir(deps), before, after)
    except PhaseFailed as exc:
        # The report could not be written; the store row still gets the outcome, so that the
        # generation is not mistaken for a killed one, and the failure counts for the breaker.
        reason = f"{reason}; record failed: {exc.message}"
        deps.store.update_generation(gen.number, status=status, reason=reason)
        path = report_path(reports_dir(deps), gen.number)
    if gen.plan is not None:
        repairs = rec.report.repairs
        lesson = lesson_of(gen.number, gen.plan, status, str(reason), gen.edits, repairs)
        remember(gen.memory, lesson)
    return GenerationOutcome(
        generation=gen.number,
        status=status,
        reason=str(reason),
        report_path=str(path),
        delta=None if before is None or after is None else after - before,
        errored=bool(rec.report.errors),
    )


def interrupted_reason(exc: BaseException) -> str:
    """Why a generation stopped half-way: Ctrl-C, a termination signal, or another escape."""
    if isinstance(exc, Stopped):
        return f"interrupted by {exc.signal_name}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by the user"
    return f"interrupted: {type(exc).__name__}: {exc}"


def _merge_or_reject(gen: Generation, decision: Decision) -> tuple[GenerationStatus, str]:
    """Act on the decision: merge, keep pending, or reject and clean up."""
    deps, ws = gen.deps, gen._ws()
    summary = "; ".join(decision.reasons)
    if gen.options.dry_run:
        deps.git.remove_scratch(ws)
        return ("accepted" if decision.accepted else "rejected"), f"dry run: {summary}"
    if not decision.accepted:
        deps.git.reject(ws)
        return "rejected", summary
    if deps.pr is not None:
        return deps.pr.submit(gen.number, ws, gen.rec.report)
    if decision.needs_human:
        why = "; ".join(decision.needs_human)
        return "pending", f"accepted, waiting for a person to `agent merge {gen.number}`: {why}"
    if not gen.options.auto_merge:
        return "pending", f"accepted, waiting for `agent merge {gen.number}`: {summary}"
    try:
        sha = deps.git.merge(ws)
    except MergeConflict as exc:
        deps.git.reject(ws)
        return "rejected", f"merge refused: {exc}"
    except MergeRefused as exc:
        # Refused is not rejected: the change was accepted and waits, whole, for the way to clear.
        return "pending", f"accepted, waiting for `agent merge {gen.number}`: {exc}"
    deps.git.remove(ws)
    note = deps.git.checkout_note(ws.target or deps.git.main_branch)
    return "accepted", f"merged as {sha[:10]}{f' ({note})' if note else ''}: {summary}"


def _discard(gen: Generation) -> None:
    """Remove whatever the generation left in git; never raises over the original failure."""
    ws = gen.ws
    if ws is None:
        return
    try:
        if gen.options.dry_run:
            gen.deps.git.remove_scratch(ws)
        else:
            gen.deps.git.reject(ws)
    except Exception as exc:
        gen.rec.report.errors.append({"phase": "cleanup", "message": str(exc)})
    gen.ws = None
