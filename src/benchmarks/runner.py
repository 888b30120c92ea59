"""Run the enabled benchmarks concurrently, answer unchanged trees from the cache, total them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from pydantic import BaseModel, ValidationError

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.errors import BenchmarkError
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks import impact
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.cache import content_key
from self_improving_agent.benchmarks.config import BenchConfig, load_bench_config
from self_improving_agent.benchmarks.context import (
    BenchContext,
    MeasureSections,
    environment_result,
    error_result,
)
from self_improving_agent.benchmarks.custom import CustomBenchmark
from self_improving_agent.benchmarks.members import measure_members
from self_improving_agent.benchmarks.pytest_run import PytestRun, run_pytest
from self_improving_agent.benchmarks.registry import PYTEST_GROUP, REGISTRY
from self_improving_agent.benchmarks.repeats import repeat_alone
from self_improving_agent.benchmarks.scratch import SCRATCH_PREFIX
from self_improving_agent.benchmarks.sources import is_committed, repo_files
from self_improving_agent.benchmarks.submodules import missing_submodule
from self_improving_agent.benchmarks.tree_setup import environment, tree_context
from self_improving_agent.envs.model import Env, EnvError
from self_improving_agent.envs.workspace import measured_members_in
from self_improving_agent.sandbox.sandbox import (
    Mechanism,
    SandboxRecord,
    choose,
    record,
)

Progress = Callable[[str, BenchResult | None], None]
# Benchmarks that run the target's code or resolve its imports: they need its environment.
ENV_BENCHMARKS = (*PYTEST_GROUP, "import_check", "type_check")
# Outcomes that depend on machine load or a transient crash are measured again next time.
UNCACHED_STATUSES = ("timeout", "error")


class SuiteResult(BaseModel):
    """Every measured benchmark of one tree and their weighted total."""

    total: float
    results: list[BenchResult]
    cached: bool
    key: str
    sandbox: SandboxRecord | None = None


def weighted_total(results: Sequence[BenchResult], weights: Mapping[str, float]) -> float:
    """Weighted mean of the scores; a benchmark without a weight counts 1; 0 when all weigh 0."""
    pairs = [(weights.get(r.name, 1.0), r.score) for r in results]
    mass = sum(w for w, _ in pairs)
    return sum(w * s for w, s in pairs) / mass if mass > 0 else 0.0


def select(config: BenchConfig, only: Sequence[str] | None) -> list[str]:
    """The benchmarks to run: the enabled and custom ones, or exactly those named by --only."""
    if not only:
        return config.names()
    known = [*REGISTRY, *(spec.name for spec in config.custom)]
    for name in only:
        if name not in known:
            raise BenchmarkError(f"--only {name}: unknown benchmark; use one of {', '.join(known)}")
    return list(dict.fromkeys(only))


def needs_env(config: BenchConfig, names: Sequence[str]) -> bool:
    """Whether any of the benchmarks runs the target's code or resolves its imports."""
    return any(name in ENV_BENCHMARKS or config.custom_spec(name) for name in names)


def _run_pytest_group(ctx: BenchContext, names: list[str], timeout_s: float) -> list[BenchResult]:
    """One pytest run measured by both of its benchmarks."""
    blocked = ctx.env_error or missing_submodule(ctx.tree)
    if blocked:
        return [environment_result(name, blocked) for name in names]
    prun = run_pytest(ctx, timeout_s)
    results = [_measure_of(name)(prun) for name in names]
    # How the tree was installed over the environment, for whoever reads a surprising count.
    return [r.model_copy(update={"raw": {**r.raw, "overlay": ctx.env_note}}) for r in results]


def _measure_of(name: str) -> Callable[[PytestRun], BenchResult]:
    """How a benchmark of the pytest group reads the shared run."""
    measure = REGISTRY[name].measure
    if measure is None:
        raise BenchmarkError(f"{name} does not read the shared pytest run")
    return measure


def runner_for(name: str, config: BenchConfig) -> Callable[[BenchContext, float], BenchResult]:
    """The run function of one benchmark that runs on its own."""
    spec = config.custom_spec(name)
    if spec is not None:
        return CustomBenchmark(spec).run
    run = REGISTRY[name].run
    if run is None:
        raise BenchmarkError(f"{name} is measured from the shared pytest run, not on its own")
    return run


Job = tuple[list[str], Callable[[], list[BenchResult]]]


def plan_jobs(ctx: BenchContext, names: list[str], config: BenchConfig) -> list[Job]:
    """One job per tool, the pytest pair sharing one and submitted first: it is the slowest."""
    jobs: list[Job] = []
    group = [n for n in names if n in PYTEST_GROUP]
    if group:
        timeout = max(config.timeout(n) for n in group)
        jobs.append((group, partial(_run_pytest_group, ctx, group, timeout)))
    for name in names:
        if name not in PYTEST_GROUP and config.repeats(name) == 1:
            jobs.append(([name], partial(_single, name, ctx, config)))
    return jobs


def _single(name: str, ctx: BenchContext, config: BenchConfig) -> list[BenchResult]:
    """One benchmark as a job; importing it happens inside the guard too."""
    return [runner_for(name, config)(ctx, config.timeout(name))]


def _repeated(name: str, ctx: BenchContext, config: BenchConfig) -> list[BenchResult]:
    """A repeated benchmark's runs one after the other, summarized as their median."""
    run = runner_for(name, config)
    return [repeat_alone(partial(run, ctx, config.timeout(name)), config.repeats(name))]


