"""Self-hosting: after a merge into the agent's own repo, a fresh process must still start."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.safe_files import UnsafeResult, read_result
from self_improving_agent.base.text import printable
from self_improving_agent.core.deps import Deps, GenerationOutcome
from self_improving_agent.git_ops.runner import run as git_run
from self_improving_agent.reports.report_files import amend_report
from self_improving_agent.sandbox.proc import run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import SandboxMode, SandboxSpec, contained

# Names the pinned judge commit a process runs as. Only the judge's own re-exec sets it (and
# the check below, for the new main it starts on purpose): a generation's code never runs in
# the judge's process nor starts it.
MARK = "AGENT_JUDGE_COMMIT"
# A dry run measures the whole repository twice (before and after), so it needs minutes.
START_TIMEOUT_S = 900.0
CHILD_ERROR_CHARS = 300


def start_commands(worktree: Path) -> list[list[str]]:
    """What a fresh process of the new main must survive: import, CLI parse, a dry run."""
    python = sys.executable
    return [
        [python, "main.py", "--version"],
        [python, "main.py", "--help"],
        [python, "main.py", "run", "--dry-run", "--provider", "mock", "--repo", str(worktree)],
    ]


def child_env(environ: Mapping[str, str], worktree: Path) -> dict[str, str]:
    """The sandbox's allowlisted environment: no secrets, no AGENT_* settings, a fake HOME later."""
    return sandbox_env({"PYTHONPATH": str(worktree)}, environ)


def _reports_folder(worktree: Path) -> str:
    """The new main's reports folder relative to worktree, read before the child runs."""
    reports = worktree / load_settings(worktree, environ={}).agent.reports_dir
    try:
        return reports.resolve().relative_to(worktree.resolve()).as_posix()
    except ValueError:
        return ""


def _dry_run_errors(worktree: Path, reports: str) -> list[str]:
    """Phase errors the child's dry run recorded in its report (a rejection is not an error).

    The child wrote these files: they are read without following links, within a size cap.
    """
    if not reports:
        return ["the reports folder of the new main lies outside its tree"]
    found = []
    names = sorted(p.name for p in (worktree / reports).glob("gen-*.json"))
    for name in names:
        try:
            data = json.loads(read_result(worktree, f"{reports}/{name}", "report") or b"")
        except (UnsafeResult, OSError, ValueError):
            return [f"{printable(name)} is not a readable report"]
        errors = data.get("errors") if isinstance(data, dict) else None
        for error in errors if isinstance(errors, list) else []:
            found.append(f"{error.get('phase')}: {error.get('message')}")
    if not found and not names:
        return ["the dry run wrote no report"]
    return [printable(line) for line in found]


def verify_start(
    worktree: Path,
    environ: Mapping[str, str],
    timeout_s: float = START_TIMEOUT_S,
    mode: SandboxMode = "auto",
) -> str | None:
    """Why a fresh process of the code in worktree cannot start and run, or None when it can."""
    env = child_env(environ, worktree)
    # The check is that the new main starts, so it runs that code, not a pinned judge's.
    env[MARK] = git_run(worktree, "rev-parse", "HEAD").stdout.strip()
    reports = _reports_folder(worktree)
    with contained(mode, [worktree]) as box:
        if box.mechanism in ("bwrap", "landlock"):
            # The child and all it starts already run inside this one; a nested bwrap is refused.
            env["AGENT_SANDBOX__MODE"] = "off"
        problem = _first_failure(worktree, env, timeout_s, box)
    return problem or _dry_run_errors_text(worktree, reports)


def _first_failure(
    worktree: Path, env: Mapping[str, str], timeout_s: float, box: SandboxSpec
) -> str | None:
    """The first start command that fails or times out, said in one line."""
    for argv in start_commands(worktree):
        shown = " ".join(["python", *argv[1:]])
        run = run_tool(argv, worktree, env, timeout_s, sandbox=box)
        if run.timed_out:
            return f"`{shown}` timed out after {timeout_s:.0f}s"
        if run.returncode != 0:
            return f"`{shown}` exited {run.returncode}: {run.tail()[-CHILD_ERROR_CHARS:]}"
    return None


def _dry_run_errors_text(worktree: Path, reports: str) -> str | None:
    """The dry run's recorded phase errors as one line, or None when it had none."""
    errors = _dry_run_errors(worktree, reports)
    if errors:
        return f"the dry-run generation failed: {'; '.join(errors)[:CHILD_ERROR_CHARS]}"
    return None


Verifier = Callable[[Path, Mapping[str, str]], str | None]


def check_after_merge(
    deps: Deps, outcome: GenerationOutcome, verify: Verifier | None = None
) -> GenerationOutcome:
    """Start the new main in a fresh process; revert the merge and fail the generation if not."""
    verify = verify or functools.partial(verify_start, mode=deps.config.sandbox.mode)
    sha = deps.git.main_sha()
    deps.progress(f"gen {outcome.generation}: checking that the new main starts")
    # A clone in scratch: the check needs no write access to the real .git or .agent. Not a
    # --shared one: its objects would stay in the repository, which the sandbox does not show.
    with scratch_dir(f"agent-selfhost-{outcome.generation}-") as scratch:
        tree = Path(scratch) / "clone"
        git_run(deps.repo, "clone", "--quiet", "--no-checkout", ".", str(tree))
        git_run(tree, "checkout", "--quiet", "--detach", sha)
        problem = verify(tree, os.environ)
    if problem is None:
        return outcome
    try:
        reverted = deps.git.revert(sha)
        undo = f"merge {sha[:10]} reverted as {reverted[:10]}"
    except GitError as exc:
        undo = f"merge {sha[:10]} could NOT be reverted ({exc})"
    reason = f"self-hosting check failed, {undo}: {problem}"
    deps.store.update_generation(outcome.generation, status="failed", reason=reason)
    amend_report(
        Path(outcome.report_path), "failed", error={"phase": "self-hosting", "message": reason}
    )
    deps.progress(f"gen {outcome.generation}: {reason}")
    return outcome.model_copy(update={"status": "failed", "reason": reason, "errored": True})
