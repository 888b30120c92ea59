"""Run one tool in its own process group with secrets removed, limits set and a hard timeout."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from self_improving_agent.base.limits import (
    DEFAULT_RUN_MEMORY_MB,
    MAX_PROCESSES,
    MAX_RUN_DISK_BYTES,
    MAX_WRITTEN_FILE_BYTES,
)
from self_improving_agent.base.secrets import scrub_env
from self_improving_agent.base.text import printable
from self_improving_agent.sandbox.capture import CEILING_BYTES, MIB, drain
from self_improving_agent.sandbox.cgroups import Budget, Layout, RunCgroup, layout, sweep
from self_improving_agent.sandbox.disk import DiskWatch
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
    # Which of the run's limits (processes, memory) it reached, in words; the result is an error.
    exhausted: str | None = None
    # What the tool wrote to its report channel, when it was given one (see run_tool).
    reported: bytes | None = None

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


@dataclass(frozen=True)
class Limits:
    """A tool run's limits: CPU and address space per process; processes and memory in all."""

    cpu_s: int
    memory_mb: int
    processes: int = MAX_PROCESSES
    disk_bytes: int = MAX_RUN_DISK_BYTES

    def __call__(self) -> None:
        """Runs in the child between fork and exec: only async-signal-safe work here."""
        memory = self.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_CPU, (self.cpu_s, self.cpu_s))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        written = MAX_WRITTEN_FILE_BYTES
        resource.setrlimit(resource.RLIMIT_FSIZE, (written, written))


def limiter(cpu_s: int, memory_mb: int) -> Limits:
    """Limits capping CPU time and memory; a sandboxed run also gets a process limit."""
    return Limits(cpu_s, memory_mb)


@functools.cache
def _cgroups() -> Layout | None:
    """Where runs get their cgroups on this machine; leftovers of killed agents removed once."""
    where = layout()
    sweep(where)
    return where


def _run_cgroup(limits: Limits | None, sandbox: SandboxSpec | None) -> RunCgroup | None:
    """The cgroup bounding a sandboxed run, when the machine offers one.

    A run without limits (a build backend, the self-hosting check) gets the defaults: no
    sandboxed code runs without a process and memory limit.
    """
    where = _cgroups()
    if sandbox is None or sandbox.mechanism in ("off", "none") or not where:
        return None
    budget = limits or Limits(0, DEFAULT_RUN_MEMORY_MB)
    return RunCgroup(where, Budget(budget.processes, budget.memory_mb))


def _disk_watch(limits: Limits | None, sandbox: SandboxSpec | None) -> DiskWatch | None:
    """The watchdog on the disk a contained run fills in what it may write, any mechanism."""
    if sandbox is None:
        return None
    budget = limits.disk_bytes if limits else MAX_RUN_DISK_BYTES
    return DiskWatch([sandbox.scratch, *sandbox.writable], budget)


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


def _kill_group(proc: subprocess.Popen[Any]) -> None:
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
    limits: Limits | None = None,
    sandbox: SandboxSpec | None = None,
    channel: str | None = None,
) -> ToolRun:
    """Run cmd (contained by sandbox) to completion or kill its group at timeout_s; never raises.

    channel: an environment variable that gets the number of a pipe's write end; what the tool
    writes there comes back as ToolRun.reported, read live by the host, never through a file.
    """
    start = time.perf_counter()
    try:
        group = _run_cgroup(limits, sandbox)
    except OSError as exc:
        return ToolRun(126, "", f"cannot make the cgroup for {cmd[0]}: {exc}", 0.0, False, 0)
    read_end, write_end = os.pipe() if channel else (-1, -1)
    if channel:
        env = {**env, channel: str(write_end)}
    try:
        pipe = (read_end, write_end) if channel else None
        return _run(cmd, cwd, env, timeout_s, limits, sandbox, group, start, pipe)
    finally:
        # _run closed the write end once the tool held it.
        if channel:
            os.close(read_end)
        if group is not None:
            group.close()


def _run(
    cmd: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    limits: Limits | None,
    sandbox: SandboxSpec | None,
    group: RunCgroup | None,
    start: float,
    pipe: tuple[int, int] | None = None,
) -> ToolRun:
    """run_tool once its cgroup exists: the child joins it before anything else."""
    try:
        run = launch(sandbox, cmd, cwd, env)
    except OSError as exc:
        if pipe:
            os.close(pipe[1])
        return ToolRun(126, "", f"cannot set up the sandbox for {cmd[0]}: {exc}", 0.0, False, 0)
    steps: list[Callable[[], None]] = [group.join_step()] if group else []
    steps += [limits, *run.child_setup] if limits else run.child_setup
    disk = _disk_watch(limits, sandbox)
    try:
        proc = subprocess.Popen(
            run.argv,
            cwd=cwd,
            env=run.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            # Safe despite threads: the steps only make syscalls (setrlimit, prctl, Landlock).
            preexec_fn=_chain(steps),
            pass_fds=[*run.pass_fds, *(pipe[1:] if pipe else [])],
        )
    except OSError as exc:
        return ToolRun(127, "", f"cannot start {cmd[0]}: {exc}", 0.0, False, 0)
    finally:
        run.close()
        if pipe:
            # Only the tool holds the write end now: the channel ends when the tool's side does.
            os.close(pipe[1])
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(proc.pid)
    try:
        # Read with a cap: a tool printing without end costs counting, never the agent's memory.
        channel = pipe[0] if pipe else None
        stop = disk.exceeded if disk else None
        drained = drain(proc, timeout_s, lambda: _kill_group(proc), channel=channel, watch=stop)
    finally:
        # A tool that exited may have left children behind in its group.
        _kill_group(proc)
        with _LIVE_LOCK:
            _LIVE_GROUPS.discard(proc.pid)
    exhausted = group.exhausted() if group else None
    # A burst right before the tool ended is caught here, after the tool's group is gone.
    exhausted = drained.stopped or (disk.exceeded() if disk else None) or exhausted
    if drained.overflowed:
        exhausted = (
            f"output exceeded {CEILING_BYTES // MIB} MiB on stdout and stderr; the tool was killed"
        )
    # What a tool printed is shown to people and models: no terminal controls survive it.
    elapsed = time.perf_counter() - start
    out, err = printable(drained.stdout), printable(drained.stderr)
    return ToolRun(
        proc.returncode,
        out,
        err,
        elapsed,
        drained.timed_out,
        proc.pid,
        exhausted,
        drained.reported,
    )


@contextlib.contextmanager
def piped_process(
    cmd: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    sandbox: SandboxSpec | None,
    limits: Limits | None,
    stderr: IO[bytes],
) -> Iterator[subprocess.Popen[bytes]]:
    """cmd started by exec, contained, talking over pipes; its whole group killed at the end.

    OSError when it cannot start.
    """
    run = launch(sandbox, cmd, cwd, env)
    steps: list[Callable[[], None]] = [limits, *run.child_setup] if limits else run.child_setup
    try:
        proc = subprocess.Popen(
            run.argv,
            cwd=cwd,
            env=run.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
            # Safe despite threads: the steps only make syscalls (setrlimit, prctl, Landlock).
            preexec_fn=_chain(steps),
            pass_fds=run.pass_fds,
        )
    finally:
        run.close()
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(proc.pid)
    try:
        yield proc
    finally:
        _kill_group(proc)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        proc.wait()
        with _LIVE_LOCK:
            _LIVE_GROUPS.discard(proc.pid)
