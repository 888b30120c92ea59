"""One generation's log as it happens (phases, LLM calls, errors) in the store, and its end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from self_improving_agent.base.errors import PhaseFailed, ProviderAuthError, StoreError
from self_improving_agent.base.models import EvolutionEntry, LlmCall
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.reports.report_files import write_report
from self_improving_agent.reports.report_model import GenerationReport


class Recorder:
    """Writes phase progress and calls to the store as they happen, and the report at the end."""

    phases: list[dict[str, object]]
    calls: list[LlmCall]
    errors: list[dict[str, str]]

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
        self.dry_run = dry_run
        self._t0 = time.monotonic()
        self.started_at = now_iso()
        self.phases, self.calls, self.errors = [], [], []
        store.add_generation(
            EvolutionEntry(
                generation=number, status="running", started_at=self.started_at, dry_run=dry_run
            )
        )

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase and record how it ended; any exception becomes PhaseFailed(name)."""
        self.progress(f"gen {self.number}: {name}")
        phase_id = self.store.start_phase(self.number, name)
        started = datetime.now(UTC)
        record: dict[str, object] = {"phase": name, "start": started.isoformat()}
        self.phases.append(record)
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
            self.errors.append({"phase": str(record["phase"]), "message": error})

    def add_call(self, call: LlmCall) -> None:
        """Record one provider call in the store and the log."""
        self.calls.append(call)
        self.store.add_llm_call(self.number, call.model_dump())

    def note_error(self, phase: str, message: str) -> None:
        """Log an error outside any phase (a failed cleanup)."""
        self.errors.append({"phase": phase, "message": message})

    def elapsed(self) -> float:
        """Seconds since the generation started."""
        return round(time.monotonic() - self._t0, 3)

    def finish(
        self,
        report: GenerationReport,
        reports_dir: Path,
        reason: str,
        score_before: float | None = None,
        score_after: float | None = None,
    ) -> Path:
        """Close the generation: reports/gen-N.json by the one writer, then the final store row."""
        path = write_report(report, reports_dir)
        self.store.update_generation(
            self.number,
            status=report.status,
            reason=reason,
            title=report.plan.title if report.plan else None,
            score_before=score_before,
            score_after=score_after,
            finished_at=report.finished_at,
        )
        return path
