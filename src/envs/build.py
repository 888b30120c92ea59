"""Build an environment with uv from a checked-out tree's declarations (network allowed).

The host installs only named third-party requirements from an index; the project is built
only in the sandbox, offline.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from uv import find_uv_bin

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import GitRun, git
from self_improving_agent.envs.declarations import Declarations, requirement_name
from self_improving_agent.envs.hostreqs import HostInstall, host_install
from self_improving_agent.envs.metadata import project_requires
from self_improving_agent.envs.model import MEASURING_TOOLS, EnvError
from self_improving_agent.sandbox.proc import ToolRun, run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import SandboxMode, SandboxSpec

BUILD_TIMEOUT_S = 1800.0
_VERSION = re.compile(r"\d+(\.\d+)*")
_EXTRAS = re.compile(r"\[([^\]]*)\]")


def scm_version(repo: Path, ref: str) -> dict[str, str]:
    """The version setuptools-scm and hatch-vcs would find, for copies that lack git metadata.

    It matters: a project that pytest itself depends on (pluggy, iniconfig, packaging) must
    keep a version that satisfies pytest's requirement, or no environment can hold both.
    """
    try:
        done = git(repo, "describe", "--tags", "--abbrev=0", ref)
    except GitError:
        done = GitRun(1, b"", "")
    text = done.stdout.decode("utf-8", errors="replace")
    found = _VERSION.search(text) if done.returncode == 0 else None
    return {"SETUPTOOLS_SCM_PRETEND_VERSION": found.group(0) if found else "0.0.0"}


# What the host's uv sees of the agent's environment: paths, locale, caches, the user's own
# index, proxy and certificate settings. No other variable, so no secret can be expanded or read.
HOST_PASSED = (
    "PATH", "LANG", "LANGUAGE", "TZ", "HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_DATA_HOME",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    "http_proxy", "https_proxy", "all_proxy", "no_proxy",
)  # fmt: skip
HOST_PASSED_PREFIXES = ("LC_", "UV_", "PIP_")


def host_env(environ: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """The host uv's environment: an allowlist of the agent's, then the agent's fixed values."""
    env = {
        k: v for k, v in environ.items() if k in HOST_PASSED or k.startswith(HOST_PASSED_PREFIXES)
    }
    env.update({"UV_NO_CONFIG": "1", "PYTHONDONTWRITEBYTECODE": "1", **extra})
    return env


def uv(
    args: list[str],
    cwd: Path,
    extra: dict[str, str] | None = None,
    sandbox: SandboxSpec | None = None,
) -> ToolRun:
    """Run uv with no configuration file of the repository's (or anyone's: --no-config).

    On the host with an allowlisted environment (the user's UV_* index settings pass); in a
    sandbox with the sandbox's allowlist only, so no index credential goes in.
    """
    fixed = {"UV_NO_PROGRESS": "1", **(extra or {})}
    env = host_env(os.environ, fixed) if sandbox is None else sandbox_env(fixed)
    argv = [find_uv_bin(), *args[:1], *(["--no-config"] * ("--no-config" not in args)), *args[1:]]
    return run_tool(argv, cwd, env, BUILD_TIMEOUT_S, sandbox=sandbox)


def _check(run: ToolRun, what: str, fix: str) -> None:
    """EnvError naming the step, uv's last words and the fix when uv failed."""
    if run.returncode != 0:
        tail = [line.strip() for line in run.tail().splitlines() if line.strip()][-6:]
        raise EnvError(f"{what} failed: {' / '.join(tail)}; {fix}")


def host_share(decl: Declarations, tree: Path) -> HostInstall:
    """What main's declarations ask the host to install, parsed and re-written by the agent."""
    return host_install(decl.requirements, decl.requirement_files, tree)


def install_args(decl: Declarations, tree: Path) -> list[str]:
    """Arguments of the host's `uv pip install`: named requirements only, never a file or path."""
    share = host_share(decl, tree)
    tools = host_install([*MEASURING_TOOLS, *decl.build_requires], [], tree).requirements
    return [*share.requirements, *tools]


def _extras(line: str) -> list[str]:
    """The extras a requirement line asks for (`b[x,y]>=1` -> x, y)."""
    found = _EXTRAS.search(line.split(";")[0])
    return [e.strip() for e in found.group(1).split(",") if e.strip()] if found else []


def own_needs(
    decl: Declarations,
    tree: Path,
    python: Path,
    version: dict[str, str],
    mode: SandboxMode,
    extras: list[str],
) -> list[str] | str:
    """The third-party requirements of the project (with extras) and of each member it names.

    A member named as a requirement comes from the tree, never from an index: its own
    requirements are read the same way (in the sandbox) and take its place.
    """

    def member(name: str) -> Path:
        """Another member's folder, without `..` (the sandbox binds and enters it by name)."""
        return Path(os.path.normpath(tree / decl.siblings[name]))

    pending = [(tree, extras)]
    pending += [(member(requirement_name(line)), _extras(line)) for line in decl.sibling_requires]
    seen: set[tuple[Path, tuple[str, ...]]] = set()
    found: list[str] = []
    while pending:
        path, extras = pending.pop(0)
        key = (path, tuple(extras))
        if key in seen:
            continue
        seen.add(key)
        needs = project_requires(path, python, extras, version, mode)
        if isinstance(needs, str):
            return needs if path == tree else f"the workspace member {path.name}: {needs}"
        for need in needs:
            name = requirement_name(need)
            if name in decl.siblings:
                pending.append((member(name), _extras(need)))
            elif need not in found:
                found.append(need)
    return found


def build(
    decl: Declarations,
    tree: Path,
    target: Path,
    base_python: str,
    version: dict[str, str],
    mode: SandboxMode = "auto",
) -> float:
    """Create target as a venv holding the tree's dependencies; seconds taken.

    Only third-party packages are installed here, on the host with network. The tree's own
    build backend (setup.py, say) runs only in the sandbox, to say what the project requires.
    """
    start = time.perf_counter()
    share = host_share(decl, tree)
    args = install_args(decl, tree)
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    fix = "fix the declarations on the main branch, or set [benchmarks] python"
    if share.dropped:
        fix += f" (their options {', '.join(share.dropped)} are not used: set indexes in UV_*)"
    # The host's uv runs in the agent's own folder: no file of the repository is in its view.
    home = target.parent
    made = uv(["venv", "-q", "--python", base_python, str(target)], home)
    _check(made, "creating the environment", fix)
    python = target / "bin" / "python"
    filled = uv(["pip", "install", "-q", "--python", str(python), *args], home)
    _check(filled, f"installing the test dependencies ({decl.source})", fix)
    if decl.installable:
        extras = list(dict.fromkeys([*decl.extras, *share.extras]))
        needs = own_needs(decl, tree, python, version, mode, extras)
        if isinstance(needs, str):
            raise EnvError(
                f"reading the project's dependencies in the sandbox failed: {needs}; {fix}"
            )
        if needs:
            wanted = host_install(needs, [], tree).requirements
            added = uv(["pip", "install", "-q", "--python", str(python), *wanted], home)
            _check(added, "installing the project's own dependencies", fix)
    return time.perf_counter() - start
