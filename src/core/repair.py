"""Repair rounds: a change that broke what worked goes back to the Builder with the evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from self_improving_agent.analysis.repomap import read_planned_files
from self_improving_agent.base.errors import (
    PersonaReplyError,
    PhaseFailed,
    ProviderAuthError,
    ProviderError,
    StoreError,
)
from self_improving_agent.base.models import EditResult
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.core.candidate import Candidate
from self_improving_agent.core.editing import retry_messages
from self_improving_agent.core.phases import apply_build, measure
from self_improving_agent.core.regressions import Regressions, evidence_lines, find_regressions
from self_improving_agent.core.values import Built, Context, Planned, Repaired
from self_improving_agent.gates.merge_gates import smoke_gate
from self_improving_agent.reports.report_model import RepairRound


class RepairFailed(PhaseFailed):
    """Repair rounds that ended the generation, with the change and the rounds as they were."""

    def __init__(self, phase: str, message: str, reached: Repaired) -> None:
        super().__init__(phase, message)
        self.reached = reached


def failed_checks(ctx: Context, planned: Planned) -> list[str]:
    """The post-change checks ([safety] smoke_commands) that fail in the worktree now."""
    config = ctx.deps.config
    if not config.safety.smoke_commands:
        return []
    return smoke_gate(planned.ws.path, config.safety, config.benchmarks, config.sandbox).reasons


def regressions_of(
    ctx: Context, planned: Planned, built: Built, results: Sequence[BenchResult]
) -> Regressions:
    """What the worktree, measured as results, broke compared with main's tree."""
    checks = failed_checks(ctx, planned)
    return find_regressions(planned.before.results, results, built.files_changed, checks)


def merged(results: Sequence[BenchResult], fresh: Sequence[BenchResult]) -> list[BenchResult]:
    """Results with the freshly measured ones in place of their older versions."""
    by_name = {r.name: r for r in fresh}
    return [by_name.get(r.name, r) for r in results]


def _scores(results: Sequence[BenchResult]) -> dict[str, float]:
    """Each result's score by name."""
    return {r.name: r.score for r in results}


def repair(ctx: Context, planned: Planned, built: Built, candidate: Candidate) -> Repaired:
    """Give the Builder up to [agent] repair_rounds chances to fix what its change broke."""
    limit = ctx.deps.config.agent.repair_rounds
    if limit == 0 or candidate.rejection:
        # A stage that stopped the candidate left later benchmarks unmeasured: nothing to compare.
        return Repaired(built, candidate)
    latest = list(candidate.after.results)
    found = regressions_of(ctx, planned, built, latest)
    if found.empty():
        return Repaired(built, candidate)
    rounds = [
        RepairRound(
            round=0,
            edits=list(built.edits),
            scores=_scores(latest),
            regressions=found.summary(),
            outcome="the first change",
        )
    ]
    changed_tree = False
    failed_edits: list[str] = []
    try:
        for number in range(1, limit + 1):
            entry, edits = _ask_and_apply(ctx, planned, built, found, failed_edits, number, rounds)
            built = replace(built, edits=(*built.edits, *edits))
            failed_edits = retry_messages(entry.edits)
            rounds[-1] = entry
            if entry.outcome:
                break
            if not any(e.applied for e in edits):
                rounds[-1] = entry.model_copy(update={"outcome": "no repair edit could be applied"})
                continue
            changed_tree = True
            built, candidate, latest, found, entry = _measure_round(
                ctx, planned, built, candidate, latest, found, entry
            )
            rounds[-1] = entry
            if entry.fixed:
                return Repaired(built, candidate, tuple(rounds))
    except (ProviderAuthError, StoreError):
        raise
    except PhaseFailed as exc:
        raise RepairFailed(
            exc.phase, exc.message, Repaired(built, candidate, tuple(rounds))
        ) from exc
    except Exception as exc:
        message = str(exc) or type(exc).__name__
        raise RepairFailed("repair", message, Repaired(built, candidate, tuple(rounds))) from exc
    reached = Repaired(built, candidate, tuple(rounds))
    # When no round changed the tree, the decision judges the first change as it was measured.
    if changed_tree:
        raise RepairFailed(
            "repair",
            f"{len(rounds) - 1} repair round(s) did not fix what the change broke:"
            f" {found.summary()}",
            reached,
        )
    return reached


def _ask_and_apply(
    ctx: Context,
    planned: Planned,
    built: Built,
    found: Regressions,
    failed_edits: list[str],
    number: int,
    rounds: list[RepairRound],
) -> tuple[RepairRound, list[EditResult]]:
    """One round's request and edits; the round's outcome is set when it ends the repair."""
    limit = ctx.deps.config.agent.repair_rounds
    evidence = [*(f"- {m}" for m in failed_edits), *evidence_lines(found)]
    paths = list(dict.fromkeys([*planned.plan.files_to_modify, *built.files_changed]))
    files = read_planned_files(planned.ws.path, paths, ctx.deps.config.safety.blocked_patterns)
    entry = RepairRound(round=number, evidence=evidence)
    # Kept before the request, so that a round that crashes is still in the report.
    rounds.append(entry)
    try:
        answer = planned.mind.repair(planned.plan, files, evidence, number, limit)
    except ProviderAuthError:
        raise
    except (ProviderError, PersonaReplyError) as exc:
        return entry.model_copy(update={"outcome": f"the repair request failed: {exc}"}), []
    reply = answer.build
    entry = entry.model_copy(update={"evidence_tokens": answer.evidence_tokens})
    rounds[-1] = entry
    if not reply.changes:
        reason = reply.summary or "no reason given"
        return entry.model_copy(update={"outcome": f"the Builder made no repair: {reason}"}), []
    try:
        # The same write gates as the first change.
        edits = apply_build(ctx, planned, reply)
    except PhaseFailed as exc:
        return entry.model_copy(update={"outcome": f"the repair was refused: {exc.message}"}), []
    return entry.model_copy(update={"edits": edits}), edits


def _measure_round(
    ctx: Context,
    planned: Planned,
    built: Built,
    candidate: Candidate,
    latest: list[BenchResult],
    found: Regressions,
    entry: RepairRound,
) -> tuple[Built, Candidate, list[BenchResult], Regressions, RepairRound]:
    """Commit the round, re-measure what it could change, and in full once nothing is broken."""
    # Only the benchmarks that showed the regression run; the same tree's other results come
    # from the cache when the full suite runs.
    deps, ws = ctx.deps, planned.ws
    if not ctx.options.dry_run:
        deps.git.commit(ws, f"agent gen-{ctx.number}: repair round {entry.round}")
    built = replace(built, files_changed=tuple(deps.git.changed_files(ws)))
    scores = entry.scores
    if found.benchmarks:
        fresh = deps.measure(ws.path, found.benchmarks).results
        latest = merged(latest, fresh)
        scores = _scores(fresh)
    now = regressions_of(ctx, planned, built, latest)
    if now.empty():
        # The full suite, before any merge: the round may have broken what it was not shown.
        candidate = measure(ctx, planned, built)
        latest = list(candidate.after.results)
        scores = _scores(latest)
        now = regressions_of(ctx, planned, built, latest)
    fixed = now.empty()
    entry = entry.model_copy(
        update={
            "scores": scores,
            "regressions": now.summary(),
            "fixed": fixed,
            "outcome": "fixed" if fixed else "still broken",
        }
    )
    return built, candidate, latest, now, entry
