"""The private copy of a tree a measurement runs on, and the environment it is measured in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.context import BenchContext, MeasureSections
from self_improving_agent.benchmarks.pinned import write_pinned
from self_improving_agent.benchmarks.scratch import tool_cache_dir
from self_improving_agent.benchmarks.sources import SourceTree
from self_improving_agent.benchmarks.submodules import submodule_files
from self_improving_agent.envs.measured_tree import measured_copy
from self_improving_agent.envs.model import Env, EnvError
from self_improving_agent.envs.overlay import make_overlay
from self_improving_agent.envs.resolve import resolve_env
from self_improving_agent.sandbox.sandbox import sandbox_for


def tree_context(
    repo: Path,
    sections: MeasureSections,
    files: list[str],
    tmp: Path,
    env: Env | EnvError | None,
    store: Store | None,
    shared_cache: bool = False,
) -> BenchContext:
    """A private copy of the tree and, when the env is needed, an overlay that imports it.

    tmp holds the tree, the sandbox's scratch (box) and the host's own files (host), which
    sandboxed code can read but never replace.
    """
    # Checked-out submodules are part of the tree the tests see, not of the code measured.
    copy = measured_copy(repo, [*files, *submodule_files(repo)], tmp / "tree")
    tree, scratch, host = copy.path, tmp / "box", tmp / "host"
    # The judge's evaluators measure the candidate, whatever the candidate did to their files.
    write_pinned(tree, sections.pinned)
    scratch.mkdir()
    host.mkdir()
    base = BenchContext(
        repo=tree,
        sections=sections,
        tree=SourceTree.scan(tree, files),
        scratch=scratch,
        cache_dir=tool_cache_dir(repo, store, tmp, shared_cache),
        host_dir=host,
        env_dirs=copy.objects,
    )
    if isinstance(env, EnvError):
        return replace(base, env_error=str(env))
    if env is None:
        return base
    return replace(
        with_env(base, env, repo, tree),
        test_contexts=shared_cache and sections.benchmarks.test_impact,
    )


def with_env(ctx: BenchContext, env: Env, repo: Path, tree: Path, member: str = "") -> BenchContext:
    """ctx measured in env: an overlay with the tree (or member) installed, in ctx's sandbox."""
    env_dirs = (*ctx.env_dirs, env.python.parent.parent, *(Path(d) for d in env.site_dirs))
    box = sandbox_for(ctx.sections.sandbox.mode, ctx.scratch, [tree], (*env_dirs, ctx.host_dir))
    overlay = make_overlay(env, repo, tree, ctx.scratch, ctx.host_dir, box, member)
    return replace(
        ctx,
        python=overlay.python,
        env_note=overlay.note,
        env_dirs=env_dirs,
        setenv=tuple(sorted(env.setenv.items())),
        packages=frozenset(env.packages),
        env_error=overlay.error,
    )


def environment(
    repo: Path,
    sections: MeasureSections,
    ref: str,
    note: Callable[[str], None] | None,
    member: str = "",
) -> Env | EnvError:
    """The measuring environment (of one workspace member), or the error saying why not."""
    if sections.benchmarks.python:
        # A named interpreter that cannot measure is bad input: one sentence, nothing measured.
        return resolve_env(repo, ref, sections.benchmarks.python, note, member=member)
    try:
        return resolve_env(repo, ref, None, note, mode=sections.sandbox.mode, member=member)
    except EnvError as exc:
        return exc
