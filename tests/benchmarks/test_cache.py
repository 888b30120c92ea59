"""content_key: what changes the key and what does not."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.config import BenchmarksSection
from self_improving_agent.benchmarks.cache import content_key, tool_versions
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.sources import repo_files
from tests.conftest import git


def key(
    repo: Path, config: BenchConfig | None = None, bench: BenchmarksSection | None = None
) -> str:
    """The key of the repo as it is now."""
    bench = bench or BenchmarksSection()
    return content_key(repo, repo_files(repo), config or BenchConfig(), bench)


def test_the_key_follows_content_not_commits(repo: Path) -> None:
    start = key(repo)
    assert key(repo) == start
    (repo / "new.py").write_text("x = 1\n", encoding="utf-8")
    untracked = key(repo)
    assert untracked != start
    git(repo, "add", "new.py")
    git(repo, "commit", "-q", "-m", "add")
    assert key(repo) == untracked
    (repo / "new.py").write_text("x = 2\n", encoding="utf-8")
    assert key(repo) != untracked


def test_ignored_files_do_not_change_the_key(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n", encoding="utf-8")
    before = key(repo)
    (repo / "run.log").write_text("noise\n", encoding="utf-8")
    assert key(repo) == before


def test_config_and_settings_change_the_key(repo: Path) -> None:
    base = key(repo)
    assert key(repo, BenchConfig(enabled=["lint_score"])) != base
    limits = BenchmarksSection(max_module_lines=200)
    assert key(repo, bench=limits) != base


def test_tool_versions_name_every_tool() -> None:
    versions = tool_versions()
    assert set(versions) == {"pytest", "pytest-cov", "coverage", "mypy", "ruff", "radon"}
    assert "missing" not in versions.values()
