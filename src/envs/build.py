"""Build an environment with uv from a checked-out tree's declarations (network allowed)."""

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
from self_improving_agent.envs.metadata import project_requires
from self_improving_agent.envs.model import MEASURING_TOOLS, EnvError
from self_improving_agent.sandbox.proc import ToolRun, run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import SandboxMode, SandboxSpec

BUILD_TIMEOUT_S = 1800.0
REQUIREMENTS_NAME = ".agent-test-requirements.txt"
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


# What the host's own package installs (uv, with network, no sandbox) get from the environment:
# where to find things, the user's index and uv settings, proxies and certificates. uv expands
# ${VAR} in the declarations it reads, so any other variable could travel out in a URL.
_HOST_PASSED = ("PATH", "HOME", "USER", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR", "NETRC")
_HOST_CERTS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")
_HOST_PREFIXES = ("LC_", "UV_", "XDG_")
_PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def host_install_env(
    extra: dict[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of an install on the host: an allowlist of the host's, then extra."""
    host = os.environ if environ is None else environ
    passed = (*_HOST_PASSED, *_HOST_CERTS)
    env = {
        k: v
        for k, v in host.items()
        if k in passed or k.startswith(_HOST_PREFIXES) or k.lower() in _PROXIES
    }
    return {**env, **extra}


def uv(
    args: list[str],
    cwd: Path,
    extra: dict[str, str] | None = None,
    sandbox: SandboxSpec | None = None,
) -> ToolRun:
    """Run uv: on the host with an allowlist (the user's index settings, proxies, paths) so no
    other variable can be expanded into a URL; in a sandbox with its own allowlist only, so no
    index credential goes in."""
    fixed = {"UV_NO_PROGRESS": "1", **(extra or {})}
    env = host_install_env(fixed) if sandbox is None else sandbox_env(fixed)
    return run_tool([find_uv_bin(), *args], cwd, env, BUILD_TIMEOUT_S, sandbox=sandbox)


def _check(run: ToolRun, what: str, fix: str) -> None:
    """EnvError naming the step, uv's last words and the fix when uv failed."""
    if run.returncode != 0:
        tail = [line.strip() for line in run.tail().splitlines() if line.strip()][-6:]
        raise EnvError(f"{what} failed: {' / '.join(tail)}; {fix}")


def install_args(decl: Declarations, tree: Path) -> list[str]:
    """Arguments of the host's `uv pip install`: third-party declarations only, never the tree."""
    args: list[str] = []
    if decl.requirements:
        (tree / REQUIREMENTS_NAME).write_text("\n".join(decl.requirements) + "\n", encoding="utf-8")
        args += ["-r", REQUIREMENTS_NAME]
    for name in decl.requirement_files:
        args += ["-r", name]
    return [*args, *MEASURING_TOOLS, *decl.build_requires]


def _extras(line: str) -> list[str]:
    """The extras a requirement line asks for (`b[x,y]>=1` -> x, y)."""
    found = _EXTRAS.search(line.split(";")[0])
    return [e.strip() for e in found.group(1).split(",") if e.strip()] if found else []


def own_needs(
    decl: Declarations, tree: Path, python: Path, version: dict[str, str], mode: SandboxMode
) -> list[str] | str:
    """The third-party requirements of the project and of each workspace member it names.

    A member named as a requirement comes from the tree, never from an index: its own
    requirements are read the same way (in the sandbox) and take its place.
    """

    def member(name: str) -> Path:
        """Another member's folder, without `..` (the sandbox binds and enters it by name)."""
        return Path(os.path.normpath(tree / decl.siblings[name]))

    pending = [(tree, list(decl.extras))]
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
    shutil.rmtree(target, ignore_errors=True)
    fix = "fix the declarations on the main branch, or set [benchmarks] python"
    made = uv(["venv", "-q", "--python", base_python, str(target)], tree)
    _check(made, "creating the environment", fix)
    python = target / "bin" / "python"
    filled = uv(["pip", "install", "-q", "--python", str(python), *install_args(decl, tree)], tree)
    _check(filled, f"installing the test dependencies ({decl.source})", fix)
    if decl.installable:
        needs = own_needs(decl, tree, python, version, mode)
        if isinstance(needs, str):
            raise EnvError(
                f"reading the project's dependencies in the sandbox failed: {needs}; {fix}"
            )
        if needs:
            added = uv(["pip", "install", "-q", "--python", str(python), *needs], tree)
            _check(added, "installing the project's own dependencies", fix)
    return time.perf_counter() - start
