"""Shared fixtures: a git identity for test commits and real git repositories in temp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.config import (
    AgentSection,
    BenchmarksSection,
    ModelSpec,
    ProvidersSection,
    Settings,
)
from self_improving_agent.benchmarks.context import MeasureSections

# Test commits need an identity; CI machines have no global git config.
for _var, _value in {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
}.items():
    os.environ.setdefault(_var, _value)
# The agent's own interpreter measures test repositories, so no test reaches a package index;
# tests of environment building set [benchmarks] python themselves.
OWN_PYTHON = "AGENT_BENCHMARKS__PYTHON"
os.environ.setdefault(OWN_PYTHON, sys.executable)


def git(repo: Path, *args: str) -> str:
    """Run git in repo and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A git repository on branch main with the given files in one initial commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for rel, text in (files or {"README.md": "# sample\n"}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository with one commit."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No AGENT_* variables from the developer's shell leak into a test."""
    for name in list(os.environ):
        if name.startswith("AGENT_") and name != OWN_PYTHON:
            monkeypatch.delenv(name)
    yield


def own_settings() -> Settings:
    """Default settings measuring with the agent's own interpreter (no environment build)."""
    return Settings(benchmarks=BenchmarksSection(python=sys.executable))


def provider_args(settings: Settings, name: str) -> tuple[Any, str, ModelSpec | None]:
    """A provider's own section, model and catalogue entry, as make_provider passes them."""
    model = settings.agent.model
    return getattr(settings.providers, name), model, settings.providers.models.get(model)


def provider_sections(settings: Settings) -> tuple[AgentSection, ProvidersSection]:
    """The sections make_provider reads, taken from settings as the CLI takes them."""
    return settings.agent, settings.providers


def own_sections() -> MeasureSections:
    """The measuring sections of own_settings: the agent's own interpreter, no environment build."""
    return MeasureSections(benchmarks=BenchmarksSection(python=sys.executable))


@pytest.fixture(autouse=True, scope="session")
def no_module_named_src() -> Iterator[None]:
    """The agent installs as self_improving_agent: no test may ever load a top-level `src`."""
    yield
    assert "src" not in sys.modules, f"a module named src was loaded: {sys.modules['src']!r}"
