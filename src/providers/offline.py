"""The offline provider: deterministic local personas making real, small fixes, no network."""

from __future__ import annotations

import re
import time
from pathlib import Path

from self_improving_agent.analysis.repomap import file_refusal
from self_improving_agent.base.errors import FixerError, ProviderError
from self_improving_agent.base.models import Build, Change, Plan, Review
from self_improving_agent.base.models import Finding as ReviewFinding
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.providers.base import (
    Completion,
    CompletionRequest,
    GenerationScope,
    estimated_usage,
)
from self_improving_agent.providers.fixers import (
    Finding,
    add_none_returns,
    python_files,
    ruff_fix,
    ruff_fixable,
    survey,
)

MODEL = "offline"
MAX_DIFF_LINES = 400
APPROVED_SCORE = 0.9
REJECTED_SCORE = 0.2
# The personas' prompts are what this provider reads, as a model would: these mark their parts.
DIFF_MARKER = "Unified diff:\n"
TRUNCATED_MARKER = "\n[diff truncated: "
FILES_MARKER = "\n\nThe planned files:\n"
SCORES_MARKER = "Benchmark scores (0..1, weakest first):\n"
REPAIR_MARKER = "Your change broke what worked before"
_SCORE_LINE = re.compile(r"^- (\S+): (-?\d+(?:\.\d+)?)")
_PLAN_FIELDS = ("Plan", "Files to modify", "Target benchmarks")
NOTHING = "nothing left to improve"
_TEST_DEF = re.compile(r"^([+-])\s*(?:async\s+)?def (test_\w*)")
_SUPPRESSION = re.compile(r"#\s*(noqa|type:\s*ignore|pragma:\s*no\s*cover)")
_STEPS = {
    "ruff": "Apply ruff's own safe fixes for {detail} to each file; nothing else.",
    "annotate": "Add `-> None` to functions that return no value ({detail}); nothing else.",
    "init": "Create an empty __init__.py in each package folder that lacks one.",
}


def scores_of(prompt: str) -> dict[str, float]:
    """The benchmark scores an Architect prompt lists, one `- name: score` line each."""
    _, marker, rest = prompt.partition(SCORES_MARKER)
    block = rest.split("\n\n", 1)[0] if marker else ""
    return {m[1]: float(m[2]) for m in map(_SCORE_LINE.match, block.splitlines()) if m}


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


DECLINED_REPAIR = "the offline Builder does not repair: its fixers cannot act on test failures"


