"""Which environment measures a repository: the one the user names, else one built and cached."""

from __future__ import annotations

import contextlib
import fcntl
import io
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.envs.archive import extract_data
from self_improving_agent.envs.build import build, scm_version
from self_improving_agent.envs.declarations import (
    Declarations,
    member_declarations,
    read_declarations,
    tox_setenv,
)
from self_improving_agent.envs.interp import describe, interpreter_of
from self_improving_agent.envs.model import MEASURING_TOOLS, Env, EnvError, cache_root
from self_improving_agent.sandbox.sandbox import SandboxMode

Progress = Callable[[str], None]
META = "env.json"


def _git(repo: Path, *args: str) -> bytes:
    """git's stdout as bytes; EnvError when git fails (no such ref, not a repository)."""
    try:
        done = git(repo, *args)
    except GitError as exc:
        raise EnvError(str(exc)) from None
    if done.returncode != 0:
        err = done.stderr.strip().splitlines()
        raise EnvError(f"git {' '.join(args[:2])} failed in {repo}: {err[-1] if err else ''}")
    return done.stdout


def check_commit(repo: Path, ref: str) -> None:
    """EnvError in one sentence when ref names no commit (a repository with no commits yet)."""
    if git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0:
        return
    if git(repo, "rev-parse", "--verify", "--quiet", "HEAD").returncode:
        raise EnvError(
            f"{repo} has no commits yet, and the environment is built from the committed tree; "
            "commit the project (git add -A && git commit -m 'first commit') and run again"
        )
    raise EnvError(f"{ref} names no commit in {repo}; set [agent] main_branch to a branch")


def committed_declarations(repo: Path, ref: str, member: str = "") -> Declarations:
    """The declarations of the tree committed at ref (never the working tree), or of one of
    its workspace members."""
    check_commit(repo, ref)
    files = [f for f in _git(repo, "ls-tree", "-r", "-z", "--name-only", ref).decode().split("\0")]
    known = set(files)

    def read(name: str) -> str | None:
        """A committed file's text, or None when the tree has no such file."""
        if name not in known:
            return None
        return _git(repo, "show", f"{ref}:{name}").decode("utf-8", errors="replace")

    listed = [f for f in files if f]
    return member_declarations(listed, read, member) if member else read_declarations(listed, read)


def base_version() -> str:
    """The Python version environments are built for: the agent's own."""
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock so two runs never build the same environment at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _extract(repo: Path, ref: str, into: Path) -> None:
    """The committed tree at ref, written out as plain files."""
    with tarfile.open(fileobj=io.BytesIO(_git(repo, "archive", ref)), mode="r:") as tar:
        extract_data(tar, into)


class Plan(NamedTuple):
    """The environment ref's declarations call for: what, its fingerprint and its folder."""

    declarations: Declarations
    fingerprint: str
    folder: Path


def plan_env(repo: Path, ref: str, member: str = "") -> Plan:
    """Where the environment of ref's declarations (or one member's) lives, built or not."""
    decl = committed_declarations(repo, ref, member)
    fingerprint = decl.fingerprint(base_version(), MEASURING_TOOLS)
    return Plan(decl, fingerprint, cache_root() / fingerprint)


def cached_env(plan: Plan) -> Env | None:
    """The built environment of a plan, or None when it is not built (completely) yet."""
    meta = plan.folder / META
    if not meta.is_file():
        return None
    return Env.model_validate_json(meta.read_text(encoding="utf-8"))


def built_env(
    repo: Path,
    ref: str,
    progress: Progress | None,
    rebuild: bool = False,
    mode: SandboxMode = "auto",
    member: str = "",
) -> Env:
    """The cached environment of ref's declarations, built first when missing or asked to."""
    decl, fingerprint, target = plan_env(repo, ref, member)
    meta = target / META
    with _locked(cache_root() / f"{fingerprint}.lock"):
        if meta.is_file() and not rebuild:
            return Env.model_validate_json(meta.read_text(encoding="utf-8"))
        if progress:
            progress(f"building the measuring environment from {decl.source} into {target} ...")
        meta.unlink(missing_ok=True)
        with scratch_dir("agent-env-src-") as tmp:
            _extract(repo, ref, Path(tmp))
            version = scm_version(repo, ref)
            seconds = build(decl, Path(tmp) / member, target, sys.executable, version, mode)
        env = describe(target / "bin" / "python", "built", decl.source, fingerprint)
        env = env.model_copy(update={"build_s": round(seconds, 2)})
        meta.write_text(env.model_dump_json(indent=2), encoding="utf-8")
        if progress:
            progress(f"environment ready in {seconds:.1f}s")
        return env


def resolve_env(
    repo: Path,
    ref: str,
    python: str | None,
    progress: Progress | None = None,
    rebuild: bool = False,
    mode: SandboxMode = "auto",
    member: str = "",
) -> Env:
    """The named interpreter as is, or the environment built from ref's declarations (those of
    one workspace member when member names it)."""
    if python:
        env = describe(interpreter_of(python), "given", "[benchmarks] python / --python")
    else:
        env = built_env(repo, ref, progress, rebuild, mode, member)
    return env.model_copy(update={"setenv": committed_setenv(repo, ref, member)})


def committed_setenv(repo: Path, ref: str, member: str = "") -> dict[str, str]:
    """The literal setenv values of ref's committed tox.ini (a member's own), none without one."""
    name = f"{member}/tox.ini" if member else "tox.ini"
    names = _git(repo, "ls-tree", "--name-only", ref, "--", name).decode().split()
    if name not in names:
        return {}
    return tox_setenv(_git(repo, "show", f"{ref}:{name}").decode("utf-8", errors="replace"))
