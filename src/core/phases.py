"""The phases of one generation: plan, implement, review, benchmark, decide, on shared state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from self_improving_agent import __version__
from self_improving_agent.analysis.repomap import build_repo_map, read_planned_files
from self_improving_agent.base.errors import PhaseFailed
from self_improving_agent.base.models import Build, EditResult, Plan, Review
from self_improving_agent.benchmarks.cache import tool_versions
from self_improving_agent.benchmarks.config import BenchConfig, load_bench_config
from self_improving_agent.benchmarks.context import environment_failure
from self_improving_agent.benchmarks.lost_check import LostTestCheck, judge_lost_tests
from self_improving_agent.benchmarks.pass_rate import NAME as TESTS
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.asking import ask
from self_improving_agent.core.candidate import (
    Candidate,
    bench_deltas,
    cannot_compare,
    measure_candidate,
)
from self_improving_agent.core.deps import Deps, RunOptions, next_number
from self_improving_agent.core.editing import (
    apply_changes,
    edit_stats,
    retry_messages,
    too_many_edits,
    too_many_files,
)
from self_improving_agent.core.evidence import architect_evidence, builder_evidence
from self_improving_agent.core.lessons import (
    lesson_lines,
    lesson_memory,
    plan_once_more_if_repeated,
    rejected_plans,
)
from self_improving_agent.core.personas import (
    architect_request,
    builder_request,
    prompt_hash,
    reviewer_request,
    round_lines,
)
from self_improving_agent.core.recorder import Recorder
from self_improving_agent.gates.decision import gather_facts, make_merge_decision
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.gates.merge_gates import merge_gates
from self_improving_agent.gates.vet import vet_generation
from self_improving_agent.gates.write_gates import write_gates
from self_improving_agent.git_ops.worktree import Workspace
from self_improving_agent.providers.base import CompletionRequest, GenerationScope, for_generation
from self_improving_agent.reports.report_model import BenchDelta, Reproducibility
from self_improving_agent.sandbox.sandbox import record


class Generation:
    """The state of one generation as its phases fill it in."""

    def __init__(self, deps: Deps, options: RunOptions) -> None:
        self.deps = deps
        self.options = options
        self.number = next_number(deps)
        self.rec = Recorder(deps.store, self.number, options.dry_run, deps.progress)
        self.ws: Workspace | None = None
        self.before: SuiteResult | None = None
        self.after: SuiteResult | None = None
        self.bench_config = BenchConfig()
        self.candidate: Candidate | None = None
        self.test_check: LostTestCheck | None = None
        self.plan: Plan | None = None
        self.edits: list[EditResult] = []
        self.review: Review | None = None
        self.originals: dict[str, str] = {}
        self.no_change_reason = "no change"
        self.memory = lesson_memory(deps.settings, deps.store, deps.repo)
        # Bound to the generation's worktree once plan_phase has made it.
        self.provider = deps.provider
        self.rec.report.reproducibility = Reproducibility(
            agent_version=__version__,
            provider=deps.provider.name,
            model=deps.settings.agent.model,
            tool_versions=tool_versions(),
            code_rules=options.code_rules,
            sandbox=record(deps.settings.sandbox.mode).model_dump(),
        )

    # phases

    def plan_phase(self) -> None:
        """Open the worktree, measure main's tree (cached) and ask the Architect for a plan."""
        deps, settings = self.deps, self.deps.settings
        self.ws = (
            deps.git.create_scratch(self.number)
            if self.options.dry_run
            else deps.git.create(self.number)
        )
        self.before = deps.measure(self.ws.path)
        # Main's benchmark config, read before any edit, judges the candidate.
        self.bench_config = load_bench_config(self.ws.path, settings)
        failure = environment_failure(self.before.results)
        if failure:
            # Main's own tree cannot be measured here: no candidate can be judged, none accepted.
            raise PhaseFailed("benchmark", f"main's tree cannot be measured: {failure}")
        repo_map = build_repo_map(
            self.ws.path, settings.agent.repo_map_tokens, settings.safety.blocked_patterns
        )
        history = deps.store.list_generations()[-6:-1]
        evidence = architect_evidence(self.before.results)
        lessons = lesson_lines(self.memory, self.before.results)
        request = architect_request(
            repo_map, self.before.results, history, self.options.goals, evidence, lessons
        )
        scope = GenerationScope(worktree=self.ws.path, rejected_plans=rejected_plans(self.memory))
        self.provider = for_generation(deps.provider, scope)

        def ask_plan(sent: CompletionRequest) -> Plan:
            return ask(self.provider, sent, Plan, self.rec.add_call)

        self.plan = ask_plan(request)
        self.rec.report.plan = self.plan
        self.plan = plan_once_more_if_repeated(self.memory, request, self.plan, ask_plan)
        self.rec.report.plan = self.plan
        self._hash("architect", prompt_hash(request))
        limit = settings.safety.max_files_per_generation
        if len(set(self.plan.files_to_modify)) > limit:
            raise PhaseFailed(
                "plan",
                f"the plan names {len(self.plan.files_to_modify)} files; the limit is {limit}",
            )

    def implement_phase(self) -> bool:
        """Ask the Builder, apply its edits through the gates, retry once; False when no change."""
        deps, plan, ws = self.deps, self._plan(), self._ws()
        blocked = deps.settings.safety.blocked_patterns
        files = read_planned_files(ws.path, plan.files_to_modify, blocked)
        self.originals = dict(files)
        evidence = builder_evidence(self._before().results, plan.files_to_modify)
        request = builder_request(plan, files, evidence=evidence)
        build = ask(self.provider, request, Build, self.rec.add_call)
        self._hash("builder", prompt_hash(request))
        if not build.changes:
            self.no_change_reason = f"no change: {build.summary or 'the Builder had nothing to do'}"
            return False
        self.edits = self._apply(build)
        if any(not e.applied for e in self.edits):
            fresh = read_planned_files(ws.path, plan.files_to_modify, blocked)
            retry = builder_request(plan, fresh, retry_messages(self.edits), evidence)
            second = ask(self.provider, retry, Build, self.rec.add_call)
            self.edits += self._apply(second)
        self.rec.report.edits = self.edits
        self.rec.report.edit_stats = edit_stats(self.edits)
        if not any(e.applied for e in self.edits):
            failures = "; ".join(e.error or "failed" for e in self.edits if not e.applied)
            raise PhaseFailed("implement", f"no edit could be applied: {failures}")
        if not self.options.dry_run:
            deps.git.commit(ws, f"agent gen-{self.number}: {plan.title}")
        self.rec.report.files_changed = deps.git.changed_files(ws)
        return True

    def _apply(self, build: Build) -> list[EditResult]:
        """Apply one build's changes through every write gate."""
        reason = too_many_edits(build) or too_many_files(
            build, self.deps.settings.safety.max_files_per_generation
        )
        if reason:
            raise PhaseFailed("implement", reason)
        # apply_changes puts its own path gate first; blocked names are the validator's path rules.
        root = self._ws().path
        return apply_changes(
            root,
            build.changes,
            write_gates(root, self.deps.settings, self.deps.policy, self.options.code_rules),
        )

    def review_phase(self) -> None:
        """Ask the Reviewer to judge the diff."""
        deps, plan, ws = self.deps, self._plan(), self._ws()
        rounds = round_lines(self.rec.report.repairs)
        request = reviewer_request(plan, deps.git.diff(ws), self.edits, rounds)
        self.review = ask(self.provider, request, Review, self.rec.add_call)
        self._hash("reviewer", prompt_hash(request))
        self.rec.report.review = self.review

    def benchmark_phase(self) -> None:
        """Measure the changed worktree stage by stage, repeated benchmarks beside main's tree."""
        deps = self.deps
        self.candidate = measure_candidate(
            self._ws().path,
            self._before(),
            self.bench_config,
            deps.measure,
            deps.compare or cannot_compare,
            self._main_tree,
        )
        self._judge_lost_tests()
        self.after = self._candidate().after
        self.rec.report.benchmarks = bench_deltas(self._candidate())
        self.rec.report.totals = _delta(self._before().total, self.after.total)
        self.rec.report.stage_rejection = self._candidate().rejection

    def _judge_lost_tests(self) -> None:
        """Main's tests and reruns judge the lost tests; flaky ones count as before."""
        deps, ws, candidate = self.deps, self._ws(), self._candidate()
        if TESTS in candidate.skipped:
            # A stage stopped the candidate before its tests ran: no test was lost or rerun.
            return
        self.test_check, after = judge_lost_tests(
            ws.path,
            ws.base_sha,
            deps.settings,
            self.rec.report.files_changed,
            self._before(),
            candidate.after,
            self.bench_config,
            ref=deps.git.main_branch,
            note=deps.progress,
        )
        self.rec.report.tests_check = self.test_check
        # Only plain (unrepeated) results change here, so the counted delta moves with the total.
        self.candidate = candidate.model_copy(
            update={
                "after": after,
                "counted_delta": candidate.counted_delta + after.total - candidate.after.total,
            }
        )

    @contextmanager
    def _main_tree(self) -> Iterator[Path]:
        """A throwaway checkout of the commit the generation started from, removed after use."""
        git, ws = self.deps.git, self._ws()
        path = git.create_detached(f"before-{self.number}", ws.base_sha)
        try:
            yield path
        finally:
            git.remove_worktree(path)

    def decide_phase(self) -> Decision:
        """Gather the facts once, run the merge gates over them and take the pure decision."""
        deps, settings, ws = self.deps, self.deps.settings, self._ws()
        candidate = self._candidate()
        files_changed = self.rec.report.files_changed
        bench_config = settings.benchmarks.config
        vetted = vet_generation(ws.path, ws.base_sha, settings.safety, bench_config)
        facts = gather_facts(
            candidate.before,
            candidate.after.results,
            candidate.counted_delta,
            review=self.review,
            review_consensus=settings.agent.review_consensus,
            edits=self.edits,
            files_changed=files_changed,
            stage_rejection=candidate.rejection,
            skipped=candidate.skipped,
            noise=candidate.noise(),
            check=self.test_check,
            held=vetted.for_person(),
        )
        gates = merge_gates(
            deps.policy,
            settings,
            ws.path,
            facts,
            originals=self.originals,
            files_changed=files_changed,
            vetted=vetted,
        )
        self.rec.report.gates = gates
        decision = make_merge_decision(
            facts, gates, settings.agent.benchmark_threshold, settings.safety.require_tests
        )
        self.rec.report.decision = decision
        return decision

    # helpers

    def _hash(self, persona: str, value: str) -> None:
        """Keep the prompt hash of a persona for reproducibility."""
        self.rec.report.reproducibility.prompt_hashes[persona] = value

    def _plan(self) -> Plan:
        """The plan, which later phases require."""
        if self.plan is None:
            raise PhaseFailed("implement", "no plan")
        return self.plan

    def _ws(self) -> Workspace:
        """The workspace, which every phase after plan requires."""
        if self.ws is None:
            raise PhaseFailed("plan", "no worktree")
        return self.ws

    def _before(self) -> SuiteResult:
        """The before-scores."""
        if self.before is None:
            raise PhaseFailed("benchmark", "no before-scores")
        return self.before

    def _after(self) -> SuiteResult:
        """The after-scores."""
        if self.after is None:
            raise PhaseFailed("benchmark", "no after-scores")
        return self.after

    def _candidate(self) -> Candidate:
        """The candidate's measurement."""
        if self.candidate is None:
            raise PhaseFailed("benchmark", "no after-scores")
        return self.candidate


def _delta(before: float | None, after: float | None) -> BenchDelta:
    """Before, after and their difference."""
    diff = None if before is None or after is None else round(after - before, 6)
    return BenchDelta(before=before, after=after, delta=diff)
