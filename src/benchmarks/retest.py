"""Extra pytest runs for the lost-test check: a tree with files put back, in env and sandbox."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.base.safe_files import UnsafeResult
from self_improving_agent.benchmarks.context import BenchContext, MeasureSections
from self_improving_agent.benchmarks.outcome_stream import PIPE_VARIABLE, Outcome, read_stream
from self_improving_agent.benchmarks.pytest_run import REPORTED_EXIT_CODES, reporting
from self_improving_agent.benchmarks.scratch import SCRATCH_PREFIX
from self_improving_agent.benchmarks.sources import SourceTree, repo_files
from self_improving_agent.benchmarks.submodules import submodule_files
from self_improving_agent.envs.model import Env, EnvError
from self_improving_agent.envs.overlay import copy_tree, make_overlay
from self_improving_agent.sandbox.sandbox import sandbox_for

# What a file is put back to: its bytes, or None when it must not exist.
Restore = Mapping[str, bytes | None]


def base_versions(repo: Path, base: str, paths: Iterable[str]) -> dict[str, bytes | None]:
    """Each path's content in commit base, None where base has no such file."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}
    # The names go through stdin, one request per line, so no argv grows with the change.
    requests = "".join(f"{base}:{rel}\n" for rel in wanted).encode("utf-8", "surrogateescape")
    done = git(repo, "cat-file", "--batch", stdin=requests)
    if done.returncode != 0:
        raise GitError(f"git cat-file failed in {repo}: {done.stderr.strip()}")
    return dict(zip(wanted, _batch_contents(done.stdout, len(wanted)), strict=True))


def _batch_contents(output: bytes, count: int) -> list[bytes | None]:
    """The blobs of `git cat-file --batch` output, None for a missing or non-blob object."""
    found: list[bytes | None] = []
    at = 0
    for _ in range(count):
        end = output.index(b"\n", at)
        header = output[at:end]
        at = end + 1
        if header.endswith((b" missing", b" ambiguous")):
            found.append(None)
            continue
        _, kind, size = header.split(b" ")
        found.append(output[at : at + int(size)] if kind == b"blob" else None)
        at += int(size) + 1
    return found


def compose(repo: Path, restore: Restore, into: Path) -> list[str]:
    """Copy repo's files into into with restore applied; the files of the result."""
    files = set(repo_files(repo))
    copy_tree(repo, sorted(files - set(restore)) + submodule_files(repo), into)
    for rel, content in restore.items():
        files.discard(rel)
        if content is None:
            continue
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        files.add(rel)
    return sorted(files)


@dataclass(frozen=True)
class RerunTree:
    """A private tree ready for pytest runs: its context and the time one run may take."""

    ctx: BenchContext
    timeout_s: float
    env_error: str = ""

    def outcomes(self, ids: Sequence[str] = ()) -> dict[str, Outcome] | str:
        """Node id -> outcome of one pytest run of ids (all tests when empty), or why none."""
        if self.env_error:
            return self.env_error
        workers = self.ctx.sections.benchmarks.pytest_workers if not ids else 1
        reports, env = reporting(self.ctx)
        args = ["-m", "pytest", *(["-n", str(workers)] if workers > 1 else []), *reports, *ids]
        run = self.ctx.run_python(args, self.timeout_s, env, PIPE_VARIABLE)
        if run.timed_out:
            return f"pytest was killed after {run.duration_s:.1f}s"
        if run.exhausted:
            return run.exhausted
        try:
            facts = read_stream(run.reported or b"")
        except UnsafeResult as exc:
            return f"containment finding: {exc}"
        if facts is None or facts.exit_status not in REPORTED_EXIT_CODES:
            return f"pytest exited {run.returncode} without a complete session: {run.tail()}"
        return facts.outcomes

    def outcome(self, test_id: str) -> str:
        """One test's outcome when run alone; 'missing' when the run did not report it."""
        found = self.outcomes([test_id])
        if isinstance(found, str):
            return "error"
        return found.get(test_id, "missing")


@contextmanager
def open_tree(
    repo: Path,
    sections: MeasureSections,
    restore: Restore,
    env: Env | EnvError | None,
    timeout_s: float,
) -> Iterator[RerunTree]:
    """repo's files with restore applied, in a private scratch, over env, in the sandbox."""
    with scratch_dir(f"{SCRATCH_PREFIX}{os.getpid()}-") as tmp:
        tree, cache = Path(tmp) / "tree", Path(tmp) / "cache"
        scratch, host = Path(tmp) / "box", Path(tmp) / "host"
        for folder in (cache, scratch, host):
            folder.mkdir()
        files = compose(repo, restore, tree)
        ctx = BenchContext(
            repo=tree,
            sections=sections,
            tree=SourceTree.scan(tree, files),
            scratch=scratch,
            cache_dir=cache,
            host_dir=host,
        )
        if isinstance(env, EnvError):
            yield RerunTree(ctx, timeout_s, env_error=str(env))
            return
        if env is not None:
            env_dirs = (env.python.parent.parent, *(Path(d) for d in env.site_dirs))
            box = sandbox_for(sections.sandbox.mode, scratch, [tree], (*env_dirs, host))
            # The version comes from repo's git; the copy has none.
            overlay = make_overlay(env, repo, tree, scratch, host, box)
            setenv = tuple(sorted(env.setenv.items()))
            ctx = replace(ctx, python=overlay.python, env_dirs=env_dirs, setenv=setenv)
            yield RerunTree(ctx, timeout_s, env_error=overlay.error)
            return
        yield RerunTree(ctx, timeout_s)
