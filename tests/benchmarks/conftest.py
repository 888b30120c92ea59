"""Fixture repositories with known numbers, and a context to run single benchmarks in."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.benchmarks.context import BenchContext, MeasureSections
from self_improving_agent.benchmarks.sources import SourceTree
from tests.conftest import make_repo

CALC = '''"""Arithmetic helpers."""

import os


def add(a: int, b: int) -> int:
    """Sum of two numbers."""
    return a + b


def sub(a: int, b: int) -> int:
    return a - b


def half(n: int) -> str:
    """Half of n."""
    return n / 2


def risky(text: str) -> object:
    return eval(text)
'''

TESTS = """import os

import pytest

from pkg.calc import add, sub


def test_add():
    assert add(1, 2) == 3


def test_sub():
    assert sub(3, 1) == 2


def test_env_dump():
    # Checked inside: the sandbox lets the target write nowhere outside its tree and scratch.
    secrets = {secrets!r}
    assert "PATH" in os.environ
    assert not set(secrets) & set(os.environ)
    assert not set(secrets.values()) & set(os.environ.values())


def test_wrong():
    assert add(2, 2) == 5


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass
"""

# What the fixture repo's benchmarks must report; each figure is also checked by hand.
SECRETS = {"GITHUB_TOKEN": "ghp_fixture_secret", "MY_API_KEY": "k3y-fixture", "AWS_SECRET_X": "s"}


def sample_files() -> dict[str, str]:
    """The sample repository: 4 counted tests (3 pass), 1 ruff and 1 mypy problem, ..."""
    return {
        "README.md": "# sample\n",
        "pkg/__init__.py": '"""Sample package."""\n',
        "pkg/calc.py": CALC,
        "pkg/broken.py": '"""Fails on import."""\n\nraise RuntimeError("boom")\n',
        "tests/__init__.py": "",
        "tests/test_calc.py": TESTS.format(secrets=SECRETS),
    }


def context(repo: Path, scratch: Path, sections: MeasureSections | None = None) -> BenchContext:
    """A context over repo with scratch and tool caches under a temp dir."""
    scratch.mkdir(parents=True, exist_ok=True)
    host = scratch.parent / f"{scratch.name}-host"
    host.mkdir(exist_ok=True)
    return BenchContext(
        repo=repo,
        sections=sections or MeasureSections(),
        tree=SourceTree.scan(repo),
        scratch=scratch,
        cache_dir=scratch / "cache",
        host_dir=host,
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sample repository with a stray untracked file at its root."""
    base = tmp_path_factory.mktemp("sample")
    repo = make_repo(base / "repo", sample_files())
    (repo / "notes.bak").write_text("leftover\n", encoding="utf-8")
    yield repo


def write_config(repo: Path, data: object) -> None:
    """Write the repository's config/benchmarks.json."""
    path = repo / "config" / "benchmarks.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def live_group_members(pgid: int, settle_s: float = 5.0) -> list[int]:
    """Pids of non-zombie processes in a process group, once a SIGKILL has had time to land."""
    deadline = time.monotonic() + settle_s
    members = _group_members(pgid)
    # A killed process is briefly alive while the kernel tears it down, longer on a loaded machine.
    while members and time.monotonic() < deadline:
        time.sleep(0.05)
        members = _group_members(pgid)
    return members


def _group_members(pgid: int) -> list[int]:
    """Pids of non-zombie processes in a process group right now."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members
