"""The one place git is started: the user's config kept, hooks and fsmonitor off, gitdirs pinned."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.errors import GitError

# Forced on every git command. The user's and system config still apply (autocrlf, identity
# for their own commands, and the filter and merge drivers their .gitattributes name, which
# define what the files' bytes are), but no program git would run on its own does: no
# fsmonitor, hook, pager, editor, external diff or textconv, signature check or ext:: transport,
# so a planted or user program can neither run as the agent nor fail its own bookkeeping.
# Transport programs (ssh, credential helpers) only ever run when GitHub mode pushes to the
# user's own remote, which is what the user configured them for.
HOOKS_OFF = os.devnull
SAFE_CONFIG = (
    "--no-pager",
    *("-c", "core.fsmonitor=false", "-c", f"core.hooksPath={HOOKS_OFF}"),
    *("-c", "log.showSignature=false", "-c", "merge.verifySignatures=false"),
    *("-c", "core.alternateRefsCommand=", "-c", "protocol.ext.allow=never"),
)
# Diffs shown to people or models come from git alone, never from a configured program.
SHOWN_DIFF = ("--no-textconv", "--no-ext-diff")
# Commands that can print a diff get SHOWN_DIFF whatever their caller passed.
_DIFFING = frozenset({"diff", "log", "show"})
# What would start an editor or a pager is told to start none (":" is git's "no editor").
_NO_PROGRAMS = {"GIT_EDITOR": ":", "GIT_SEQUENCE_EDITOR": ":", "GIT_PAGER": "cat"}
# Inherited variables that would point git at another repository than the one asked for.
_LOCATING = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_EXTERNAL_DIFF",
)
# A push or fetch must fail rather than wait for a password nobody will type.
_QUIET = {"GIT_TERMINAL_PROMPT": "0"}

# Work tree -> the gitdir git recorded for it when the agent created it (both real paths).
_PINNED: dict[Path, Path] = {}
_PINNED_LOCK = threading.Lock()


@dataclass(frozen=True)
class GitRun:
    """What one git command did: exit status, stdout as bytes, stderr as text."""

    returncode: int
    stdout: bytes
    stderr: str


def _real(path: Path) -> Path:
    """Path with symlinks resolved, so two spellings of one folder compare equal."""
    return Path(os.path.realpath(path))


def recorded_gitdir(common_dir: Path, work_tree: Path) -> Path | None:
    """The admin folder git made for work_tree under common_dir/worktrees, read from there only."""
    wanted = _real(work_tree) / ".git"
    admin = common_dir / "worktrees"
    if not admin.is_dir():
        return None
    for entry in sorted(admin.iterdir()):
        try:
            recorded = (entry / "gitdir").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if recorded and _real(Path(recorded)) == wanted:
            return _real(entry)
    return None


def pin(work_tree: Path, git_dir: Path) -> None:
    """From now on, git in work_tree uses git_dir whatever its `.git` says."""
    with _PINNED_LOCK:
        _PINNED[_real(work_tree)] = _real(git_dir)


def unpin(work_tree: Path) -> None:
    """Forget the pinned gitdir of a removed work tree."""
    with _PINNED_LOCK:
        _PINNED.pop(_real(work_tree), None)


def pinned_for(cwd: Path) -> tuple[Path, Path] | None:
    """(work tree, gitdir) of the pinned work tree holding cwd, or None."""
    here = _real(cwd)
    with _PINNED_LOCK:
        for tree, git_dir in _PINNED.items():
            if here == tree or tree in here.parents:
                return tree, git_dir
    return None


def git_env(cwd: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of git in cwd: the caller's, minus locating variables, plus the pin."""
    env = {k: v for k, v in os.environ.items() if k not in _LOCATING}
    env.update(_QUIET)
    env.update(_NO_PROGRAMS)
    env.update(extra or {})
    pinned = pinned_for(cwd)
    if pinned is not None:
        env["GIT_WORK_TREE"], env["GIT_DIR"] = str(pinned[0]), str(pinned[1])
    return env


def _shown_diffs(args: tuple[str, ...]) -> tuple[str, ...]:
    """args with SHOWN_DIFF after a diffing subcommand (leading `-c key=value` pairs skipped)."""
    at = 0
    while at + 1 < len(args) and args[at] == "-c":
        at += 2
    if at < len(args) and args[at] in _DIFFING:
        return (*args[: at + 1], *SHOWN_DIFF, *args[at + 1 :])
    return args


def git(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float | None = None,
) -> GitRun:
    """Run `git args` in cwd with the safe configuration; GitError only when git cannot start."""
    try:
        done = subprocess.run(
            ["git", *SAFE_CONFIG, *_shown_diffs(args)],
            cwd=cwd,
            env=git_env(cwd, env),
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise GitError(
            f"git {args[0] if args else ''} timed out in {cwd} after {timeout} s."
        ) from None
    except OSError as exc:
        raise GitError(
            f"git could not be started in {cwd} ({exc.strerror or exc}); install git, fix PATH "
            "or pass an existing folder."
        ) from None
    return GitRun(done.returncode, done.stdout, done.stderr.decode("utf-8", errors="replace"))
