"""The files that steer the judge: its config, its benchmark config and the user's evaluators.

A change to any of them is held for a person, never refused: the judge reads them from its own
commit for the whole run, so the change cannot judge the run that made it.
"""

from __future__ import annotations

import itertools
import json
import posixpath
import shlex
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from self_improving_agent.base.config import DEFAULT_CONFIG_RELPATH
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.git_ops.changeset import file_at

JUDGE_SETTINGS = "judge/settings"
CONFIG_REL = DEFAULT_CONFIG_RELPATH.as_posix()
HELD_WHY = (
    "steers the judge, which reads it from its own commit for the whole run; a person merges"
    " it, and it judges from the next run on"
)


def _inside(text: str) -> str | None:
    """A command word or listed name as a plain repo-relative path, or None when it is not one."""
    if not text or "\0" in text or text.startswith(("/", "~", "-")):
        return None
    rel = posixpath.normpath(text.replace("\\", "/"))
    if rel in (".", "") or rel.split("/")[0] in ("..", ".git"):
        return None
    return rel


def _module_files(module: str) -> list[str]:
    """Where `python -m module` finds its code in a repository, flat or under src/."""
    base = module.replace(".", "/")
    return [f"{root}{base}{tail}" for root in ("", "src/") for tail in (".py", "/__main__.py")]


def evaluator_paths(custom: Iterable[Any], tracked: Collection[str]) -> list[str]:
    """The tracked files the user's evaluators name: command words, `-m` modules and `files`
    (a folder ends with '/')."""
    found: set[str] = set()
    for entry in custom:
        if not isinstance(entry, dict):
            continue
        command = entry.get("command", [])
        if isinstance(command, str):
            command = shlex.split(command)
        words = [w for w in command if isinstance(w, str)] if isinstance(command, list) else []
        names = [c for w in words for c in (w, w.partition("=")[2])]
        names += [f for w, m in itertools.pairwise(words) if w == "-m" for f in _module_files(m)]
        listed = entry.get("files", [])
        names += [n for n in (listed if isinstance(listed, list) else []) if isinstance(n, str)]
        for name in names:
            rel = _inside(name)
            if rel is None:
                continue
            if rel in tracked:
                found.add(rel)
            elif name in listed and any(t.startswith(rel + "/") for t in tracked):
                found.add(rel + "/")
            elif name in listed:
                found.add(rel)
    return sorted(found)


def tracked_files(repo: Path, commit: str) -> set[str]:
    """Every file path of a commit."""
    try:
        done = git(repo, "ls-tree", "-r", "-z", "--name-only", commit)
    except GitError:
        return set()
    names = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    return {name for name in names if name} if done.returncode == 0 else set()


def custom_entries(raw: bytes | None) -> list[Any]:
    """The raw `custom` list of a benchmark config's bytes (none when it is missing or broken)."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return []
    custom = data.get("custom") if isinstance(data, dict) else None
    return custom if isinstance(custom, list) else []


def judge_files_at(
    repo: Path, commit: str, bench_config: str, config: str = CONFIG_REL
) -> tuple[str, ...]:
    """The judge's files as commit holds them: the config, the benchmark config, the evaluators."""
    custom = custom_entries(file_at(repo, commit, bench_config))
    evaluators = evaluator_paths(custom, tracked_files(repo, commit)) if custom else []
    return tuple(dict.fromkeys([config, bench_config, *evaluators]))


def steers_judge(path: str, files: Sequence[str]) -> str | None:
    """The judge's file that path is, or lies in (a folder ends with '/'), or None."""
    folded = posixpath.normpath(path).casefold()
    for entry in files:
        target = entry.casefold().rstrip("/")
        if folded == target or (entry.endswith("/") and folded.startswith(target + "/")):
            return entry
    return None
