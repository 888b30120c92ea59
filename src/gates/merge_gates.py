"""The gates asked before a merge: anti-gaming and smoke, then Cedar's `merge` with the facts."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.config import BenchmarksSection, SandboxSection
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.base.text import printable
from self_improving_agent.benchmarks.sources import repo_files
from self_improving_agent.envs.measured_tree import measured_copy
from self_improving_agent.gates.decision import DecisionFacts, merge_facts
from self_improving_agent.gates.policy import PolicyGate
from self_improving_agent.gates.verdict import GateVerdict
from self_improving_agent.gates.vet import VetReport
from self_improving_agent.gates.write_gates import policy_verdict
from self_improving_agent.sandbox.proc import limiter, run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import sandbox_for

SMOKE_TIMEOUT_S = 120.0


def anti_gaming_gate(lost_tests: Sequence[str]) -> GateVerdict:
    """Lost tests reject a generation; added suppressions and changed tool settings cannot
    raise its score (main's checks measure it) and `agent vet` holds them for a person."""
    reasons = list(lost_tests)
    return GateVerdict(allowed=not reasons, reasons=reasons, gate="anti-gaming")


def _argv(command: str) -> list[str]:
    """A smoke command as argv, with `python` meaning the interpreter running the agent."""
    argv = shlex.split(command)
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


def smoke_gate(
    worktree: Path, safety: SafetySection, benchmarks: BenchmarksSection, sandbox: SandboxSection
) -> GateVerdict:
    """Every `[safety] smoke_commands` entry must still succeed on a copy of the changed worktree.

    The commands run the candidate's code, so they run in the sandbox on a private copy (a shared
    clone): the real worktree, its .git and main's checkout are never writable or bound.
    """
    commands = safety.smoke_commands
    if not commands:
        return GateVerdict(allowed=True, reasons=[], gate="smoke")
    reasons = []
    limits = limiter(benchmarks.cpu_time_limit_s, benchmarks.memory_limit_mb)
    with scratch_dir("agent-smoke-") as tmp:
        copy = measured_copy(worktree, repo_files(worktree), Path(tmp) / "tree")
        env = sandbox_env({"PYTHONPATH": str(copy.path)})
        for index, command in enumerate(commands):
            box = Path(tmp) / f"box-{index}"
            spec = sandbox_for(sandbox.mode, box, [copy.path], copy.objects)
            run = run_tool(_argv(command), copy.path, env, SMOKE_TIMEOUT_S, limits, spec)
            if run.timed_out:
                reasons.append(f"`{command}` timed out after {SMOKE_TIMEOUT_S:.0f}s")
            elif run.exhausted:
                reasons.append(f"`{command}`: {run.exhausted}")
            elif run.returncode != 0:
                tail = printable(run.tail()[-300:])
                reasons.append(f"`{command}` exited {run.returncode}: {tail}")
    return GateVerdict(allowed=not reasons, reasons=reasons, gate="smoke")


def merge_gates(
    policy: PolicyGate,
    worktree: Path,
    facts: DecisionFacts,
    *,
    safety: SafetySection,
    benchmarks: BenchmarksSection,
    sandbox: SandboxSection,
    vetted: VetReport | None = None,
) -> list[GateVerdict]:
    """Anti-gaming, smoke and vet gates, then Cedar's `merge` asked with the facts and verdicts."""
    gates = [
        anti_gaming_gate(facts.lost_test_reasons),
        smoke_gate(worktree, safety, benchmarks, sandbox),
    ]
    if vetted is not None:
        refused = vetted.refusals()
        gates.append(GateVerdict(allowed=not refused, reasons=refused, gate="vet"))
    gates.append(policy_verdict("cedar:merge", policy.authorize_merge(merge_facts(facts, gates))))
    return gates
