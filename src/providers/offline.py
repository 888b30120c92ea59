"""The offline provider in the judge: the Reviewer as rules over the diff, no network."""

from __future__ import annotations

import re
import time

from self_improving_agent.base.errors import ProviderError
from self_improving_agent.base.models import Finding as ReviewFinding
from self_improving_agent.base.models import Plan, Review
from self_improving_agent.providers.base import (
    Completion,
    CompletionRequest,
    estimated_usage,
)

MODEL = "offline"
MAX_DIFF_LINES = 400
APPROVED_SCORE = 0.9
REJECTED_SCORE = 0.2
# The personas' prompts are what this provider reads, as a model would: these mark their parts.
DIFF_MARKER = "Unified diff:\n"
TRUNCATED_MARKER = "\n[diff truncated: "
FILES_MARKER = "\n\nThe planned files:\n"
_PLAN_FIELDS = ("Plan", "Files to modify", "Target benchmarks")
_TEST_DEF = re.compile(r"^([+-])\s*(?:async\s+)?def (test_\w*)")
_SUPPRESSION = re.compile(r"#\s*(noqa|type:\s*ignore|pragma:\s*no\s*cover)")


def plan_of(text: str, persona: str) -> Plan:
    """The plan that heads a Builder's context or a Reviewer's: title, files and targets."""
    fields: dict[str, str] = {}
    for line in text.partition(FILES_MARKER)[0].splitlines():
        key, _, value = line.partition(": ")
        if key in _PLAN_FIELDS:
            fields.setdefault(key, value)
    if not fields.get("Plan") or not fields.get("Files to modify"):
        raise ProviderError(f"the offline {persona} was sent no plan (Plan: and Files to modify:)")
    targets = fields.get("Target benchmarks", "")
    return Plan(
        title=fields["Plan"],
        files_to_modify=fields["Files to modify"].split(", "),
        target_benchmarks=targets.split(", ") if targets else [],
    )


class OfflineProvider:
    """The offline Reviewer: rule-based findings on the diff; the mind holds the other two."""

    name = "offline"

    def complete(self, request: CompletionRequest) -> Completion:
        """The Reviewer's reply as JSON text; estimated usage, zero cost, measured latency."""
        started = time.perf_counter()
        if request.persona != "reviewer":
            raise ProviderError(
                f"the offline {request.persona} runs in the mind's process, not in the judge"
            )
        text = review_diff(request).model_dump_json()
        usage = estimated_usage(request, text)
        return Completion(
            text=text,
            usage=usage,
            latency_s=time.perf_counter() - started,
            cost_usd=0.0,
            model=MODEL,
        )


def _diff_lines(prompt: str) -> list[str]:
    """The unified diff lines of a Reviewer prompt."""
    _, marker, rest = prompt.partition(DIFF_MARKER)
    return rest.splitlines() if marker else []


def _changed_files(diff: list[str]) -> list[str]:
    """Files a git diff touches, from its `diff --git a/X b/X` headers (new empty files too)."""
    files = []
    for line in diff:
        if line.startswith("diff --git a/") and " b/" in line:
            path = line.rsplit(" b/", 1)[1]
            if path not in files:
                files.append(path)
    return files


def removed_tests(changed: list[str]) -> list[str]:
    """Test functions whose `def` line goes and does not come back (a new annotation is kept)."""
    defs: dict[str, set[str]] = {"+": set(), "-": set()}
    for line in changed:
        match = _TEST_DEF.match(line)
        if match:
            defs[match[1]].add(match[2])
    return sorted(defs["-"] - defs["+"])


def diff_findings(diff: list[str], plan_files: list[str], truncated: bool) -> list[ReviewFinding]:
    """Rule-based findings on a diff: scope, size, removed tests, added suppressions."""
    found: list[ReviewFinding] = []
    body = [line for line in diff if not line.startswith(("+++", "---"))]
    changed = [line for line in body if line.startswith(("+", "-"))]
    if not changed and not _changed_files(diff):
        found.append(ReviewFinding(severity="major", message="the diff changes nothing"))
    outside = [f for f in _changed_files(diff) if f not in plan_files]
    if outside:
        found.append(
            ReviewFinding(severity="major", message=f"files outside the plan: {', '.join(outside)}")
        )
    if truncated or len(changed) > MAX_DIFF_LINES:
        found.append(
            ReviewFinding(
                severity="major",
                message=f"the diff is too large to review ({len(changed)} changed lines)",
            )
        )
    removed = ", ".join(removed_tests(changed))
    if removed:
        message = f"a test function is removed: {removed}"
        found.append(ReviewFinding(severity="critical", message=message))
    if any(line.startswith("+") and _SUPPRESSION.search(line) for line in changed):
        found.append(ReviewFinding(severity="major", message="a lint/type/coverage suppression"))
    return found


def review_diff(request: CompletionRequest) -> Review:
    """Approve a diff that stays in the plan's scope and size and games nothing; else reject."""
    plan = plan_of(request.context, request.persona)
    diff = _diff_lines(request.prompt)
    found = diff_findings(diff, plan.files_to_modify, TRUNCATED_MARKER in request.prompt)
    blocking = [f for f in found if f.severity in ("major", "critical")]
    changed = sum(
        1 for line in diff if line.startswith(("+", "-")) and line[:3] not in ("+++", "---")
    )
    notes: list[ReviewFinding | str] = list(found) or [
        ReviewFinding(message=f"{changed} changed line(s), all inside the planned files")
    ]
    if blocking:
        return Review(
            approved=False,
            score=REJECTED_SCORE,
            findings=notes,
            summary="; ".join(f.message for f in blocking),
        )
    return Review(
        approved=True,
        score=APPROVED_SCORE,
        findings=notes,
        summary=f"In scope and small: {plan.title}",
    )
