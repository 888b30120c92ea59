"""The write gates: which gates every single write passes, in order, and how they are asked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from self_improving_agent.analysis.repomap import is_blocked
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.policy import PolicyDecision, PolicyGate
from self_improving_agent.gates.safety import SafetyValidator
from self_improving_agent.gates.verdict import GateVerdict, WriteGate


def path_problem(root: Path, path: str) -> str | None:
    """Why path may not be written inside root, or None when it may."""
    if not path.strip() or "\x00" in path:
        return "the path is empty or contains a NUL byte"
    if PurePosixPath(path).is_absolute() or path.startswith("\\") or path[1:2] == ":":
        return "the path is absolute; give it relative to the repository root"
    if any(part.lower() == ".git" for part in PurePosixPath(path).parts):
        return "the path is under .git/, which is never written"
    base = root.resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(base):
        return "the path resolves outside the worktree (through .. or a symlink)"
    if target == base or any(p.lower() == ".git" for p in target.relative_to(base).parts):
        return "the path resolves to the worktree itself or into .git/"
    if target.is_dir():
        return "the path is a directory, not a file"
    return None


def git_ignores(root: Path, path: str) -> bool:
    """Whether git ignores path in root's work tree (tracked files never are); False outside git."""
    try:
        done = git(root, "check-ignore", "-q", "--", path)
    except GitError:
        return False
    return done.returncode == 0


def inner_repository(root: Path, path: str) -> str | None:
    """The submodule or nested repository holding path (another repository), or None."""
    parents = [str(parent) for parent in PurePosixPath(path).parents if str(parent) != "."]
    for folder in parents:
        if (root / folder / ".git").exists():
            return folder
    if not parents:
        return None
    try:
        done = git(root, "ls-files", "--stage", "-z", "--", *(f":(literal){p}" for p in parents))
    except GitError:
        return None
    entries = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    gitlinks = {e.split("\t", 1)[1] for e in entries if e.startswith("160000 ") and "\t" in e}
    return next((folder for folder in parents if folder in gitlinks), None)


class PathGate:
    """The built-in minimum gate: inside the worktree, not .git/, not a blocked file name."""

    name = "path"

    def __init__(self, root: Path, blocked_patterns: Sequence[str] = ()) -> None:
        self._root = root
        self._blocked = tuple(blocked_patterns)

    def check(self, path: str, content: str, *, new_file: bool, lines_changed: int) -> GateVerdict:
        """Refuse paths that escape the worktree, touch .git/ or match a blocked pattern."""
        problem = path_problem(self._root, path)
        if problem is None and is_blocked(path, self._blocked):
            problem = "the file name matches a blocked pattern (secrets are never written)"
        inner = inner_repository(self._root, path) if problem is None else None
        if inner is not None:
            problem = f"it lies in {inner}, another repository (a submodule); change it there"
        if problem is None and git_ignores(self._root, path):
            # Written but never committed, the edit would be reported applied and then lost.
            problem = "git ignores this path, so the change would never be committed"
        reasons = [] if problem is None else [f"{path}: {problem}"]
        return GateVerdict(allowed=problem is None, reasons=reasons, gate=self.name)


class SafetyWriteGate:
    """The SafetyValidator behind the per-write seam."""

    def __init__(self, root: Path, safety: SafetySection, code_rules: bool) -> None:
        """The judge's own files are not refused here: the decision holds them for a person."""
        self._validator = SafetyValidator(root, safety, code_rules=code_rules)

    def check(self, path: str, content: str, *, new_file: bool, lines_changed: int) -> GateVerdict:
        """Refuse a write that breaks a safety rule."""
        verdict = self._validator.validate_before_write(path, content)
        reasons = [
            f"{v.rule}: {v.message}" + (f" (line {v.line})" if v.line else "")
            for v in verdict.violations
        ]
        return GateVerdict(allowed=verdict.allowed, reasons=reasons, gate="safety")


def policy_verdict(gate: str, decision: PolicyDecision) -> GateVerdict:
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
        return policy_verdict("cedar:write", decision)


def write_gates(
    root: Path, safety: SafetySection, policy: PolicyGate, code_rules: bool
) -> list[WriteGate]:
    """The gates every single write passes, after the built-in path gate."""
    return [SafetyWriteGate(root, safety, code_rules), PolicyWriteGate(policy)]


def refusals(
    gates: Sequence[WriteGate], path: str, text: str, new_file: bool, lines: int
) -> list[str]:
    """Reasons from every gate that refuses; a gate that raises refuses (fail closed)."""
    refusals = []
    for gate in gates:
        name = getattr(gate, "name", type(gate).__name__)
        try:
            verdict = gate.check(path, text, new_file=new_file, lines_changed=lines)
        except Exception as exc:  # any gate failure must deny, never let the write through
            refusals.append(f"refused by gate '{name}': it failed ({exc})")
            continue
        if not verdict.allowed:
            why = "; ".join(verdict.reasons) or "no reason given"
            refusals.append(f"refused by gate '{verdict.gate}': {why}")
    return refusals
