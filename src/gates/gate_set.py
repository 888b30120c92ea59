"""Gates: SafetyValidator and Cedar on every write; anti-gaming, smoke and Cedar at merge."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from src.base.config import Settings
from src.base.models import Review
from src.base.proc import limiter, run_tool, tool_env
from src.base.sandbox import contained
from src.benchmarks.base import BenchResult
from src.benchmarks.pass_rate import NAME as TESTS
from src.benchmarks.pass_rate import recorded_outcomes
from src.gates.anti_gaming import loosened_tool_config, lost_tests, new_suppressions
from src.gates.policy import MergeFacts, PolicyDecision, PolicyGate
from src.gates.safety import SafetyValidator
from src.gates.verdict import GateVerdict, WriteGate

if TYPE_CHECKING:
    from src.git_ops.worktree import Workspace
    from src.pipeline.generation import Deps

SMOKE_TIMEOUT_S = 120.0


class SafetyWriteGate:
    """The SafetyValidator behind the per-write seam."""

    def __init__(self, root: Path, settings: Settings, code_rules: bool) -> None:
        self._validator = SafetyValidator(root, settings.safety, code_rules=code_rules)

    def check(self, path: str, content: str, *, new_file: bool, lines_changed: int) -> GateVerdict:
        """Refuse a write that breaks a safety rule."""
        verdict = self._validator.validate_before_write(path, content)
        reasons = [
            f"{v.rule}: {v.message}" + (f" (line {v.line})" if v.line else "")
            for v in verdict.violations
        ]
        return GateVerdict(allowed=verdict.allowed, reasons=reasons, gate="safety")


def _policy_verdict(gate: str, decision: PolicyDecision) -> GateVerdict:
    """A Cedar decision as a gate verdict naming the deciding policies."""
    reasons = [f"{decision.decision} by {', '.join(decision.policy_ids) or 'no policy'}"]
    reasons += decision.errors
    return GateVerdict(allowed=decision.allowed, reasons=reasons, gate=gate)


class PolicyWriteGate:
    """Cedar's `write` action behind the per-write seam."""

    def __init__(self, policy: PolicyGate) -> None:
        self._policy = policy

    def check(self, path: str, content: str, *, new_file: bool, lines_changed: int) -> GateVerdict:
        """Ask Cedar whether this write is permitted."""
        decision = self._policy.authorize_write(path, lines_changed, new_file)
        return _policy_verdict("cedar:write", decision)


def write_gates(root: Path, deps: Deps, code_rules: bool) -> list[WriteGate]:
    """The gates every single write passes, after the built-in path gate."""
    return [SafetyWriteGate(root, deps.settings, code_rules), PolicyWriteGate(deps.policy)]


def anti_gaming_gate(
    originals: Mapping[str, str],
    current: Mapping[str, str],
    before: Sequence[BenchResult],
    after: Sequence[BenchResult],
    max_suppressions: int,
) -> GateVerdict:
    """Lost tests, too many new suppressions, or loosened tool config reject a generation."""
    reasons = lost_tests(recorded_outcomes(before), recorded_outcomes(after))
    added = new_suppressions(originals, current)
    if added > max_suppressions:
        reasons.append(
            f"anti-gaming/suppressions: {added} new noqa/type: ignore/pragma comments"
            f" (at most {max_suppressions})"
        )
    for path, new in current.items():
        reasons += loosened_tool_config(path, originals.get(path, ""), new)
    return GateVerdict(allowed=not reasons, reasons=reasons, gate="anti-gaming")


def _argv(command: str) -> list[str]:
    """A smoke command as argv, with `python` meaning the interpreter running the agent."""
    argv = shlex.split(command)
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


def smoke_gate(worktree: Path, settings: Settings) -> GateVerdict:
    """Every `[safety] smoke_commands` entry must still succeed in the changed worktree."""
    reasons = []
    env = tool_env(os.environ, {"PYTHONPATH": str(worktree)})
    limits = limiter(settings.benchmarks.cpu_time_limit_s, settings.benchmarks.memory_limit_mb)
    for command in settings.safety.smoke_commands:
        with contained(settings.sandbox.mode, [worktree]) as box:
            run = run_tool(_argv(command), worktree, env, SMOKE_TIMEOUT_S, limits, box)
        if run.timed_out:
            reasons.append(f"`{command}` timed out after {SMOKE_TIMEOUT_S:.0f}s")
        elif run.returncode != 0:
            reasons.append(f"`{command}` exited {run.returncode}: {run.tail()[-300:]}")
    return GateVerdict(allowed=not reasons, reasons=reasons, gate="smoke")


def _tests_passed(before: Sequence[BenchResult], after: Sequence[BenchResult]) -> bool:
    """The test run is ok after, did not drop, and lost no test that passed before."""
    old = next((r for r in before if r.name == TESTS), None)
    new = next((r for r in after if r.name == TESTS), None)
    if new is None or new.status != "ok":
        return False
    dropped = old is not None and new.score < old.score
    return not dropped and not lost_tests(recorded_outcomes(before), recorded_outcomes(after))


def decision_gates(
    deps: Deps,
    ws: Workspace,
    *,
    originals: Mapping[str, str],
    before: Sequence[BenchResult],
    after: Sequence[BenchResult],
    review: Review | None,
    files_changed: Sequence[str],
    score_delta: float,
) -> list[GateVerdict]:
    """Anti-gaming and smoke gates, then Cedar's `merge` asked with what they found."""
    current = {}
    for path in files_changed:
        target = ws.path / path
        current[path] = (
            target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
        )
    gates = [
        anti_gaming_gate(
            originals, current, before, after, deps.settings.safety.max_new_suppressions
        ),
        smoke_gate(ws.path, deps.settings),
    ]
    consensus = deps.settings.agent.review_consensus
    facts = MergeFacts(
        tests_passed=_tests_passed(before, after),
        safety_passed=all(g.allowed for g in gates),
        review_approved=review is not None and review.approved and review.score >= consensus,
        score_delta=score_delta,
        files_changed=len(files_changed),
    )
    gates.append(_policy_verdict("cedar:merge", deps.policy.authorize_merge(facts)))
    return gates
