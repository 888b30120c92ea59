"""Build an environment with uv from a checked-out tree's declarations (network allowed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from uv import find_uv_bin

from self_improving_agent.envs.declarations import Declarations
from self_improving_agent.envs.model import MEASURING_TOOLS, EnvError
from self_improving_agent.sandbox.proc import ToolRun, run_tool, tool_env
from self_improving_agent.sandbox.sandbox import SandboxSpec

BUILD_TIMEOUT_S = 1800.0
REQUIREMENTS_NAME = ".agent-test-requirements.txt"
_VERSION = re.compile(r"\d+(\.\d+)*")


def scm_version(repo: Path, ref: str) -> dict[str, str]:
    """The version setuptools-scm and hatch-vcs would find, for copies that lack git metadata.

    It matters: a project that pytest itself depends on (pluggy, iniconfig, packaging) must
    keep a version that satisfies pytest's requirement, or no environment can hold both.
    """
    done = subprocess.run(
        ["git", "describe", "--tags", "--abbrev=0", ref],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    found = _VERSION.search(done.stdout) if done.returncode == 0 else None
    return {"SETUPTOOLS_SCM_PRETEND_VERSION": found.group(0) if found else "0.0.0"}


def uv(
    args: list[str],
    cwd: Path,
    extra: dict[str, str] | None = None,
    sandbox: SandboxSpec | None = None,
) -> ToolRun:
    """Run uv with the user's index settings (UV_* variables pass through) and secrets removed."""
    env = tool_env(os.environ, {"UV_NO_PROGRESS": "1", **(extra or {})})
    return run_tool([find_uv_bin(), *args], cwd, env, BUILD_TIMEOUT_S, sandbox=sandbox)


def _check(run: ToolRun, what: str, fix: str) -> None:
    """EnvError naming the step, uv's last words and the fix when uv failed."""
    if run.returncode != 0:
        tail = [line.strip() for line in run.tail().splitlines() if line.strip()][-6:]
        raise EnvError(f"{what} failed: {' / '.join(tail)}; {fix}")


def install_args(decl: Declarations, tree: Path) -> list[str]:
    """Arguments of the one `uv pip install` that fills the environment."""
    args: list[str] = []
    if decl.installable:
        args.append(f".[{','.join(decl.extras)}]" if decl.extras else ".")
    if decl.requirements:
        (tree / REQUIREMENTS_NAME).write_text("\n".join(decl.requirements) + "\n", encoding="utf-8")
        args += ["-r", REQUIREMENTS_NAME]
    for name in decl.requirement_files:
        args += ["-r", name]
    return [*args, *MEASURING_TOOLS, *decl.build_requires]


def installed_from(site_dirs: list[str], tree: Path) -> list[str]:
    """Names of distributions installed from the tree itself (they must not stay)."""
    names = []
    for site in site_dirs:
        for direct in Path(site).glob("*.dist-info/direct_url.json"):
            try:
                url = json.loads(direct.read_text(encoding="utf-8")).get("url", "")
            except (OSError, ValueError):
                continue
            if Path(unquote(urlparse(url).path)).resolve() == tree.resolve():
                names.append(direct.parent.name.split("-")[0])
    return names


def build(
    decl: Declarations, tree: Path, target: Path, base_python: str, version: dict[str, str]
) -> float:
    """Create target as a venv holding the tree's dependencies; seconds taken."""
    start = time.perf_counter()
    shutil.rmtree(target, ignore_errors=True)
    fix = "fix the declarations on the main branch, or set [benchmarks] python"
    made = uv(["venv", "-q", "--python", base_python, str(target)], tree)
    _check(made, "creating the environment", fix)
    python = str(target / "bin" / "python")
    args = ["pip", "install", "-q", "--python", python, *install_args(decl, tree)]
    filled = uv(args, tree, version)
    _check(filled, f"installing the test dependencies ({decl.source})", fix)
    sites = [str(p) for p in (target / "lib").glob("python*/site-packages")]
    own = installed_from(sites, tree)
    if own:
        # The project itself is what each measurement installs from the tree it measures.
        removed = uv(["pip", "uninstall", "-q", "--python", python, *own], tree)
        _check(removed, "removing the project's own copy", fix)
    return time.perf_counter() - start
