"""The phases of one generation, each a function from the values it needs to the next value."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from self_improving_agent.analysis.repomap import read_planned_files
from self_improving_agent.base.errors import PhaseFailed
from self_improving_agent.base.models import Build, EditResult, Review
from self_improving_agent.benchmarks.config import load_bench_config
from self_improving_agent.benchmarks.context import environment_failure
from self_improving_agent.benchmarks.lost_check import LostTestCheck
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.budget import over_budget
from self_improving_agent.core.candidate import Candidate, cannot_compare, measure_candidate
from self_improving_agent.core.cascade import early_rejection
from self_improving_agent.core.editing import (
    apply_changes,
    retry_messages,
    too_many_edits,
    too_many_files,
)
from self_improving_agent.core.lessons import (
    lesson_lines,
    plan_once_more_if_repeated,
    rejected_plans,
)
from self_improving_agent.core.mind_link import MindLink, Serving, open_mind
from self_improving_agent.core.reviewing import reviewer_request, round_lines
from self_improving_agent.core.values import Built, Context, Decided, Planned, Repaired, Reviewed
from self_improving_agent.gates.decision import gather_facts, make_merge_decision
from self_improving_agent.gates.merge_gates import merge_gates
from self_improving_agent.gates.vet import vet
from self_improving_agent.gates.vet.main_checks import apply_main_checks, held_checks
from self_improving_agent.gates.write_gates import write_gates
from self_improving_agent.git_ops.changeset import from_worktree
from self_improving_agent.git_ops.worktree import Workspace
from self_improving_agent.mind.messages import Start
from self_improving_agent.providers.asking import ask
from self_improving_agent.providers.base import prompt_hash


def open_worktree(ctx: Context) -> Workspace:
    """The generation's worktree: a branch agent/gen-N, or a scratch one for a dry run."""
    git = ctx.deps.git
    return git.create_scratch(ctx.number) if ctx.options.dry_run else git.create(ctx.number)


def plan(ctx: Context, ws: Workspace) -> Planned:
    """Measure main's tree (cached) in the worktree, start the mind and take its plan."""
    deps, config = ctx.deps, ctx.deps.config
    mind = ctx.closing.enter_context(_open_mind(ctx, ws))
    before = deps.measure(ws.path)
    # The judge's benchmark config, read once for the run, judges the candidate.
    bench_config = deps.bench or load_bench_config(ws.path, config.benchmarks)
    failure = environment_failure(before.results)
    if failure:
        # Main's own tree cannot be measured here: no candidate can be judged, none accepted.
        raise PhaseFailed("benchmark", f"main's tree cannot be measured: {failure}")
    mind.open(_start(ctx, before))
    first = mind.plan()
    chosen = plan_once_more_if_repeated(ctx.memory, first.plan, lambda n: mind.plan(n).plan)
    return Planned(ws, before, bench_config, chosen, deps.provider, first.prompt_hash, mind)


def _start(ctx: Context, before: SuiteResult) -> Start:
    """What the mind is told of the generation: main's scores, history, goals and limits."""
    deps, config = ctx.deps, ctx.deps.config
    return Start(
        results=list(before.results),
        history=deps.store.list_generations()[-6:-1],
        goals=list(ctx.options.goals),
        rejected_plans=rejected_plans(ctx.memory),
        repo_map_tokens=config.agent.repo_map_tokens,
        blocked_patterns=list(config.safety.blocked_patterns),
        protected_paths=list(config.safety.protected_paths),
        max_files=config.safety.max_files_per_generation,
        local=deps.provider.name == "offline",
    )


def _open_mind(ctx: Context, ws: Workspace) -> AbstractContextManager[MindLink]:
    """The generation's mind over main's tree at the worktree's base, served by this judge."""
    deps, config = ctx.deps, ctx.deps.config
    serving = Serving(
        provider=deps.provider,
        on_call=ctx.rec.add_call,
        lessons=lambda terms, limit: lesson_lines(ctx.memory, terms, limit),
        over_budget=lambda: over_budget(deps.store, ctx.options.max_cost),
        local=deps.provider.name == "offline",
    )
    return open_mind(
        deps.repo,
        ws.base_sha,
        ctx.number,
        config.safety.blocked_patterns,
        serving,
        mode=config.sandbox.mode,
        timeout_s=deps.mind_timeout_s,
        code=deps.mind_code,
    )


def plan_refusal(ctx: Context, planned: Planned) -> str | None:
    """Why the plan cannot go on (more files than [safety] allows), or None."""
    limit = ctx.deps.config.safety.max_files_per_generation
    count = len(set(planned.plan.files_to_modify))
    return f"the plan names {count} files; the limit is {limit}" if count > limit else None


