"""Lessons in a generation: those the mind asks about, a repeated plan sent back, a new one kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import structlog

from self_improving_agent.base.config import AgentcoreSection
from self_improving_agent.base.errors import PhaseFailed
from self_improving_agent.base.models import EditResult, Plan
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.memory.agentcore import AgentcoreLessons, make_client, session_for
from self_improving_agent.memory.lessons import REJECTED, Lesson, LessonMemory, SqliteLessons
from self_improving_agent.providers.base import RejectedPlan
from self_improving_agent.reports.report_model import RepairRound

log = structlog.get_logger(__name__)

LESSONS_SHOWN = 5
MAX_TERMS = 50
MAX_LESSON_CHARS = 200
MAX_EVIDENCE_CHARS = 2000


def lesson_memory(section: AgentcoreSection, store: Store, repo: Path) -> LessonMemory:
    """The state database, shared through AgentCore Memory when [agentcore] enables it."""
    local = SqliteLessons(store)
    if not section.enabled:
        return local
    if not section.memory_id:
        log.warning("[agentcore] enabled without memory_id; lessons stay in the state database")
        return local
    try:
        client = make_client(section)
    except Exception as exc:
        log.warning("AgentCore Memory unavailable; lessons stay local", error=str(exc))
        return local
    return AgentcoreLessons(local, client, section, session_for(repo, section))


def lesson_lines(memory: LessonMemory, terms: Sequence[str], limit: int) -> list[str]:
    """The lessons most relevant to terms (the mind says what is in play), one line each."""
    found = memory.relevant(list(terms)[:MAX_TERMS], min(limit, LESSONS_SHOWN))
    return [f"- {_short(lesson.line(), MAX_LESSON_CHARS)}" for lesson in found]


def rejected_plans(memory: LessonMemory) -> list[RejectedPlan]:
    """The file sets and target benchmarks of rejected plans, for a generation-bound provider."""
    return [
        RejectedPlan(files=lesson.files, benchmark=lesson.benchmark)
        for lesson in memory.all()
        if lesson.outcome == REJECTED
    ]


def target_of(plan: Plan) -> str:
    """The benchmark a plan sets out to raise, '' when it names none."""
    return plan.target_benchmarks[0] if plan.target_benchmarks else ""


def repeat_notice(memory: LessonMemory, plan: Plan) -> str | None:
    """What to tell the Architect when its plan repeats a rejected one; None otherwise."""
    earlier = memory.rejected_like(plan.files_to_modify, target_of(plan))
    if earlier is None:
        return None
    return (
        f"Your plan repeats generation {earlier.generation} (the same files and target "
        f"benchmark), which was rejected: {_short(earlier.reason, MAX_LESSON_CHARS)}. "
        "Plan something different, or a change that removes that reason. "
        "Reply with the Plan JSON only."
    )


def plan_once_more_if_repeated(
    memory: LessonMemory, plan: Plan, plan_again: Callable[[str], Plan]
) -> Plan:
    """Send a repeated plan back once with its lesson; a second repeat rejects the generation."""
    notice = repeat_notice(memory, plan)
    if notice is None:
        return plan
    again = plan_again(notice)
    if repeat_notice(memory, again) is not None:
        raise PhaseFailed("plan", f"the Architect repeated a rejected plan: {again.title}")
    return again


def repair_evidence(rounds: Sequence[RepairRound]) -> list[str]:
    """What each repair round was shown and how it ended, for the lesson."""
    return [
        f"repair round {r.round}: {' '.join(r.evidence)} -> {r.outcome or 'unfinished'}"
        for r in rounds
        if r.round > 0
    ]


def lesson_of(
    generation: int,
    plan: Plan,
    outcome: str,
    reason: str,
    edits: Sequence[EditResult],
    repairs: Sequence[RepairRound] = (),
) -> Lesson:
    """The lesson a finished generation leaves, with the repair evidence when there was some."""
    failed = [f"{e.op} {e.file}: {e.error}" for e in edits if not e.applied and e.error]
    failed += repair_evidence(repairs)
    return Lesson(
        generation=generation,
        files=sorted(set(plan.files_to_modify)),
        benchmark=target_of(plan),
        tried=plan.title,
        outcome=outcome,
        reason=_short(reason, MAX_LESSON_CHARS),
        evidence="\n".join(failed)[:MAX_EVIDENCE_CHARS],
        created_at=now_iso(),
    )


def remember(memory: LessonMemory, lesson: Lesson) -> None:
    """Keep the lesson; a memory that fails costs a warning, never the generation."""
    try:
        memory.add(lesson)
    except Exception as exc:
        log.warning("lesson not kept", generation=lesson.generation, error=str(exc))


def _short(text: str, limit: int) -> str:
    """One line of at most limit characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
