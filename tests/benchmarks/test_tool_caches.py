"""Only runs on main's committed tree update the shared tool caches; others keep theirs private."""

from __future__ import annotations

import hashlib
from pathlib import Path

from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.benchmarks.sources import is_committed
from tests.conftest import git, make_repo, own_sections

ONLY = ["lint_score", "type_check"]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with a digest of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def bench(tree: Path, store: Store) -> None:
    """ruff and mypy over tree, measured against main, never answered from the result cache."""
    sections = own_sections()
    suite = run_benchmarks(tree, sections, only=ONLY, store=store, use_cache=False, ref="main")
    assert [r.status for r in suite.results] == ["ok", "ok"], suite.results


def test_only_mains_committed_tree_updates_the_shared_tool_caches(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "import os\n"})
    with Store.for_repo(repo) as store:
        caches = store.path.parent / "cache"
        assert is_committed(repo, "main")
        bench(repo, store)
        shared = snapshot(caches)
        assert any("/ruff/" in name for name in shared) and any("/mypy/" in name for name in shared)

        (repo / "pkg" / "extra.py").write_text("import sys\n", encoding="utf-8")
        assert not is_committed(repo, "main")
        bench(repo, store)
        assert snapshot(caches) == shared
        (repo / "pkg" / "extra.py").unlink()

        candidate = repo / ".agent" / "worktrees" / "gen-1"
        git(repo, "worktree", "add", "-q", "-b", "gen-1", str(candidate))
        (candidate / "pkg" / "cand.py").write_text("import json\n", encoding="utf-8")
        git(candidate, "add", "-A")
        git(candidate, "commit", "-qm", "candidate")
        assert not is_committed(candidate, "main")
        bench(candidate, store)
        assert snapshot(caches) == shared
