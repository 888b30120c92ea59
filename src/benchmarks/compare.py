"""Repeated benchmarks of two trees, run interleaved and alone, never from the cache."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.context import BenchContext, MeasureSections, error_result
from self_improving_agent.benchmarks.repeats import Comparison, compare, interleave
from self_improving_agent.benchmarks.runner import bench_config_of, runner_for
from self_improving_agent.benchmarks.scratch import SCRATCH_PREFIX
from self_improving_agent.benchmarks.sources import repo_files
from self_improving_agent.benchmarks.tree_setup import environment, tree_context
from self_improving_agent.sandbox.sandbox import choose


def _one_run(name: str, ctx: BenchContext, config: BenchConfig) -> BenchResult:
    """One run of a benchmark; a crash of the benchmark code is an error result, never raised."""
    try:
        return runner_for(name, config)(ctx, config.timeout(name))
    except Exception as exc:  # a benchmark bug must not end the generation's measuring
        return error_result(name, f"{type(exc).__name__}: {exc}")


def compare_repeated(
    before_repo: Path,
    after_repo: Path,
    sections: MeasureSections,
    names: Sequence[str],
    significance: float,
    *,
    store: Store | None = None,
    ref: str = "HEAD",
    note: Callable[[str], None] | None = None,
) -> dict[str, Comparison]:
    """Each named benchmark run `repeat` times on both trees, interleaved, with its verdict."""
    before_repo, after_repo = before_repo.resolve(), after_repo.resolve()
    # The judge's benchmark config, else main's: never the candidate's.
    config = bench_config_of(before_repo, sections)
    env = environment(after_repo, sections, ref, note)
    mechanism = choose(sections.sandbox.mode)
    prefix = f"{SCRATCH_PREFIX}{os.getpid()}-"
    found: dict[str, Comparison] = {}
    with (
        scratch_dir(prefix) as old,
        scratch_dir(prefix) as new,
    ):
        old_ctx = tree_context(
            before_repo, sections, repo_files(before_repo), Path(old), env, store
        )
        new_ctx = tree_context(after_repo, sections, repo_files(after_repo), Path(new), env, store)
        for name in names:
            before, after = interleave(
                partial(_one_run, name, old_ctx, config),
                partial(_one_run, name, new_ctx, config),
                config.repeats(name),
            )
            for result in (*before, *after):
                result.sandbox = mechanism
            found[name] = compare(name, before, after, significance)
    return found
