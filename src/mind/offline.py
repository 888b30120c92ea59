"""The offline Architect and Builder: deterministic local personas making real, small fixes."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.analysis.repomap import file_refusal
from self_improving_agent.base.errors import FixerError, ProviderError
from self_improving_agent.base.models import Build, Change, Plan
from self_improving_agent.mind.fixers import (
    Finding,
    add_none_returns,
    fixable_source,
    python_files,
    ruff_fix,
    ruff_fixable,
    survey,
)
from self_improving_agent.providers.base import (
    Completion,
    CompletionRequest,
    RejectedPlan,
    estimated_usage,
)
from self_improving_agent.providers.offline import plan_of

MODEL = "offline"
# The personas' prompts are what this provider reads, as a model would: these mark their parts.
SCORES_MARKER = "Benchmark scores (0..1, weakest first):\n"
REPAIR_MARKER = "Your change broke what worked before"
_SCORE_LINE = re.compile(r"^- (\S+): (-?\d+(?:\.\d+)?)")
NOTHING = "nothing left to improve"
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


DECLINED_REPAIR = "the offline Builder does not repair: its fixers cannot act on test failures"


class OfflineMind:
    """The offline Architect and Builder: local rules and real tools over the mind's tree view."""

    name = "offline"

    def __init__(
        self,
        root: Path,
        *,
        max_files: int,
        blocked: Sequence[str],
        protected: Sequence[str],
        rejected: Sequence[RejectedPlan] = (),
    ) -> None:
        """Keep the tree, the safety limits the personas respect and the plans once rejected."""
        self._root = root
        self._max_files = max_files
        self._blocked = list(blocked)
        self._protected = [p.split(":", 1)[0] for p in protected]
        self._rejected_plans = list(rejected)

    def complete(self, request: CompletionRequest) -> Completion:
        """The persona's reply as JSON text; estimated usage, zero cost, measured latency."""
        started = time.perf_counter()
        try:
            if request.persona == "architect":
                text = self._architect(request).model_dump_json()
            elif request.persona == "builder":
                text = self._builder(request).model_dump_json()
            else:
                raise ProviderError("the offline mind answers only the Architect and the Builder")
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
        root = self._root
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
        root = self._root
        plan = plan_of(request.context, request.persona)
        target = plan.target_benchmarks[0] if plan.target_benchmarks else ""
        changes = build_changes(root, target, plan.files_to_modify)
        if not changes:
            return Build(changes=[], summary=f"{NOTHING}: the fixers changed none of the files")
        names = ", ".join(c.file for c in changes)
        return Build(changes=changes, summary=f"{plan.title}: {names}")

    def _rejected(self) -> set[tuple[tuple[str, ...], str]]:
        """(files, target benchmark) of the plans earlier generations had rejected."""
        return {(tuple(sorted(set(p.files))), p.benchmark) for p in self._rejected_plans}


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
        old = fixable_source(path) if path.is_file() else None
        if old is None:
            continue
        if benchmark == "lint_score":
            new = ruff_fix(root, rel, old, codes.get(rel, []))
        elif benchmark == "type_check":
            new, _ = add_none_returns(old)
        else:
            new = old
        if new != old:
            changes.append(Change(file=rel, content=new))
    return changes
