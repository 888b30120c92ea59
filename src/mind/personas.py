"""The Architect and the Builder: system prompts, reply schemas and the requests they send."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from self_improving_agent.analysis.repomap import redact_secrets
from self_improving_agent.base.models import Build, EvolutionEntry, Plan
from self_improving_agent.base.secrets import redact, secret_values
from self_improving_agent.base.tokens import estimate_tokens
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.providers.base import CompletionRequest, Persona

HISTORY_SHOWN = 5
RAW_FIGURES_SHOWN = 4
MAX_REASON_CHARS = 160
MAX_RETRY_CHARS = 2000
MAX_TOKENS: dict[Persona, int] = {"architect": 2048, "builder": 16_384}

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

ARCHITECT_SYSTEM = f"""You are the Architect of a self-improving agent that evolves a Python
repository one small generation at a time. From the repository map, the benchmark scores (weakest
first), the recent generations and the user's goals, choose the single most valuable small
improvement. Do not repeat an idea that was rejected unless you fix its rejection reason.

{RULES}

Reply with only one JSON object (schema Plan), for example:
{{"title": "Add tests for the config loader", "files_to_modify": ["tests/base/test_config.py"],
 "rationale": "...", "target_benchmarks": ["code_coverage"], "steps": ["..."]}}
Fields: title (required, imperative, <= 200 chars); files_to_modify (required, repo-relative
paths, as few as possible); rationale, target_benchmarks, steps (optional)."""

BUILDER_SYSTEM = f"""You are the Builder of a self-improving agent. You carry out the Architect's
plan exactly, editing only the planned files whose contents you are given.

{RULES}

Reply with only one JSON object (schema Build):
{{"changes": [{{"file": "src/x.py", "op": "replace", "anchor": "exact old text",
  "content": "new text"}}], "summary": "what changed"}}
Each change has file and content (required), op and anchor (optional):
- op omitted: content is the whole new file (create or overwrite).
- "create": a new file only; it fails if the file exists.
- "replace": the anchor text becomes content.
- "insert_after" / "insert_before": content goes right after / before the anchor; an
  anchor of whole lines gets whole lines inserted.
- "append" / "prepend": content goes at the end / start of an existing file.
Anchors must be copied exactly (whitespace included) from the file shown and must occur
exactly once in it; include enough surrounding lines to make them unique. Prefer small anchored
edits over rewriting a large file. Python, JSON and TOML files must still parse after each
change, or that change is rolled back."""


def _clean(text: str) -> str:
    """Text with secret-like values and the environment's secret values removed."""
    return redact(redact_secrets(text), secret_values(os.environ))


def _request(
    persona: Persona,
    system: str,
    context: str,
    prompt: str,
    model: type[BaseModel],
) -> CompletionRequest:
    """A request with its schema taken from the persona's reply model."""
    return CompletionRequest(
        persona=persona,
        system=system,
        context=_clean(context),
        prompt=_clean(prompt),
        schema_name=model.__name__,
        json_schema=model.model_json_schema(),
        max_tokens=MAX_TOKENS[persona],
    )


def _short(text: str | None, limit: int = MAX_REASON_CHARS) -> str:
    """One line of at most limit characters."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _figure(value: Any) -> str | None:
    """A raw benchmark figure as a short string; collections by their size; None otherwise."""
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, str) and len(value) <= 40:
        return value
    if isinstance(value, list | dict):
        return f"<{len(value)} items>"
    return None


def score_lines(scores: Sequence[BenchResult]) -> list[str]:
    """One line per benchmark, weakest first, with a few of its raw figures."""
    lines = []
    for result in sorted(scores, key=lambda r: (r.score, r.name)):
        # The findings are shown on their own lines, not as a count here.
        figures = [(k, _figure(v)) for k, v in result.raw.items() if k != "evidence"]
        shown = [f"{k}={v}" for k, v in figures if v is not None][:RAW_FIGURES_SHOWN]
        line = f"- {result.name}: {result.score:.3f}"
        if result.status != "ok":
            line += f" [{result.status}: {_short(result.detail, 80)}]"
        lines.append(line + (f" ({', '.join(shown)})" if shown else ""))
    return lines


def history_lines(history: Sequence[EvolutionEntry]) -> list[str]:
    """The last generations, newest first, with their status, delta and rejection reason."""
    recent = sorted(history, key=lambda e: e.generation, reverse=True)[:HISTORY_SHOWN]
    lines = []
    for entry in recent:
        line = f"- gen {entry.generation} {entry.status}: {_short(entry.title, 100) or '(no plan)'}"
        if entry.delta is not None:
            line += f" (delta {entry.delta:+.3f})"
        if entry.reason:
            line += f" -- {_short(entry.reason)}"
        lines.append(line)
    return lines


def architect_request(
    repo_map: str,
    scores: Sequence[BenchResult],
    history: Sequence[EvolutionEntry],
    goals: Sequence[str],
    evidence: Sequence[str] = (),
    lessons: Sequence[str] = (),
) -> CompletionRequest:
    """The Architect's request: the repo map as context; scores, history and goals as prompt."""
    parts = ["Benchmark scores (0..1, weakest first):", *(score_lines(scores) or ["- none yet"])]
    if evidence:
        parts += ["", "Findings of the weakest benchmarks (file:line):", *evidence]
    parts += ["", "Recent generations (do not repeat rejected ideas):"]
    parts += history_lines(history) or ["- none yet"]
    if lessons:
        parts += ["", "Lessons of earlier generations (most relevant first):", *lessons]
    parts += ["", "User goals:", *([f"- {_short(g, 300)}" for g in goals] or ["- none given"])]
    parts += ["", "Plan the single most valuable small improvement. Reply with the Plan JSON only."]
    return _request("architect", ARCHITECT_SYSTEM, repo_map, "\n".join(parts), Plan)


