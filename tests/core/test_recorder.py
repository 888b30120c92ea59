"""The recorder keeps the store and the generation's log in step, whatever a phase does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.base.errors import PhaseFailed
from self_improving_agent.base.models import LlmCall
from self_improving_agent.base.store import Store
from self_improving_agent.core.recorder import Recorder
from self_improving_agent.reports.report_files import llm_totals
from self_improving_agent.reports.report_model import GenerationReport


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real store in a temp directory."""
    with Store.for_repo(tmp_path) as opened:
        yield opened


def test_generation_is_running_from_the_start(store: Store) -> None:
    lines: list[str] = []
    rec = Recorder(store, 1, False, lines.append)
    with rec.phase("plan"):
        entry = store.get_generation(1)
        assert entry is not None and (entry.status, entry.phase) == ("running", "plan")
    assert lines == ["gen 1: plan"]
    assert store.phases(1)[0]["status"] == "ok"
    assert rec.phases[0]["status"] == "ok"


def test_any_exception_becomes_phase_failed(store: Store) -> None:
    rec = Recorder(store, 1, False, lambda _line: None)
    with pytest.raises(PhaseFailed) as caught, rec.phase("benchmark"):
        raise OSError("disk full")
    assert (caught.value.phase, caught.value.message) == ("benchmark", "disk full")
    assert store.phases(1)[0]["error"] == "disk full"
    assert rec.errors == [{"phase": "benchmark", "message": "disk full"}]


def test_phase_failed_keeps_its_own_phase(store: Store) -> None:
    rec = Recorder(store, 1, False, lambda _line: None)
    with pytest.raises(PhaseFailed) as caught, rec.phase("implement"):
        raise PhaseFailed("implement", "no edit could be applied")
    assert caught.value.message == "no edit could be applied"
    assert store.phases(1)[0]["status"] == "failed"


def test_ctrl_c_marks_the_phase_interrupted_and_propagates(store: Store) -> None:
    rec = Recorder(store, 1, False, lambda _line: None)
    with pytest.raises(KeyboardInterrupt), rec.phase("review"):
        raise KeyboardInterrupt
    assert store.phases(1)[0]["status"] == "interrupted"
    assert rec.errors == []


def test_finish_writes_store_row_and_report(store: Store, tmp_path: Path) -> None:
    rec = Recorder(store, 1, True, lambda _line: None)
    rec.add_call(
        LlmCall(persona="architect", provider="mock", model="m", input_tokens=10, output_tokens=2)
    )
    report = GenerationReport(
        generation=1,
        status="rejected",
        dry_run=rec.dry_run,
        started_at=rec.started_at,
        llm_calls=rec.calls,
        llm_totals=llm_totals(rec.calls),
    )
    path = rec.finish(report, tmp_path / "reports", "plan failed: x", 0.5, 0.4)
    written = json.loads(path.read_text())
    assert (written["status"], written["dry_run"], written["llm_totals"]["calls"]) == (
        "rejected",
        True,
        1,
    )
    entry = store.get_generation(1)
    assert entry is not None
    assert (entry.status, entry.reason, entry.score_before) == ("rejected", "plan failed: x", 0.5)
    assert len(store.llm_calls(1)) == 1
