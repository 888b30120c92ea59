"""Keeps one generation's store rows and report in step: phases, LLM calls, errors, outcome."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from self_improving_agent.base.errors import PhaseFailed, ProviderAuthError, StoreError
from self_improving_agent.base.models import EvolutionEntry, GenerationStatus, LlmCall
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.reports.report_files import llm_totals, write_report
from self_improving_agent.reports.report_model import GenerationReport


class Recorder:
    """Writes phase progress and calls to the store as they happen, and the report at the end."""

    def __init__(
        self,
        store: Store,
        number: int,
        dry_run: bool,
        progress: Callable[[str], None],
    ) -> None:
        self.store = store
        self.number = number
        self.progress = progress
        self._t0 = time.monotonic()
        started = now_iso()
        store.add_generation(
            EvolutionEntry(generation=number, status="running", started_at=started, dry_run=dry_run)
        )
        self.report = GenerationReport(
            generation=number, status="running", dry_run=dry_run, started_at=started
        )

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase and record how it ended; any exception becomes PhaseFailed(name)."""
        self.progress(f"gen {self.number}: {name}")
        phase_id = self.store.start_phase(self.number, name)
        started = datetime.now(UTC)
        record: dict[str, object] = {"phase": name, "start": started.isoformat()}
        self.report.phases.append(record)
        try:
            yield
        except PhaseFailed as exc:
            self._close(record, started, phase_id, "failed", exc.message)
            raise
        except (ProviderAuthError, StoreError) as exc:
            # Asking again or going on cannot help: the phase fails and the whole run stops.
            self._close(record, started, phase_id, "failed", str(exc))
            raise
        except Exception as exc:
            message = str(exc) or type(exc).__name__
            self._close(record, started, phase_id, "failed", message)
            raise PhaseFailed(name, message) from exc
        except BaseException:
            self._close(record, started, phase_id, "interrupted", "interrupted")
            raise
        self._close(record, started, phase_id, "ok", None)

    def _close(
        self,
        record: dict[str, object],
        started: datetime,
        phase_id: int,
        status: str,
        error: str | None,
    ) -> None:
        """Finish a phase record in the report and the store."""
        ended = datetime.now(UTC)
        record.update(
            end=ended.isoformat(),
            duration_s=round((ended - started).total_seconds(), 3),
            status=status,
        )
        self.store.finish_phase(phase_id, status, error)
        if error is not None and status == "failed":
            self.report.errors.append({"phase": str(record["phase"]), "message": error})

    def add_call(self, call: LlmCall) -> None:
        """Record one provider call in the store and the report."""
        self.report.llm_calls.append(call)
        self.store.add_llm_call(self.number, call.model_dump())

    def finish(
        self,
        status: GenerationStatus,
        reason: str,
        reports_dir: Path,
        score_before: float | None = None,
        score_after: float | None = None,
    ) -> Path:
        """Close the generation: final store row and reports/gen-N.json."""
        report = self.report
        report.status = status
        report.reason = reason
        report.finished_at = now_iso()
        report.duration_s = round(time.monotonic() - self._t0, 3)
        report.llm_totals = llm_totals(report.llm_calls)
        path = write_report(report, reports_dir)
        self.store.update_generation(
            self.number,
            status=status,
            reason=reason,
            title=report.plan.title if report.plan else None,
            score_before=score_before,
            score_after=score_after,
            finished_at=report.finished_at,
        )
        return path
