"""Per measurement: a private copy of the tree and an overlay venv that imports it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.envs.build import scm_version, uv
from self_improving_agent.envs.declarations import PROJECT_FILES
from self_improving_agent.envs.model import Env
from self_improving_agent.sandbox.sandbox import SandboxSpec


@dataclass(frozen=True)
class Overlay:
    """The interpreter that runs the measured tree's code, and what installing the tree said."""

    python: Path
    note: str


def copy_tree(repo: Path, files: list[str], into: Path) -> Path:
    """The listed files of repo copied into into (git-ignored files never come along)."""
    into.mkdir(parents=True, exist_ok=True)
    for rel in files:
        source, dest = repo / rel, into / rel
        if source.is_symlink() or not source.is_file():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    return into


def import_roots(tree: Path) -> list[Path]:
    """Folders the tree's code is imported from when it cannot be installed: src/, then the top."""
    return [p for p in (tree / "src", tree) if p.is_dir()]


def make_overlay(
    env: Env, repo: Path, tree: Path, scratch: Path, sandbox: SandboxSpec | None = None
) -> Overlay:
    """A throwaway venv that sees env's packages and has the tree installed, no deps, no network.

    The tree's build backend is the candidate's code, so the install runs inside sandbox.
    """
    venv = scratch / "overlay"
    # uv's cache stays in scratch: nothing of a measurement is left in the user's home.
    private = {"UV_CACHE_DIR": str(scratch / "uv-cache")}
    made = uv(["venv", "-q", "--python", str(env.python), str(venv)], scratch, private)
    if made.returncode != 0:
        return Overlay(
            env.python, f"no overlay ({made.tail()}); the tree is imported from its folder"
        )
    python = venv / "bin" / "python"
    site = next((venv / "lib").glob("python*/site-packages"))
    lines = [f"import site; site.addsitedir({d!r})" for d in env.site_dirs]
    (site / "zzz_agent_env.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not any((tree / name).is_file() for name in PROJECT_FILES):
        return Overlay(python, "the tree is not a package; its tests import it from its folder")
    args = ["pip", "install", "-q", "--python", str(python), "--no-deps", "--no-index"]
    # The tree's own build never reaches a package index.
    offline = {**scm_version(repo, "HEAD"), **private, "UV_OFFLINE": "1"}
    run = uv([*args, "--no-build-isolation", "-e", str(tree)], scratch, offline, sandbox)
    if run.returncode == 0:
        return Overlay(python, "the tree is installed (editable) over the environment")
    roots = "\n".join(str(p) for p in import_roots(tree))
    (site / "_agent_tree.pth").write_text(roots + "\n", encoding="utf-8")
    tail = run.tail().strip().splitlines()[-1:] or [""]
    return Overlay(python, f"the tree did not install ({tail[0]}); imported from its folders")
