"""On the agent's own repository the judge runs from a read-only export of its pinned commit."""

from __future__ import annotations

import compileall
import io
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from self_improving_agent.base.errors import AgentError, GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.core.own_repo import PROJECT_NAME, is_self_hosted, running_root
from self_improving_agent.core.selfhost import MARK
from self_improving_agent.envs.archive import extract_data
from self_improving_agent.git_ops.judge_pin import ensure_pin

# `python -P -c BOOT TREE ARGS...`: TREE's src/ becomes self_improving_agent, then the CLI runs.
BOOT = (
    "import importlib.util, sys\n"
    "src = sys.argv[1] + '/src'\n"
    "spec = importlib.util.spec_from_file_location('self_improving_agent', src + '/__init__.py',"
    " submodule_search_locations=[src])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules['self_improving_agent'] = module\n"
    "spec.loader.exec_module(module)\n"
    "sys.argv = ['agent', *sys.argv[2:]]\n"
    "from self_improving_agent.cli.app import app\n"
    "app()\n"
)


def judge_cache(environ: Mapping[str, str]) -> Path:
    """Where pinned judges are exported: the user's cache, one folder per commit."""
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "self-improving-agent" / "judge"


def _read_only(tree: Path) -> None:
    """Take write permission off every file and folder of tree."""
    for folder, _, files in os.walk(tree):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    for folder, _, _ in os.walk(tree, topdown=False):
        Path(folder).chmod(0o555)


def _writable(tree: Path) -> None:
    """Give write permission back so a half-made export can be removed."""
    for folder, _, _ in os.walk(tree):
        Path(folder).chmod(0o755)


def export_pin(repo: Path, sha: str, cache: Path) -> Path:
    """The read-only tree of commit sha under cache, made once (content-addressed by commit)."""
    target = cache / sha
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{sha[:10]}-", dir=cache))
    try:
        archived = git(repo, "archive", "--format=tar", sha)
        if archived.returncode != 0:
            raise GitError(f"git archive of the pinned judge {sha[:10]} failed in {repo}.")
        tree = scratch / "tree"
        with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as tar:
            extract_data(tar, tree)
        # Compiled once here: the export is read-only, so no later start could cache bytecode.
        compileall.compile_dir(str(tree / "src"), quiet=2)
        _read_only(tree)
        try:
            tree.rename(target)
        except OSError:
            # Another process exported the same commit first: its tree is this one.
            if not target.is_dir():
                raise
    finally:
        _writable(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _installed(name: str) -> str | None:
    """The installed version of distribution name, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def dependency_problem(tree: Path, sha: str) -> str | None:
    """Why the installed packages cannot run the judge at tree, or None when they can."""
    try:
        project = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return f"the judge at {sha[:10]} has no readable [project] table in pyproject.toml"
    required = [(text, True) for text in project.get("dependencies", [])]
    for items in dict(project.get("optional-dependencies", {})).values():
        required += [(text, False) for text in items]
    for text, core in required:
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            return f"the judge at {sha[:10]} declares the unreadable dependency {text!r}"
        if req.name == PROJECT_NAME or (req.marker is not None and not req.marker.evaluate()):
            continue
        version = _installed(req.name)
        # An extra that is not installed was not asked for; one that is must fit the pin.
        if version is None and not core:
            continue
        if version is None or not req.specifier.contains(version, prereleases=True):
            have = f"{req.name} {version} is installed" if version else "it is not installed"
            return f"the judge at {sha[:10]} needs {req}, but {have}"
    return None


def reexec_argv(tree: Path, args: Sequence[str]) -> list[str]:
    """The command that runs the CLI from tree: -P keeps the working folder off sys.path."""
    return [sys.executable, "-P", "-c", BOOT, str(tree), *args]


def judge_from_pin(repo: Path, environ: Mapping[str, str], args: Sequence[str]) -> None:
    """On the agent's own repository, replace this process by the pinned judge's; else return."""
    # Set, the agent chose this process's code itself: the pinned judge re-executed, or the
    # self-hosting check starting the new main (whose git may not see the objects to look up).
    if environ.get(MARK) or not is_self_hosted(repo):
        return
    sha = ensure_pin(repo)
    tree = export_pin(repo, sha, judge_cache(environ))
    if running_root() == tree:
        return
    problem = dependency_problem(tree, sha)
    if problem:
        raise AgentError(
            f"{problem}; install what the pinned judge declares (pip install -e . at"
            f" {sha[:10]}) or have a person promote another with `agent judge promote`."
        )
    env = {**environ, MARK: sha}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, reexec_argv(tree, args), env)


def running_judge(environ: Mapping[str, str]) -> str:
    """The pinned commit this process judges from, or '' when it runs installed code."""
    sha = environ.get(MARK, "")
    return sha if sha and running_root() == judge_cache(environ) / sha else ""