class OfflineProvider:
    """Architect, Builder and Reviewer as local rules and real tools; replies are JSON text."""

    name = "offline"

    def __init__(self, safety: SafetySection, scope: GenerationScope | None = None) -> None:
        """Keep the safety limits the personas must respect and the generation it serves."""
        self._safety = safety
        self._scope = scope
        self._max_files = safety.max_files_per_generation
        self._blocked = list(safety.blocked_patterns)
        self._protected = [p.split(":", 1)[0] for p in safety.protected_paths]

    def for_generation(self, scope: GenerationScope) -> OfflineProvider:
        """The offline provider bound to one generation's worktree and rejected plans."""
        return OfflineProvider(self._safety, scope)

    def _worktree(self, persona: str) -> Path:
        """The worktree of the generation this provider was built for."""
        if self._scope is None or not self._scope.worktree.is_dir():
            raise ProviderError(
                f"the offline {persona} works on a generation's worktree; "
                "bind the provider with for_generation first"
            )
        return self._scope.worktree

    def complete(self, request: CompletionRequest) -> Completion:
        """The persona's reply as JSON text; estimated usage, zero cost, measured latency."""
        started = time.perf_counter()
        try:
            if request.persona == "architect":
                text = self._architect(request).model_dump_json()
            elif request.persona == "builder":
                text = self._builder(request).model_dump_json()
            else:
                text = review_diff(request).model_dump_json()
        except (FixerError, OSError) as exc:
            raise ProviderError(f"the offline {request.persona} failed: {exc}") from None
        usage = estimated_usage(request, text)
        return Completion(
            text=text,
            usage=usage,
            latency_s=time.perf_counter() - started,
            cost_usd=0.0,
            model=MODEL,
        )

    def _allowed(self, root: Path, rel: str) -> bool:
        """A file the gates would let the Builder write: not protected, blocked or secret-like."""
        if any(
            rel == p.rstrip("/") or rel.startswith(p.rstrip("/") + "/") for p in self._protected
        ):
            return False
        return file_refusal(root, rel, self._blocked) is None

    def _architect(self, request: CompletionRequest) -> Plan:
        """Plan the weakest benchmark a local fixer can raise, or say nothing is left."""
        root = self._worktree(request.persona)
        scores = scores_of(request.prompt)
        rejected = self._rejected()
        for finding in survey(root, scores, self._max_files * 4):
            files = [f for f in finding.files if self._allowed(root, f)][: self._max_files]
            # A plan whose lesson says it was rejected is not tried again: on to the next one.
            if files and (tuple(sorted(set(files))), finding.benchmark) not in rejected:
                return _plan(finding.model_copy(update={"files": files}), scores)
        anchor = (python_files(root) or ["README.md"])[0]
        return Plan(
            title="Nothing left to improve with the offline fixers",
            files_to_modify=[anchor],
            rationale=f"{NOTHING}: no benchmark below 1.0 has a safe local fix.",
            steps=["Make no change."],
        )

    def _builder(self, request: CompletionRequest) -> Build:
        """Run the planned fixer on the planned files; an empty build when it changes nothing."""
        if request.prompt.startswith(REPAIR_MARKER):
            # Its fixers make one kind of change and cannot read a failing test's evidence.
            return Build(changes=[], summary=DECLINED_REPAIR)
        root = self._worktree(request.persona)
        plan = plan_of(request.context, request.persona)
        target = plan.target_benchmarks[0] if plan.target_benchmarks else ""
        changes = build_changes(root, target, plan.files_to_modify)
        if not changes:
            return Build(changes=[], summary=f"{NOTHING}: the fixers changed none of the files")
        names = ", ".join(c.file for c in changes)
        return Build(changes=changes, summary=f"{plan.title}: {names}")

    def _rejected(self) -> set[tuple[tuple[str, ...], str]]:
        """(files, target benchmark) of the plans earlier generations had rejected."""
        plans = self._scope.rejected_plans if self._scope else []
        return {(tuple(sorted(set(p.files))), p.benchmark) for p in plans}


def _plan(finding: Finding, scores: dict[str, float]) -> Plan:
    """A plan carrying out one fixer's finding, with an honest rationale."""
    count = len(finding.files)
    titles = {
        "ruff": f"Apply ruff's safe fixes ({finding.detail}) to {count} file(s)",
        "annotate": f"Add `-> None` return annotations in {count} file(s)",
        "init": f"Add the missing __init__.py to {count} package folder(s)",
    }
    rationale = (
        f"{finding.benchmark} ({scores[finding.benchmark]:.3f}) is the weakest benchmark a local "
        f"fixer can raise: {finding.detail}."
    )
    return Plan(
        title=titles[finding.fixer],
        files_to_modify=finding.files,
        rationale=rationale,
        target_benchmarks=[finding.benchmark],
        steps=[_STEPS[finding.fixer].format(detail=finding.detail)],
    )


def build_changes(root: Path, benchmark: str, files: list[str]) -> list[Change]:
    """Whole-file changes (or new files) from the fixer that raises benchmark."""
    if benchmark == "file_organization":
        return [Change(file=f, op="create", content="") for f in files if not (root / f).exists()]
    changes = []
    codes = ruff_fixable(root) if benchmark == "lint_score" else {}
    for rel in files:
        path = root / rel
        if not path.is_file():
            continue
        old = path.read_text(encoding="utf-8")
        if benchmark == "lint_score":
            new = ruff_fix(root, rel, old, codes.get(rel, []))
        elif benchmark == "type_check":
            new, _ = add_none_returns(old)
        else:
            new = old
        if new != old:
            changes.append(Change(file=rel, content=new))
    return changes


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
