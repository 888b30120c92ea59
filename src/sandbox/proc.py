"""Run one tool in its own process group with secrets removed, limits set and a hard timeout."""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.secrets import scrub_env
from self_improving_agent.base.text import printable
from self_improving_agent.sandbox.sandbox import SandboxSpec, launch

TAIL_CHARS = 2000
# Variables that would make the target's tools behave differently from a plain run by hand.
_DROPPED_PREFIXES = ("PYTEST_", "COV_CORE_", "COVERAGE_", "MYPY_", "RUFF_", "PYTHON")


@dataclass(frozen=True)
class ToolRun:
    """What one tool process did."""

    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool
    pid: int

    def tail(self) -> str:
        """The end of stderr (or stdout when stderr is empty), for error details."""
        text = (self.stderr.strip() or self.stdout.strip())[-TAIL_CHARS:]
        return text or f"exit code {self.returncode} and no output"


def tool_env(environ: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a tool: secrets and tool-steering variables removed, extra added."""
    env = {k: v for k, v in scrub_env(environ).items() if not k.startswith(_DROPPED_PREFIXES)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUTF8"] = "1"
    env.update(extra)
    return env


# What a sandboxed run gets from the host's environment: nothing that could hold a credential.
# HOME and TMPDIR are the sandbox's own (fake) folders, set where the sandbox is set up.
SANDBOX_PASSED = ("PATH", "LANG", "LANGUAGE", "TERM", "TZ")
SANDBOX_PASSED_PREFIXES = ("LC_",)
_SANDBOX_FIXED = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUTF8": "1", "PYTHONNOUSERSITE": "1"}


def sandbox_env(
    extra: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a sandboxed run: an allowlist of the host's, fixed values, then extra.

    extra holds only values the agent chose (paths in scratch, main's literal tox setenv), never
    a host variable passed through.
    """
    host = os.environ if environ is None else environ
    env = {
        k: v
        for k, v in host.items()
        if k in SANDBOX_PASSED or k.startswith(SANDBOX_PASSED_PREFIXES)
    }
    env.update(_SANDBOX_FIXED)
    env.update(extra)
    return env


def limiter(cpu_s: int, memory_mb: int) -> Callable[[], None]:
    """A preexec_fn that caps CPU time and address space of the child."""
    memory = memory_mb * 1024 * 1024

    def apply() -> None:
        """Runs in the child between fork and exec: only async-signal-safe work here."""
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


# Process groups of tools running right now, so a stop can kill them at once from any thread.
_LIVE_GROUPS: set[int] = set()
_LIVE_LOCK = threading.Lock()


def kill_live_tools() -> None:
    """Kill every running tool's process group (on Ctrl-C, a termination signal or exit)."""
    with _LIVE_LOCK:
        groups = list(_LIVE_GROUPS)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


atexit.register(kill_live_tools)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill the whole process group so grandchildren (test subprocesses) die too."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _chain(steps: Sequence[Callable[[], None]]) -> Callable[[], None]:
    """One preexec_fn running every child setup step in order."""

    def apply() -> None:
        """Runs in the child between fork and exec."""
        for step in steps:
            step()

    return apply


def run_tool(
    cmd: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    limits: Callable[[], None] | None = None,
    sandbox: SandboxSpec | None = None,
) -> ToolRun:
    """Run cmd (contained by sandbox) to completion or kill its group at timeout_s; never raises."""
    start = time.perf_counter()
    try:
        run = launch(sandbox, cmd, cwd, env)
    except OSError as exc:
        return ToolRun(126, "", f"cannot set up the sandbox for {cmd[0]}: {exc}", 0.0, False, 0)
    steps = [limits, *run.child_setup] if limits else run.child_setup
    try:
        proc = subprocess.Popen(
            run.argv,
            cwd=cwd,
            env=run.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
            # Safe despite threads: the steps only make syscalls (setrlimit, prctl, Landlock).
            preexec_fn=_chain(steps),
        )
    except OSError as exc:
        return ToolRun(127, "", f"cannot start {cmd[0]}: {exc}", 0.0, False, 0)
    finally:
        run.close()
    timed_out = False
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, err = proc.communicate()
    finally:
        # A tool that exited may have left children behind in its group.
        _kill_group(proc)
        with _LIVE_LOCK:
            _LIVE_GROUPS.discard(proc.pid)
    # What a tool printed is shown to people and models: no terminal controls survive it.
    elapsed = time.perf_counter() - start
    return ToolRun(proc.returncode, printable(out), printable(err), elapsed, timed_out, proc.pid)
