"""`agent vet --measure`: main and the change measured side by side, main's checks on both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.pass_rate import recorded_outcomes
from self_improving_agent.benchmarks.runner import SuiteResult, run_benchmarks
from self_improving_agent.gates.anti_gaming import lost_test_ids
from self_improving_agent.gates.vet.main_checks import main_checks_files
from self_improving_agent.git_ops.changeset import ChangeSet


def _git(cwd: Path, *args: str) -> None:
    """Run git quietly; a failure is one sentence."""
    done = git(cwd, *args)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed in {cwd}: {last[-1] if last else 'no message'}")


def _candidate(repo: Path, changes: ChangeSet, folder: Path) -> None:
    """A worktree holding the change over its base, then main's checks written over it."""
    _git(repo, "worktree", "add", "--detach", str(folder), changes.base)
    _git(folder, "read-tree", "-u", "--reset", changes.tree)
    for path, data in main_checks_files(changes).items():
        target = folder / path
        if data is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    _git(folder, "add", "-A")


def measure_change(
    repo: Path, changes: ChangeSet, settings: Settings, note: Callable[[str], None]
) -> dict[str, object]:
    """Both trees measured fresh, in main's environment; the figures a generation decides on."""
    with scratch_dir("agent-vet-") as scratch:
        main_tree, candidate = Path(scratch) / "main", Path(scratch) / "candidate"
        try:
            _git(repo, "worktree", "add", "--detach", str(main_tree), changes.base)
            _candidate(repo, changes, candidate)
            note("measuring main ...")
            sections = MeasureSections(benchmarks=settings.benchmarks, sandbox=settings.sandbox)
            before = run_benchmarks(main_tree, sections, use_cache=False, ref=changes.base)
            note("measuring the change with main's tests and tool settings ...")
            after = run_benchmarks(candidate, sections, use_cache=False, ref=changes.base)
        finally:
            for folder in (main_tree, candidate):
                if folder.exists():
                    _git(repo, "worktree", "remove", "--force", str(folder))
            _git(repo, "worktree", "prune")
    return figures(before, after, settings.agent.benchmark_threshold)


def figures(before: SuiteResult, after: SuiteResult, threshold: float) -> dict[str, object]:
    """Delta, lost tests, main's tests and the change's new tests counted apart."""
    old, new = recorded_outcomes(before.results), recorded_outcomes(after.results)
    lost = lost_test_ids(old, new)
    kept = {t: o for t, o in new.items() if t in old}
    added = {t: o for t, o in new.items() if t not in old}

    def rate(outcomes: dict[str, str]) -> float | None:
        ran = [o for o in outcomes.values() if o != "skipped"]
        return sum(o == "passed" for o in ran) / len(ran) if ran else None

    delta = after.total - before.total
    improved = delta > threshold and not lost
    return {
        "total_before": round(before.total, 4),
        "total_after": round(after.total, 4),
        "delta": round(delta, 4),
        "lost_tests": lost,
        "main_tests_pass_rate": rate(kept),
        "new_tests": len(added),
        "new_tests_pass_rate": rate(added),
        "improved": improved,
        "summary": (
            f"measured: total {before.total:.4f} -> {after.total:.4f} ({delta:+.4f}), "
            f"{len(lost)} lost test(s), {len(added)} new test(s); "
            + ("better than main" if improved else "not better than main")
        ),
    }
