"""Per measurement: a private copy of the tree and an overlay venv that imports it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.safe_files import write_private
from self_improving_agent.base.text import printable
from self_improving_agent.envs.build import scm_version, uv
from self_improving_agent.envs.declarations import PROJECT_FILES
from self_improving_agent.envs.members import install_members
from self_improving_agent.envs.model import Env
from self_improving_agent.envs.workspace import members_of
from self_improving_agent.sandbox.sandbox import SandboxSpec


@dataclass(frozen=True)
class Overlay:
    """The interpreter that runs the measured tree's code, and what installing the tree said."""

    python: Path
    note: str
    # Why the tree cannot be measured at all (a workspace member that does not build), or "".
    error: str = ""


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


def _venv(env: Env, folder: Path, cache: Path) -> tuple[Path, Path] | str:
    """A fresh venv over env's interpreter and its site-packages folder, or uv's complaint."""
    made = uv(
        ["venv", "-q", "--no-config", "--python", str(env.python), str(folder)],
        cache.parent,
        {"UV_CACHE_DIR": str(cache)},
    )
    if made.returncode != 0:
        return made.tail()
    return folder / "bin" / "python", next((folder / "lib").glob("python*/site-packages"))


def make_overlay(
    env: Env,
    repo: Path,
    tree: Path,
    scratch: Path,
    host_dir: Path,
    sandbox: SandboxSpec | None = None,
    member: str = "",
) -> Overlay:
    """A throwaway venv that sees env's packages and has the tree installed, no deps, no network.

    The tree's build backend is the candidate's code, so it installs the tree into a venv in
    scratch, inside sandbox. The interpreter that measures is another venv, in host_dir, whose
    .pth files the host writes: nothing the build left in scratch can redirect a host write.
    member names the workspace member measured: every member is installed, itself included.
    """
    # uv's cache stays in scratch: nothing of a measurement is left in the user's home.
    host_cache = host_dir / "uv-cache"
    made = _venv(env, host_dir / "overlay", host_cache)
    if isinstance(made, str):
        return Overlay(env.python, f"no overlay ({made}); the tree is imported from its folder")
    python, site = made
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in env.site_dirs)
    write_private(site / "zzz_agent_env.pth", lines)
    package = any((tree / name).is_file() for name in PROJECT_FILES)
    if not package and not members_of(tree):
        return Overlay(python, "the tree is not a package; its tests import it from its folder")
    built = _venv(env, scratch / "build", host_cache)
    if isinstance(built, str):
        return Overlay(python, f"the tree did not install ({built}); imported from its folders")
    build_python, build_site = built
    write_private(build_site / "zzz_agent_env.pth", lines)
    # The tree's own build never reaches a package index.
    offline = {**scm_version(repo, "HEAD"), "UV_CACHE_DIR": str(scratch / "uv-cache")}
    offline["UV_OFFLINE"] = "1"
    broken = install_members(build_python, tree, scratch, offline, sandbox)
    # The measuring interpreter reads what the build installed, inside the sandbox only.
    write_private(site / "_agent_tree.pth", f"import site; site.addsitedir({str(build_site)!r})\n")
    if member:
        return Overlay(python, "the workspace's members are installed (editable)", broken)
    if not package:
        note = "the tree is not a package; its tests import it from its folder"
        return Overlay(python, note, broken)
    args = ["pip", "install", "-q", "--python", str(build_python), "--no-deps", "--no-index"]
    run = uv([*args, "--no-build-isolation", "-e", str(tree)], scratch, offline, sandbox)
    if run.returncode == 0:
        return Overlay(python, "the tree is installed (editable) over the environment", broken)
    write_private(site / "_agent_roots.pth", "".join(f"{p}\n" for p in import_roots(tree)))
    tail = run.tail().strip().splitlines()[-1:] or [""]
    note = f"the tree did not install ({printable(tail[0])}); imported from its folders"
    return Overlay(python, note, broken)