def build(ctx: Context, planned: Planned) -> Built:
    """Ask the mind for edits, apply them through the gates, retry once, commit what applied."""
    deps, ws, chosen = ctx.deps, planned.ws, planned.plan
    blocked = deps.config.safety.blocked_patterns
    files = read_planned_files(ws.path, chosen.files_to_modify, blocked)
    first = planned.mind.build(chosen, files)
    if not first.build.changes:
        reason = f"no change: {first.build.summary or 'the Builder had nothing to do'}"
        return Built((), (), first.prompt_hash, no_change=reason)
    edits = apply_build(ctx, planned, first.build)
    if any(not e.applied for e in edits):
        fresh = read_planned_files(ws.path, chosen.files_to_modify, blocked)
        edits += apply_build(
            ctx, planned, planned.mind.build(chosen, fresh, retry_messages(edits)).build
        )
    if any(e.applied for e in edits) and not ctx.options.dry_run:
        deps.git.commit(ws, f"agent gen-{ctx.number}: {chosen.title}")
    return Built(tuple(edits), tuple(deps.git.changed_files(ws)), first.prompt_hash)


def apply_build(ctx: Context, planned: Planned, build: Build) -> list[EditResult]:
    """Apply one build's changes through every write gate (the first change's and repairs')."""
    config = ctx.deps.config
    reason = too_many_edits(build) or too_many_files(build, config.safety.max_files_per_generation)
    if reason:
        raise PhaseFailed("implement", reason)
    # apply_changes puts its own path gate first; blocked names are the validator's path rules.
    root = planned.ws.path
    gates = write_gates(root, config.safety, ctx.deps.policy, ctx.options.code_rules)
    return apply_changes(root, build.changes, gates)


def build_refusal(built: Built) -> str | None:
    """Why the change cannot go on (no edit could be applied), or None."""
    if built.applied() or built.no_change is not None:
        return None
    failures = "; ".join(e.error or "failed" for e in built.edits if not e.applied)
    return f"no edit could be applied: {failures}"


def measure(ctx: Context, planned: Planned, built: Built) -> Candidate:
    """Measure the change with main's tool settings and tests (a copy with main's checks put
    back, as `agent vet --measure` does): stages, repeats beside main's tree, the lost tests."""
    deps, ws = ctx.deps, planned.ws

    @contextmanager
    def main_tree() -> Iterator[Path]:
        """A throwaway checkout of the commit the generation started from, removed after use."""
        path = deps.git.create_detached(f"before-{ctx.number}", ws.base_sha)
        try:
            yield path
        finally:
            deps.git.remove_worktree(path)

    verdict = (
        deps.early(ws.path, ws.base_sha, built.files_changed, planned.before)
        if deps.early
        else None
    )
    if verdict is not None and verdict.lost:
        return early_rejection(planned.before, verdict)
    compare = deps.compare or cannot_compare
    tree = deps.git.create_detached(f"measured-{ctx.number}", ws.base_sha)
    try:
        apply_main_checks(tree, from_worktree(ws.path, ws.base_sha))

        def judge(after: SuiteResult) -> tuple[LostTestCheck, SuiteResult]:
            """Reruns judge the lost tests; the change's own tests run apart in its worktree."""
            files = built.files_changed
            return deps.judge_tests(
                tree, ws.base_sha, files, planned.before, after, planned.bench_config, ws.path
            )

        return measure_candidate(
            tree, planned.before, planned.bench_config, deps.measure, compare, main_tree, judge
        )
    finally:
        deps.git.remove_worktree(tree)


def review(ctx: Context, planned: Planned, repaired: Repaired) -> Reviewed:
    """Ask the Reviewer to judge the final diff with the repair rounds."""
    diff = ctx.deps.git.diff(planned.ws)
    edits = list(repaired.built.edits)
    request = reviewer_request(planned.plan, diff, edits, round_lines(list(repaired.rounds)))
    verdict = ask(planned.provider, request, Review, ctx.rec.add_call)
    return Reviewed(verdict, prompt_hash(request))


def decide(ctx: Context, planned: Planned, repaired: Repaired, reviewed: Reviewed) -> Decided:
    """Gather the facts once, run the merge gates over them and take the pure decision."""
    config, candidate = ctx.deps.config, repaired.candidate
    files_changed = list(repaired.built.files_changed)
    ws = planned.ws
    changes = from_worktree(ws.path, ws.base_sha)
    vetted = vet(ws.path, changes, config.safety, config.benchmarks.config, ctx.deps.judge_files)
    facts = gather_facts(
        candidate.before,
        candidate.after.results,
        candidate.counted_delta,
        review=reviewed.review,
        review_consensus=config.agent.review_consensus,
        edits=list(repaired.built.edits),
        files_changed=files_changed,
        stage_rejection=candidate.rejection,
        skipped=candidate.skipped,
        noise=candidate.noise(),
        check=candidate.check,
        held=vetted.for_person(),
        evidence=held_checks(changes, vetted),
    )
    gates = merge_gates(
        ctx.deps.policy,
        planned.ws.path,
        facts,
        safety=config.safety,
        benchmarks=config.benchmarks,
        sandbox=config.sandbox,
        vetted=vetted,
    )
    decision = make_merge_decision(
        facts, gates, config.agent.benchmark_threshold, config.safety.require_tests
    )
    return Decided(planned.ws, tuple(gates), decision)