def _guarded(job: Job) -> list[BenchResult]:
    """A job's results; a crash of the benchmark code becomes error results, never an exception."""
    names, call = job
    try:
        return call()
    except Exception as exc:  # a benchmark bug must not take the whole suite down
        return [error_result(name, f"{type(exc).__name__}: {exc}") for name in names]


def measure(
    repo: Path,
    sections: MeasureSections,
    config: BenchConfig,
    names: list[str],
    files: list[str],
    store: Store | None = None,
    progress: Progress | None = None,
    env: Env | EnvError | None = None,
    shared_cache: bool = False,
    members: Mapping[str, Env | EnvError | None] | None = None,
) -> dict[str, BenchResult]:
    """Run the named benchmarks concurrently on a private copy of the tree; every name answers.

    shared_cache: the tree is main's committed tree, whose run may update the shared tool caches.
    members: a workspace's members and their environments, each measured as its own project."""
    mechanism = choose(sections.sandbox.mode)
    # The pid in the name lets a later start remove what a killed process could not.
    with scratch_dir(f"{SCRATCH_PREFIX}{os.getpid()}-") as tmp:
        whole = None if members else env
        ctx = tree_context(repo, sections, files, Path(tmp), whole, store, shared_cache)
        if not members:
            found = _measure_tree(ctx, names, config, mechanism, progress)
            if ctx.test_contexts and store is not None:
                impact.record(repo, ctx, store)
            return found
        each = partial(
            _measure_tree, names=names, config=config, mechanism=mechanism, progress=None
        )
        results: dict[str, BenchResult] = {}
        for result in measure_members(ctx, repo, members, names, each):
            _finish(result, mechanism, results, progress)
        return results


def _measure_tree(
    ctx: BenchContext,
    names: list[str],
    config: BenchConfig,
    mechanism: Mechanism,
    progress: Progress | None,
) -> dict[str, BenchResult]:
    """The named benchmarks of one context: concurrent jobs, then the repeated ones alone."""
    jobs = plan_jobs(ctx, names, config)
    results: dict[str, BenchResult] = {}
    with ThreadPoolExecutor(max_workers=max(len(jobs), 1), thread_name_prefix="bench") as pool:
        futures: list[Future[list[BenchResult]]] = []
        for job in jobs:
            for name in job[0]:
                if progress:
                    progress(name, None)
            futures.append(pool.submit(_guarded, job))
        for future in as_completed(futures):
            for result in future.result():
                _finish(result, mechanism, results, progress)
    # Repeated benchmarks measure noise: they run alone, after everything else has finished.
    for name in names:
        if config.repeats(name) > 1:
            if progress:
                progress(name, None)
            for result in _guarded(([name], partial(_repeated, name, ctx, config))):
                _finish(result, mechanism, results, progress)
    return results


def _finish(
    result: BenchResult,
    mechanism: Mechanism,
    results: dict[str, BenchResult],
    progress: Progress | None,
) -> None:
    """Record one finished result and report it."""
    result.sandbox = mechanism
    results[result.name] = result
    if progress:
        progress(result.name, result)


def _from_cache(store: Store, key: str, name: str) -> BenchResult | None:
    """A cached result, or None when absent or no longer valid."""
    data = store.cached_result(key, name)
    if data is None:
        return None
    try:
        return BenchResult.model_validate(data)
    except ValidationError:
        return None


def bench_config_of(repo: Path, sections: MeasureSections) -> BenchConfig:
    """The judge's benchmark config when it fixed one, else the tree's own."""
    return (
        sections.bench
        if sections.bench is not None
        else load_bench_config(repo, sections.benchmarks)
    )


def run_benchmarks(
    repo: Path,
    sections: MeasureSections,
    *,
    only: Sequence[str] | None = None,
    use_cache: bool = True,
    store: Store | None = None,
    progress: Progress | None = None,
    ref: str = "HEAD",
    note: Callable[[str], None] | None = None,
) -> SuiteResult:
    """Measure repo's listed files in the environment built from ref's declarations (cached)."""
    repo = repo.resolve()
    sandbox = record(sections.sandbox.mode)
    files = repo_files(repo)
    config = bench_config_of(repo, sections)
    names = select(config, only)
    wanted = needs_env(config, names)
    listed = measured_members_in(repo, files)
    ws = {m: environment(repo, sections, ref, note, m) if wanted else None for m in listed}
    env = None if ws or not wanted else environment(repo, sections, ref, note)
    envs = list(ws.values()) if ws else [env]
    env_key = "|".join(e.key() if isinstance(e, Env) else repr(e) for e in envs)
    key = content_key(repo, files, config, sections.benchmarks, env_key)
    found: dict[str, BenchResult] = {}
    if store is not None and use_cache:
        for name in names:
            # A repeated benchmark measures noise, which a cached answer would hide.
            hit = _from_cache(store, key, name) if config.repeats(name) == 1 else None
            if hit is not None:
                found[name] = hit
                if progress:
                    progress(name, hit)
    missing = [name for name in names if name not in found]
    if missing:
        shared = is_committed(repo, ref)
        fresh = measure(repo, sections, config, missing, files, store, progress, env, shared, ws)
        if store is not None:
            for result in fresh.values():
                if result.status not in UNCACHED_STATUSES and config.repeats(result.name) == 1:
                    store.cache_result(key, result.name, result.model_dump())
        found.update(fresh)
    results = [found[name] for name in names]
    return SuiteResult(
        total=weighted_total(results, config.weight_map()),
        results=results,
        cached=not missing,
        key=key,
        sandbox=sandbox,
    )
