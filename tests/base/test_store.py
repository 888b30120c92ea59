"""The SQLite store: migrations, idempotent re-open, rows, cache, crash safety."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from self_improving_agent.base.errors import StoreError
from self_improving_agent.base.migrations import MIGRATIONS
from self_improving_agent.base.models import EvolutionEntry
from self_improving_agent.base.store import Store, db_path, now_iso, occupied_state_path
from tests.conftest import git


def entry(n: int, status: str = "running", **fields: object) -> EvolutionEntry:
    """A generation row with sensible defaults."""
    return EvolutionEntry.model_validate(
        {"generation": n, "status": status, "started_at": now_iso(), **fields}
    )


def test_migrations_from_empty_create_every_table(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.schema_version == len(MIGRATIONS)
    db = sqlite3.connect(tmp_path / "s.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"generations", "phases", "llm_calls", "bench_cache"} <= tables
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopen_is_idempotent_and_keeps_rows(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.add_generation(entry(1, "accepted", title="first"))
    for _ in range(2):
        with Store(tmp_path / "s.db") as store:
            assert store.schema_version == len(MIGRATIONS)
            assert [e.title for e in store.list_generations()] == ["first"]


def test_generation_rows_round_trip_and_numbers_are_never_reused(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.next_generation_number() == 1
        store.add_generation(entry(1))
        store.add_generation(entry(2))
        updated = store.update_generation(
            2, status="rejected", reason="tests dropped", score_before=0.5, score_after=0.4
        )
        assert updated.delta == pytest.approx(-0.1)
        assert store.next_generation_number() == 3
        assert [e.generation for e in store.list_generations("rejected")] == [2]
        assert store.counts_by_status() == {"running": 1, "rejected": 1}
        with pytest.raises(StoreError, match="generation 9 does not exist"):
            store.update_generation(9, status="failed")


def test_invalid_status_is_refused_before_writing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.add_generation(entry(1))
        with pytest.raises(ValueError, match="status"):
            store.update_generation(1, status="bogus")
        assert store.get_generation(1) == store.list_generations()[0]
        assert store.list_generations()[0].status == "running"


def test_phases_llm_calls_and_cost(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.add_generation(entry(1))
        pid = store.start_phase(1, "plan")
        store.finish_phase(pid, "ok")
        pid = store.start_phase(1, "implement")
        store.finish_phase(pid, "failed", "anchor not found")
        assert [(p["phase"], p["status"], p["error"]) for p in store.phases(1)] == [
            ("plan", "ok", None),
            ("implement", "failed", "anchor not found"),
        ]
        assert store.get_generation(1) is not None
        assert store.get_generation(1).phase == "implement"  # type: ignore[union-attr]
        call = {"persona": "architect", "provider": "mock", "model": "m"}
        store.add_llm_call(1, {**call, "input_tokens": 10, "output_tokens": 5, "latency_s": 0.1})
        store.add_llm_call(
            1, {**call, "input_tokens": 1, "output_tokens": 1, "latency_s": 0.1, "cost_usd": 0.25}
        )
        store.add_llm_call(
            1, {**call, "input_tokens": 1, "output_tokens": 1, "latency_s": 0.1, "cost_usd": 0.5}
        )
        assert len(store.llm_calls(1)) == 3
        assert store.total_cost() == pytest.approx(0.75)


def test_benchmark_cache(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.cached_result("k", "lint_score") is None
        store.cache_result("k", "lint_score", {"score": 0.9})
        store.cache_result("k", "lint_score", {"score": 0.8})
        assert store.cached_result("k", "lint_score") == {"score": 0.8}
        assert store.cached_result("other", "lint_score") is None


def test_clear_deletes_rows_but_keeps_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.add_generation(entry(1))
        store.start_phase(1, "plan")
        store.cache_result("k", "n", {})
        store.clear()
        assert store.list_generations() == []
        assert store.cached_result("k", "n") is None
        assert store.schema_version == len(MIGRATIONS)


def test_for_repo_excludes_state_dir_via_info_exclude(repo: Path) -> None:
    Store.for_repo(repo).close()
    assert db_path(repo).is_file()
    assert "/.agent/" in (repo / ".git/info/exclude").read_text()
    assert not (repo / ".gitignore").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_existing_never_creates_state(tmp_path: Path) -> None:
    assert Store.existing(tmp_path) is None
    assert not (tmp_path / ".agent").exists()


def test_unopenable_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "s.db"
    bad.write_bytes(b"this is not a sqlite database, not at all" * 100)
    with pytest.raises(StoreError, match="cannot open the state database"):
        Store(bad)


WRITER = """
import os
import sys
sys.path.insert(0, os.getcwd())
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.base.models import EvolutionEntry
store = Store(__import__("pathlib").Path(sys.argv[1]))
n = store.next_generation_number()
print("ready", flush=True)
while True:
    store.add_generation(EvolutionEntry(generation=n, status="running", started_at=now_iso()))
    pid = store.start_phase(n, "plan")
    store.finish_phase(pid, "ok")
    store.update_generation(n, status="accepted", title="t" * 500)
    n += 1
"""


def test_write_interrupted_by_a_killed_process_leaves_a_readable_database(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    root = Path(__file__).resolve().parents[2]
    writer = tmp_path / "writer.py"
    writer.write_text(WRITER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(writer), str(path)], cwd=root, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    proc.kill()
    proc.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with Store(path) as store:
        entries = store.list_generations()
        assert len(entries) > 1
        # Each write is one transaction: every committed row is whole.
        assert all(e.status in ("running", "accepted") for e in entries)
        assert all(e.title in (None, "t" * 500) for e in entries)
        store.add_generation(entry(store.next_generation_number()))


FULL_DISK = """
import resource, sys
from pathlib import Path
from self_improving_agent.base.errors import StoreError
from self_improving_agent.base.models import EvolutionEntry
from self_improving_agent.base.store import Store, now_iso
store = Store(Path(sys.argv[1]))
size = sum(p.stat().st_size for p in Path(sys.argv[1]).parent.iterdir())
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 8192, size + 8192))
try:
    for n in range(1, 10000):
        entry = EvolutionEntry(generation=n, status="running", started_at=now_iso())
        store.add_generation(entry.model_copy(update={"reason": "x" * 4000}))
except StoreError as exc:
    print(exc)
"""


def test_a_full_disk_is_one_sentence_naming_the_file(tmp_path: Path) -> None:
    db = tmp_path / "state" / "agent.db"
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "full_disk.py"
    script.write_text(FULL_DISK, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(db)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"cannot write the state database {db} (")
    assert "full" in line or "too large" in line


def test_a_state_folder_held_by_a_file_or_link_is_named_before_anything_is_made(
    repo: Path,
) -> None:
    (repo / "reports").write_text("mine\n")
    assert occupied_state_path(repo) is None
    assert occupied_state_path(repo, repo / "reports" / "gens") == repo / "reports"
    (repo / ".agent").mkdir()
    (repo / ".agent" / "set-aside").symlink_to(repo)
    with pytest.raises(StoreError, match=r"set-aside is a link, .*move or rename it"):
        Store.for_repo(repo)
    assert not db_path(repo).exists()
    assert "/.agent/" not in (repo / ".git" / "info" / "exclude").read_text()
