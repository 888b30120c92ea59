"""Repair rounds: a change that broke what worked goes back to the Builder with the evidence."""

from __future__ import annotations

from collections.abc import Sequence

from self_improving_agent.analysis.repomap import read_planned_files
from self_improving_agent.base.errors import (
    PersonaReplyError,
    PhaseFailed,
    ProviderAuthError,
    ProviderError,
)
from self_improving_agent.base.models import Build, EditResult
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.core.asking import ask
from self_improving_agent.core.editing import edit_stats, retry_messages
from self_improving_agent.core.personas import repair_request, request_tokens
from self_improving_agent.core.phases import Generation
from self_improving_agent.core.regressions import Regressions, evidence_lines, find_regressions
from self_improving_agent.gates.merge_gates import smoke_gate
from self_improving_agent.reports.report_model import RepairRound


def failed_checks(gen: Generation) -> list[str]:
    """The post-change checks ([safety] smoke_commands) that fail in the worktree now."""
    if not gen.deps.settings.safety.smoke_commands:
        return []
    return smoke_gate(gen._ws().path, gen.deps.settings).reasons


def regressions_of(gen: Generation, results: Sequence[BenchResult]) -> Regressions:
    """What the worktree, measured as results, broke compared with main's tree."""
    files = gen.rec.report.files_changed
    return find_regressions(gen._before().results, results, files, failed_checks(gen))


def merged(results: Sequence[BenchResult], fresh: Sequence[BenchResult]) -> list[BenchResult]:
    """Results with the freshly measured ones in place of their older versions."""
    by_name = {r.name: r for r in fresh}
    return [by_name.get(r.name, r) for r in results]


def repair_phase(gen: Generation) -> None:
    """Give the Builder up to [agent] repair_rounds chances to fix what its change broke."""
    rounds = gen.deps.settings.agent.repair_rounds
    if rounds == 0 or gen._candidate().rejection:
        # A stage that stopped the candidate left later benchmarks unmeasured: nothing to compare.
        return
    latest = list(gen._after().results)
    found = regressions_of(gen, latest)
    if found.empty():
        return
    report = gen.rec.report
    first = RepairRound(
        round=0,
        edits=list(gen.edits),
        scores={r.name: r.score for r in latest},
        regressions=found.summary(),
        outcome="the first change",
    )
    report.repairs.append(first)
    changed_tree = False
    failed_edits: list[str] = []
    for number in range(1, rounds + 1):
        entry = _ask_and_apply(gen, found, failed_edits, number, rounds)
        report.edits = gen.edits
        report.edit_stats = edit_stats(gen.edits)
        failed_edits = retry_messages(entry.edits)
        if entry.outcome:
            break
        if not any(e.applied for e in entry.edits):
            entry.outcome = "no repair edit could be applied"
            continue
        changed_tree = True
        latest, found = _measure_round(gen, latest, found, entry)
        if entry.fixed:
            return
    # When no round changed the tree, the decision judges the first change as it was measured.
    if changed_tree:
        done = len(report.repairs) - 1
        raise PhaseFailed(
            "repair",
            f"{done} repair round(s) did not fix what the change broke: {found.summary()}",
        )


def _ask_and_apply(
    gen: Generation, found: Regressions, failed_edits: list[str], number: int, rounds: int
) -> RepairRound:
    """One round's request and edits; outcome is set when the round ends the repair."""
    deps, ws, plan = gen.deps, gen._ws(), gen._plan()
    evidence = [*(f"- {m}" for m in failed_edits), *evidence_lines(found)]
    paths = list(dict.fromkeys([*plan.files_to_modify, *gen.rec.report.files_changed]))
    files = read_planned_files(ws.path, paths, deps.settings.safety.blocked_patterns)
    request = repair_request(plan, files, evidence, number, rounds)
    entry = RepairRound(round=number, evidence=evidence, evidence_tokens=request_tokens(request))
    # On record before the request, so that a round that crashes is still in the report.
    gen.rec.report.repairs.append(entry)
    try:
        build = ask(gen.provider, request, Build, gen.rec.add_call)
    except ProviderAuthError:
        raise
    except (ProviderError, PersonaReplyError) as exc:
        entry.outcome = f"the repair request failed: {exc}"
        return entry
    if not build.changes:
        entry.outcome = f"the Builder made no repair: {build.summary or 'no reason given'}"
        return entry
    try:
        # The same write gates as the first change: _apply is where they are applied.
        edits: list[EditResult] = gen._apply(build)
    except PhaseFailed as exc:
        entry.outcome = f"the repair was refused: {exc.message}"
        return entry
    entry.edits = edits
    gen.edits = [*gen.edits, *edits]
    return entry


def _measure_round(
    gen: Generation, latest: list[BenchResult], found: Regressions, entry: RepairRound
) -> tuple[list[BenchResult], Regressions]:
    """Commit the round, re-measure what it could change, and in full once nothing is broken."""
    # Only the benchmarks that showed the regression run; the same tree's other results come
    # from the cache when the full suite runs.
    deps, ws = gen.deps, gen._ws()
    if not gen.options.dry_run:
        deps.git.commit(ws, f"agent gen-{gen.number}: repair round {entry.round}")
    gen.rec.report.files_changed = deps.git.changed_files(ws)
    if found.benchmarks:
        fresh = deps.measure(ws.path, found.benchmarks).results
        latest = merged(latest, fresh)
        entry.scores = {r.name: r.score for r in fresh}
    now = regressions_of(gen, latest)
    if now.empty():
        # The full suite, before any merge: the round may have broken what it was not shown.
        gen.benchmark_phase()
        latest = list(gen._after().results)
        entry.scores = {r.name: r.score for r in latest}
        now = regressions_of(gen, latest)
    entry.regressions = now.summary()
    entry.fixed = now.empty()
    entry.outcome = "fixed" if entry.fixed else "still broken"
    return latest, now
