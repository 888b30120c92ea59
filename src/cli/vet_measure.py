"""`agent vet --measure`: main and the change measured side by side, main's checks on both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.benchmarks.config import load_bench_config
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.lost_check import LostTestCheck, judge_lost_tests
from self_improving_agent.benchmarks.main_tests import counted, rate
from self_improving_agent.benchmarks.pass_rate import recorded_outcomes
from self_improving_agent.benchmarks.runner import SuiteResult, run_benchmarks
from self_improving_agent.gates.lost_rule import check_problem, judge_lost
from self_improving_agent.gates.vet.main_checks import apply_main_checks
from self_improving_agent.git_ops.changeset import ChangeSet


def _git(cwd: Path, *args: str) -> None:
    """Run git quietly; a failure is one sentence."""
    done = git(cwd, *args)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed in {cwd}: {last[-1] if last else 'no message'}")


def measure_change(
    repo: Path, changes: ChangeSet, settings: Settings, note: Callable[[str], None]
) -> dict[str, object]:
    """Both trees measured fresh, the change with main's checks as a generation is, its own
    tests run apart; the figures a generation decides on."""
    with scratch_dir("agent-vet-") as scratch:
        main_tree, candidate = Path(scratch) / "main", Path(scratch) / "candidate"
        own = Path(scratch) / "own"
        made: list[Path] = []
        try:
            for folder in (main_tree, candidate, own):
                _git(repo, "worktree", "add", "--detach", str(folder), changes.base)
                made.append(folder)
            apply_main_checks(candidate, changes)
            _git(own, "read-tree", "-u", "--reset", changes.tree)
            note("measuring main ...")
            sections = MeasureSections(benchmarks=settings.benchmarks, sandbox=settings.sandbox)
            before = run_benchmarks(main_tree, sections, use_cache=False, ref=changes.base)
            note("measuring the change with main's tests and tool settings ...")
            after = run_benchmarks(candidate, sections, use_cache=False, ref=changes.base)
            config = load_bench_config(main_tree, settings.benchmarks)
            files = sorted({p for f in changes.files for p in (f.path, f.old_path) if p})
            check, judged = judge_lost_tests(
                candidate, changes.base, sections, files, before, after, config, own=own,
                ref=changes.base, note=note,
            )  # fmt: skip
        finally:
            for folder in made:
                _git(repo, "worktree", "remove", "--force", str(folder))
            _git(repo, "worktree", "prune")
    return figures(before, judged, check, files, settings.agent.benchmark_threshold)


def figures(
    before: SuiteResult,
    after: SuiteResult,
    check: LostTestCheck,
    files: list[str],
    threshold: float,
) -> dict[str, object]:
    """Delta, lost tests, main's tests and the change's new tests counted apart; the same rules
    as a generation's decision."""
    old, new = recorded_outcomes(before.results), recorded_outcomes(after.results)
    verdict = judge_lost(old, new, check)
    problem = check_problem(files, old, check)
    delta = after.total - before.total
    improved = delta > threshold and not verdict.lost and problem is None
    new_tests = check.new_counts.get("total", 0)
    return {
        "total_before": round(before.total, 4),
        "total_after": round(after.total, 4),
        "delta": round(delta, 4),
        "lost_tests": verdict.lost,
        "for_person": verdict.for_human,
        "main_tests_pass_rate": rate(counted(old, new)),
        "new_tests": new_tests,
        "new_tests_pass_rate": check.new_counts.get("passed", 0) / new_tests if new_tests else None,
        "problem": problem,
        "improved": improved,
        "summary": (
            f"measured: total {before.total:.4f} -> {after.total:.4f} ({delta:+.4f}), "
            f"{len(verdict.lost)} lost test(s), {new_tests} new test(s) run apart"
            + (f" ({problem})" if problem else "")
            + "; "
            + ("better than main" if improved else "not better than main")
        ),
    }
