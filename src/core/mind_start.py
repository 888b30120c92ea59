"""Where the mind's code and its view of the tree come from, and how its process is started."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import IO

import self_improving_agent
from self_improving_agent.analysis.repomap import is_blocked
from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.errors import GitError, MindError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.benchmarks.scratch import SCRATCH_PREFIX
from self_improving_agent.core.own_repo import is_self_hosted
from self_improving_agent.envs.archive import HAS_DATA_FILTER, checked_members
from self_improving_agent.sandbox.proc import limiter, piped_process, sandbox_env
from self_improving_agent.sandbox.sandbox import SandboxMode, sandbox_for

MIND_CPU_S = 900
MIND_MEMORY_MB = 4096
# Registers the package from the folder given, whatever is installed, then runs the mind. It is
# the judge's own text: nothing of the tree decides how the process starts.
BOOTSTRAP = """import importlib.util, runpy, sys
code, tree = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location(
    "self_improving_agent", code + "/__init__.py", submodule_search_locations=[code]
)
module = importlib.util.module_from_spec(spec)
sys.modules["self_improving_agent"] = module
spec.loader.exec_module(module)
sys.argv = [sys.argv[0], tree]
runpy.run_module("self_improving_agent.mind", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class MindPlace:
    """Where one generation's mind runs: its code, its tree view, its scratch and stderr file."""

    code: Path
    tree: Path
    scratch: Path
    stderr: Path


def installed_code() -> Path:
    """The package folder of the running agent: the mind of any repository but its own."""
    return Path(self_improving_agent.__file__).resolve().parent


def export_tree(repo: Path, sha: str, into: Path, blocked: Sequence[str]) -> None:
    """The committed tree at sha, without blocked files: no ignored files, no .agent/, no .git."""
    try:
        run = git(repo, "archive", "--format=tar", sha)
    except GitError as exc:
        raise MindError("plan", f"the mind's view of {sha[:10]} cannot be made: {exc}") from None
    if run.returncode != 0:
        why = run.stderr.strip()[-300:]
        raise MindError("plan", f"the mind's view of {sha[:10]} cannot be made: {why}")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(run.stdout)) as tar:
        members = [m for m in checked_members(tar, into) if not is_blocked(m.name, blocked)]
        if HAS_DATA_FILTER:
            tar.extractall(into, members=members, filter="data")
        else:
            tar.extractall(into, members=members)


@contextlib.contextmanager
def mind_place(
    repo: Path, sha: str, number: int, blocked: Sequence[str], code: Path | None
) -> Iterator[MindPlace]:
    """A scratch folder holding the tree view; the mind's code from it on the agent's own repo."""
    # Named like measuring scratch (prefix, then this pid), so a start after a kill sweeps it;
    # removed without following what the sandboxed mind may have planted in it.
    with scratch_dir(f"{SCRATCH_PREFIX}{os.getpid()}-mind-{number}-") as folder:
        scratch = Path(folder)
        tree = scratch / "tree"
        export_tree(repo, sha, tree, blocked)
        if code is None:
            # The agent's own repository: main's mind as the generation starts, so an accepted
            # improvement to it proposes the very next change.
            code = tree / "src" if is_self_hosted(repo) else installed_code()
        yield MindPlace(code, tree, scratch / "box", scratch / "stderr")


def mind_argv(place: MindPlace) -> list[str]:
    """A fresh isolated interpreter (-I: no PYTHON* variables, no user site, no cwd in sys.path)."""
    return [sys.executable, "-I", "-c", BOOTSTRAP, str(place.code), str(place.tree)]


@contextlib.contextmanager
def started(place: MindPlace, mode: SandboxMode, stderr: IO[bytes]) -> Iterator[Popen[bytes]]:
    """The mind's process, contained: no network, no credentials, writes only to its scratch."""
    spec = sandbox_for(mode, place.scratch, readable=[place.tree, place.code])
    # An empty environment but the fixed values; the sandbox adds a fake HOME and TMPDIR.
    env = sandbox_env({}, {})
    limits = limiter(MIND_CPU_S, MIND_MEMORY_MB)
    with contextlib.ExitStack() as stack:
        try:
            proc = stack.enter_context(
                piped_process(mind_argv(place), place.tree, env, spec, limits, stderr)
            )
        except OSError as exc:
            raise MindError("plan", f"the mind could not start: {exc}") from None
        yield proc