def plan_text(plan: Plan) -> str:
    """The plan as the Builder and Reviewer read it."""
    lines = [f"Plan: {plan.title}", f"Files to modify: {', '.join(plan.files_to_modify)}"]
    if plan.rationale:
        lines.append(f"Rationale: {plan.rationale}")
    if plan.target_benchmarks:
        lines.append(f"Target benchmarks: {', '.join(plan.target_benchmarks)}")
    lines += [f"Step {i}: {step}" for i, step in enumerate(plan.steps, 1)]
    return "\n".join(lines)


def files_text(plan: Plan, files: dict[str, str]) -> str:
    """The planned files between markers; new files and withheld files say so."""
    blocks = []
    for path in dict.fromkeys([*plan.files_to_modify, *files]):
        if path not in files:
            blocks.append(f"=== {path}: WITHHELD (blocked or secret-like); do not change it ===")
        elif not files[path]:
            blocks.append(f"=== {path}: empty or new; write it whole (omit op) ===")
        else:
            text = files[path] if files[path].endswith("\n") else files[path] + "\n"
            blocks.append(f"=== BEGIN {path} ===\n{text}=== END {path} ===")
    return "\n".join(blocks)


def builder_request(
    plan: Plan,
    files: dict[str, str],
    retry_messages: Sequence[str] = (),
    evidence: Sequence[str] = (),
) -> CompletionRequest:
    """The Builder's request: plan and files as context; retry messages, if any, as prompt."""
    context = f"{plan_text(plan)}\n\nThe planned files:\n{files_text(plan, files)}"
    if evidence:
        context += "\n\nWhat the benchmarks found in these files:\n" + "\n".join(evidence)
    prompt = "Carry out the plan. Reply with the Build JSON only."
    if retry_messages:
        failures = "\n".join(f"- {m[:MAX_RETRY_CHARS]}" for m in retry_messages)
        prompt = (
            "Your previous edits failed:\n"
            f"{failures}\n"
            "Reply with a corrected Build JSON that contains every change again, with anchors "
            "copied exactly from the files above."
        )
    return _request("builder", BUILDER_SYSTEM, context, prompt, Build)


def repair_request(
    plan: Plan, files: dict[str, str], evidence: Sequence[str], round_no: int, rounds: int
) -> CompletionRequest:
    """The Builder's repair request: the files as they are now and what the change broke."""
    context = f"{plan_text(plan)}\n\nThe planned files as they are now:\n{files_text(plan, files)}"
    prompt = "\n".join(
        [
            f"Your change broke what worked before (repair round {round_no} of {rounds}):",
            *evidence,
            "Fix the cause in the code; never delete, skip or weaken a test to make it pass.",
            "Reply with a Build JSON holding only the new edits, with anchors copied exactly "
            "from the files above as they are now.",
        ]
    )
    return _request("builder", BUILDER_SYSTEM, context, prompt, Build)


def request_tokens(request: CompletionRequest) -> int:
    """Estimated input tokens of a request: system, context and prompt at four chars per token."""
    return estimate_tokens(request.system + request.context + request.prompt)
