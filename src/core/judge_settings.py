"""The judge's settings for a whole run, read once from the pin or main's commit, never a tree.

On the agent's own repository they are the pinned judge's; elsewhere main's committed files as
the run starts. A generation that changes them is held for a person, and even then what it wrote
judges nothing in this run: the run keeps the values read here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.config import BenchmarksSection
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.benchmarks.config import (
    BenchConfig,
    load_bench_config,
    parse_bench_config,
)
from self_improving_agent.core.judge_exec import running_judge
from self_improving_agent.core.own_repo import is_self_hosted
from self_improving_agent.gates.judge_files import (
    CONFIG_REL,
    judge_files_at,
    steers_judge,
    tracked_files,
)
from self_improving_agent.git_ops.changeset import file_at
from self_improving_agent.git_ops.judge_pin import commit_of, read_pin
from self_improving_agent.git_ops.main_branch import resolve_main_branch


@dataclass(frozen=True)
class SettingsSource:
    """The commit the judge's settings are read from, and how to name it to a person."""

    commit: str
    label: str
    pinned: bool


@dataclass(frozen=True)
class JudgeSettings:
    """What steers the judge for the run: its benchmark config, its files, its evaluators."""

    source: SettingsSource
    bench: BenchConfig
    # The config, the benchmark config and the evaluators: a change to any waits for a person.
    files: tuple[str, ...]
    # The evaluators' files as the source holds them, written over every measured copy.
    evaluators: tuple[tuple[str, bytes], ...]


def settings_source(
    repo: Path, environ: Mapping[str, str], main_branch: str | None
) -> SettingsSource:
    """The pinned judge's commit on the agent's own repository, else main's as the run starts."""
    pinned = running_judge(environ) or (read_pin(repo) if is_self_hosted(repo) else None)
    if pinned:
        return SettingsSource(pinned, f"the pinned judge {pinned[:10]}", pinned=True)
    sha = commit_of(repo, f"refs/heads/{resolve_main_branch(repo, main_branch)}")
    return SettingsSource(sha, f"main at {sha[:10]}", pinned=False)


def committed_config(
    repo: Path, source: SettingsSource, rel: str = CONFIG_REL
) -> tuple[str, str | None] | None:
    """(where, text) of the config file the source holds; None to read a person's untracked one.

    Main without the file leaves an untracked one in the checkout to a person: no generation
    writes there. The pin without it means the defaults.
    """
    raw = file_at(repo, source.commit, rel)
    where = f"{rel} at {source.label}"
    if raw is None:
        return (where, None) if source.pinned else None
    try:
        return where, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text; save it as UTF-8 and commit it") from None


def uncommitted_note(repo: Path, source: SettingsSource, rel: str = CONFIG_REL) -> str:
    """A line when the checkout's config differs from the one the judge reads, else ''."""
    committed = file_at(repo, source.commit, rel)
    try:
        here = (repo / rel).read_bytes()
    except OSError:
        return ""
    if committed is None or here == committed:
        return ""
    how = "a person promotes it to use it" if source.pinned else "commit it to main to use it"
    return f"note: {rel} differs from {rel} at {source.label}, which judges this run; {how}"


def judge_settings(
    repo: Path,
    source: SettingsSource,
    section: BenchmarksSection,
    config_rel: str = CONFIG_REL,
) -> JudgeSettings:
    """Read the benchmark config, the judge's files and the evaluators' bytes from the source."""
    raw = file_at(repo, source.commit, section.config)
    where = f"{section.config} at {source.label}"
    if raw is not None:
        try:
            bench = parse_bench_config(json.loads(raw), where)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc}); fix it and commit it") from None
    elif source.pinned:
        bench = BenchConfig()
    else:
        # Not on main: a person's untracked file, or none (the defaults).
        bench = load_bench_config(repo, section)
    files = judge_files_at(repo, source.commit, section.config, config_rel)
    evaluators = files[2:]
    tracked = tracked_files(repo, source.commit)
    found = sorted(path for path in tracked if steers_judge(path, evaluators))
    blobs = [(path, file_at(repo, source.commit, path)) for path in found]
    pinned = tuple((path, data) for path, data in blobs if data is not None)
    return JudgeSettings(source, bench, files, pinned)
