"""The test-impact map: which tests executed which files in main's full run, by coverage context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.gitcmd import git
from self_improving_agent.base.safe_files import read_result, write_private
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.context import BenchContext
from self_improving_agent.benchmarks.coverage_config import CoverageConfig

PLUGIN = "_agent_test_contexts"
MAP_NAME = "impact.json"
CACHE_NAME = "test_impact"
# The plugin names each test's coverage context by its node id, as pytest-cov's --cov-context
# does, around setup, call and teardown, so fixtures count for the test that uses them.
_PLUGIN_SOURCE = '''"""Per-test coverage contexts, written by the agent for one measured run."""
import coverage
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    yield
    if cov is not None:
        cov.switch_context("")
'''
# Runs with the measuring interpreter in the sandbox: the data file stays there, one small
# JSON answer (each file's tests by index) comes out.
_EXTRACT = """
import json, sys
from coverage import CoverageData
data = CoverageData(basename=sys.argv[1])
data.read()
tests, files = {}, {}
for path in data.measured_files():
    ids = set()
    for names in (data.contexts_by_lineno(path) or {}).values():
        ids.update(n for n in names if n)
    files[path] = sorted(tests.setdefault(n, len(tests)) for n in ids)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump({"tests": list(tests), "files": files}, out)
"""


@dataclass(frozen=True)
class ImpactMap:
    """Each measured file (repo-relative) and the node ids of the tests that executed it."""

    files: dict[str, frozenset[str]]

    def tests_of(self, rel: str) -> frozenset[str]:
        """The tests that executed rel; none when the map never saw it run."""
        return self.files.get(rel, frozenset())

    def to_json(self) -> dict[str, object]:
        """Tests listed once, files by index: the stored form."""
        tests = sorted({t for ids in self.files.values() for t in ids})
        at = {t: i for i, t in enumerate(tests)}
        files = {rel: sorted(at[t] for t in ids) for rel, ids in sorted(self.files.items())}
        return {"tests": tests, "files": files}


def parse_map(data: object, root: Path) -> ImpactMap:
    """The map from the extractor's JSON; paths made relative to root, others dropped."""
    if not isinstance(data, dict):
        raise ValueError("the test-impact map is not a JSON object")
    tests, files = data.get("tests"), data.get("files")
    if not isinstance(tests, list) or not isinstance(files, dict):
        raise ValueError("the test-impact map lacks its tests or files")
    names = [str(t) for t in tests]
    found: dict[str, frozenset[str]] = {}
    for path, ids in files.items():
        rel = _relative(str(path), root)
        if rel is not None and isinstance(ids, list):
            found[rel] = frozenset(names[int(i)] for i in ids)
    return ImpactMap(found)


def _relative(path: str, root: Path) -> str | None:
    """path below root as a POSIX relative path, or None when it lies outside."""
    candidate = Path(path)
    if not candidate.is_absolute():
        return candidate.as_posix()
    try:
        return candidate.relative_to(root).as_posix()
    except ValueError:
        return None


def wanted(config: CoverageConfig) -> bool:
    """Whether contexts can be recorded: a project's own dynamic_context would fight the plugin."""
    return "dynamic_context" not in config.sections.get("run", {})


def pytest_hook(ctx: BenchContext) -> tuple[list[str], Path]:
    """pytest arguments that load the context plugin, and the host's folder it is imported from
    (for PYTHONPATH)."""
    folder = ctx.host_dir / "impact-plugin"
    # A repeated benchmark runs pytest again in the same context: the host's file stays.
    if not folder.exists():
        folder.mkdir()
        write_private(folder / f"{PLUGIN}.py", _PLUGIN_SOURCE)
    return ["-p", PLUGIN], folder


def extract(ctx: BenchContext, data: Path, timeout_s: float) -> None:
    """Write the map of the run's coverage data into scratch, inside the sandbox."""
    ctx.run_python(["-c", _EXTRACT, str(data), str(ctx.scratch / MAP_NAME)], timeout_s)


def read_map(ctx: BenchContext) -> ImpactMap | None:
    """The map a run left in scratch, or None when it left none or nonsense."""
    try:
        raw = read_result(ctx.scratch, MAP_NAME, "coverage")
        return None if raw is None else parse_map(json.loads(raw), ctx.repo.resolve())
    except (OSError, ValueError):
        return None


def tree_of(repo: Path, ref: str = "HEAD") -> str | None:
    """The git tree id of ref in repo, or None."""
    done = git(repo, "rev-parse", "--verify", f"{ref}^{{tree}}")
    return done.stdout.decode().strip() if done.returncode == 0 else None


def save_map(store: Store, tree: str, impact: ImpactMap) -> None:
    """Keep the map under main's tree id; a later full run of the same tree replaces it."""
    store.cache_result(f"impact:{tree}", CACHE_NAME, impact.to_json())


def load_map(store: Store, tree: str) -> ImpactMap | None:
    """The map recorded for tree, or None."""
    data = store.cached_result(f"impact:{tree}", CACHE_NAME)
    if data is None:
        return None
    try:
        # Stored paths are already relative; no root can make them absolute.
        return parse_map(data, Path("/nonexistent-root"))
    except (ValueError, IndexError):
        return None


def record(repo: Path, ctx: BenchContext, store: Store) -> None:
    """Store the map main's full run left, under the tree it measured."""
    tree = tree_of(repo)
    found = read_map(ctx)
    if tree is not None and found is not None:
        save_map(store, tree, found)
