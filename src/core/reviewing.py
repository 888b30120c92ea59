"""The Reviewer, the judge's persona: its system prompt and the request it is sent."""

from __future__ import annotations

import os
from collections.abc import Sequence

from self_improving_agent.analysis.repomap import redact_secrets
from self_improving_agent.base.models import EditResult, Plan, Review
from self_improving_agent.base.secrets import redact, secret_values
from self_improving_agent.providers.base import CompletionRequest
from self_improving_agent.reports.report_model import RepairRound

MAX_REASON_CHARS = 160
MAX_DIFF_CHARS = 60_000
MAX_TOKENS = 2048

# The judge's copy of the rules: the mind's prompts may change, what the Reviewer holds to does not.
RULES = """Rules:
- One small, focused change that a reviewer can read in a minute.
- Touch only the planned files. The judge's settings (config/agent.toml, config/benchmarks.json
  and the evaluator files it names) are read from the judge's own commit: a change to them is
  held for a person and judges nothing in this run. On the agent's own repository the judge's
  code (all of src/ but src/mind/) is reviewed like any other change and, once merged, judges
  nothing until a person promotes it (`agent judge promote`).
- No gaming of metrics: no placeholder or empty docstrings, no blanket `# noqa`,
  `# type: ignore` or `# pragma: no cover`, never delete, skip or weaken a test, never
  loosen ruff, mypy, coverage or pytest settings.
- Never put secrets, keys or tokens in code."""

REVIEWER_SYSTEM = f"""You are the Reviewer of a self-improving agent. You judge one generation's
diff against its plan: is it correct, focused, and a real improvement rather than a gamed metric?

{RULES}
Reject any diff that breaks one of these rules, changes behaviour the plan did not ask for,
or that you cannot understand from what you see.

Reply with only one JSON object (schema Review):
{{"approved": true, "score": 0.8, "findings": [{{"severity": "minor", "message": "..."}}],
 "summary": "one sentence"}}
Fields: approved (required, bool); score (required, 0..1, how good and safe the change is);
findings (required, list of strings or {{severity: info|minor|major|critical, message}});
summary (optional)."""


def _clean(text: str) -> str:
    """Text with secret-like values and the environment's secret values removed."""
    return redact(redact_secrets(text), secret_values(os.environ))


def _short(text: str | None, limit: int = MAX_REASON_CHARS) -> str:
    """One line of at most limit characters."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def plan_text(plan: Plan) -> str:
    """The plan as the Reviewer reads it (the Builder's copy lives in the mind)."""
    lines = [f"Plan: {plan.title}", f"Files to modify: {', '.join(plan.files_to_modify)}"]
    if plan.rationale:
        lines.append(f"Rationale: {plan.rationale}")
    if plan.target_benchmarks:
        lines.append(f"Target benchmarks: {', '.join(plan.target_benchmarks)}")
    lines += [f"Step {i}: {step}" for i, step in enumerate(plan.steps, 1)]
    return "\n".join(lines)


def edit_lines(edits: Sequence[EditResult]) -> list[str]:
    """One line per edit: what was applied, what failed and why."""
    return [
        f"- applied {e.op} {e.file} ({e.lines_changed} lines changed)"
        if e.applied
        else f"- FAILED {e.op} {e.file}: {_short(e.error)}"
        for e in edits
    ]


def round_lines(rounds: Sequence[RepairRound]) -> list[str]:
    """One line per round of the change: what was broken after it and what it edited."""
    lines = []
    for entry in rounds:
        applied = sum(1 for e in entry.edits if e.applied)
        what = "first change" if entry.round == 0 else f"repair {entry.round}"
        line = f"- round {entry.round} ({what}): {applied} edit(s) applied"
        if entry.regressions:
            line += f"; after it: {entry.regressions}"
        lines.append(line + (f"; {_short(entry.outcome)}" if entry.outcome else ""))
    return lines


def reviewer_request(
    plan: Plan, diff: str, edits: Sequence[EditResult], rounds: Sequence[str] = ()
) -> CompletionRequest:
    """The Reviewer's request: plan as context; edits, repair rounds and the diff as prompt."""
    shown = diff
    if len(diff) > MAX_DIFF_CHARS:
        omitted = len(diff) - MAX_DIFF_CHARS
        shown = diff[:MAX_DIFF_CHARS] + f"\n[diff truncated: {omitted} more characters omitted]"
    parts = ["Edit results:", *(edit_lines(edits) or ["- no edits"])]
    if rounds:
        parts += ["", "Repair rounds (the first change broke something; the diff is final):"]
        parts += list(rounds)
    parts += ["", "Unified diff:", shown or "(empty diff)", ""]
    parts.append("Review the diff against the plan. Reply with the Review JSON only.")
    return CompletionRequest(
        persona="reviewer",
        system=REVIEWER_SYSTEM,
        context=_clean(plan_text(plan)),
        prompt=_clean("\n".join(parts)),
        schema_name=Review.__name__,
        json_schema=Review.model_json_schema(),
        max_tokens=MAX_TOKENS,
    )
