"""The one place a generation's report is assembled: from its values and its log."""

from __future__ import annotations

from self_improving_agent.base.models import GenerationStatus
from self_improving_agent.base.store import now_iso
from self_improving_agent.core.candidate import bench_deltas
from self_improving_agent.core.editing import edit_stats
from self_improving_agent.core.values import Context, Reached
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.reports.report_files import llm_totals
from self_improving_agent.reports.report_model import BenchDelta, GenerationReport


def assemble_report(
    ctx: Context,
    reached: Reached,
    status: GenerationStatus,
    *,
    failure: str | None = None,
    finished: bool = True,
    reason: str = "",
) -> GenerationReport:
    """reports/gen-N.json as a model; failure, when a phase failed, decides a missing decision."""
    rec = ctx.rec
    planned, change, candidate = reached.planned, reached.change(), reached.measured()
    hashes = {
        persona: value.prompt_hash
        for persona, value in (
            ("architect", planned),
            ("builder", reached.built),
            ("reviewer", reached.reviewed),
        )
        if value is not None
    }
    decision = reached.decided.decision if reached.decided else None
    if decision is None and failure is not None:
        decision = Decision(accepted=False, reasons=[failure])
    edits = list(change.edits) if change else []
    return GenerationReport(
        generation=ctx.number,
        status=status,
        reason=reason,
        dry_run=rec.dry_run,
        started_at=rec.started_at,
        finished_at=now_iso() if finished else None,
        duration_s=rec.elapsed() if finished else None,
        phases=[dict(p) for p in rec.phases],
        plan=planned.plan if planned else None,
        llm_calls=list(rec.calls),
        llm_totals=llm_totals(rec.calls) if finished else {},
        benchmarks=bench_deltas(candidate) if candidate else {},
        totals=_totals(reached),
        review=reached.reviewed.review if reached.reviewed else None,
        edits=edits,
        edit_stats=edit_stats(edits) if change and change.edits else {},
        files_changed=list(change.files_changed) if change else [],
        repairs=list(reached.repaired.rounds) if reached.repaired else [],
        gates=list(reached.decided.gates) if reached.decided else [],
        stage_rejection=candidate.rejection if candidate else None,
        decision=decision,
        tests_check=candidate.check if candidate else None,
        errors=[dict(e) for e in rec.errors],
        reproducibility=ctx.reproducibility.model_copy(update={"prompt_hashes": hashes}),
    )


def scores(reached: Reached) -> tuple[float | None, float | None]:
    """Main's total and the candidate's as measured last, None where not measured."""
    candidate = reached.measured()
    before = reached.planned.before.total if reached.planned else None
    return before, candidate.after.total if candidate else None


def _totals(reached: Reached) -> BenchDelta | None:
    """Before, after and their difference, once the candidate was measured."""
    if reached.measured() is None:
        return None
    before, after = scores(reached)
    diff = None if before is None or after is None else round(after - before, 6)
    return BenchDelta(before=before, after=after, delta=diff)
