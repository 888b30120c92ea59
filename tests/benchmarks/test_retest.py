"""Extra pytest runs on composed trees: files put back from main, in the env and the sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from self_improving_agent.base.config import BenchmarksSection
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.retest import base_versions, open_tree
from self_improving_agent.envs.resolve import resolve_env
from self_improving_agent.sandbox.sandbox import choose
from tests.conftest import git, make_repo

TEST_A = "def test_a() -> None:\n    assert True\n"


def test_base_versions_and_compose_put_main_back(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"tests/test_a.py": TEST_A, "pkg.py": "X = 1\n"})
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "tests/test_a.py").write_text("def test_a() -> None:\n    assert False\n")
    (repo / "tests/test_new.py").write_text("def test_new() -> None:\n    assert True\n")
    (repo / "pkg.py").write_text("X = 2\n")
    restore = base_versions(repo, base, ["tests/test_a.py", "tests/test_new.py"])
    assert restore == {"tests/test_a.py": TEST_A.encode(), "tests/test_new.py": None}
    sections = MeasureSections(benchmarks=BenchmarksSection(python=sys.executable))
    with open_tree(repo, sections, restore, None, 60) as tree:
        assert (tree.ctx.repo / "pkg.py").read_text() == "X = 2\n"
        assert not (tree.ctx.repo / "tests/test_new.py").exists()
        assert tree.outcomes() == {"tests/test_a.py::test_a": "passed"}
        assert tree.outcome("tests/test_a.py::test_a") == "passed"
        assert tree.outcome("tests/test_a.py::test_gone") in ("missing", "error")


@pytest.mark.skipif(choose("auto") != "bwrap", reason="needs bubblewrap")
def test_reruns_run_in_the_sandbox_and_the_target_env(tmp_path: Path) -> None:
    """The host's /tmp is hidden from a rerun, and it imports from the measuring environment."""
    marker = tmp_path / "host-only"
    marker.write_text("x")
    probe = (
        "import sys\nfrom pathlib import Path\n\n\n"
        f"def test_probe() -> None:\n    assert not Path({str(marker)!r}).exists()\n"
        "    assert 'overlay' in sys.executable\n"
    )
    repo = make_repo(tmp_path / "repo", {"tests/test_probe.py": probe})
    sections = MeasureSections(benchmarks=BenchmarksSection(python=sys.executable))
    env = resolve_env(repo, "HEAD", sys.executable, None)
    with open_tree(repo, sections, {}, env, 60) as tree:
        assert tree.outcome("tests/test_probe.py::test_probe") == "passed"
