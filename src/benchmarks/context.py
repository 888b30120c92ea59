"""What every benchmark gets to work with, and the shapes of results that are not measurements."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from self_improving_agent.base.config import BenchmarksSection, SandboxSection
from self_improving_agent.base.safe_files import CONTAINMENT_FLAG
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.sources import SourceTree
from self_improving_agent.sandbox.proc import ToolRun, limiter, run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import sandbox_for

if TYPE_CHECKING:
    # Only named: the benchmark config's own module imports every benchmark, which import this.
    from self_improving_agent.benchmarks.config import BenchConfig

ENV_FLAG = "environment_error"


@dataclass(frozen=True)
class MeasureSections:
    """The config sections measuring reads, taken from the settings once where a run starts."""

    benchmarks: BenchmarksSection = field(default_factory=BenchmarksSection)
    sandbox: SandboxSection = field(default_factory=SandboxSection)
    # The judge's benchmark config; None: each tree's own (`agent bench`, a person's command).
    bench: BenchConfig | None = None
    # The judge's evaluator files, written over every measured copy before anything runs.
    pinned: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class BenchContext:
    """One measurement of one tree: its private copy, scratch, limits and measuring interpreter."""

    repo: Path
    sections: MeasureSections
    tree: SourceTree
    scratch: Path
    cache_dir: Path
    # Files the host writes for a run (coverage config, the overlay's .pth files): outside
    # scratch, read-only inside the sandbox, so sandboxed code can never swap them for links.
    host_dir: Path
    python: Path = Path(sys.executable)
    env_error: str = ""
    env_note: str = ""
    # What the sandbox binds back read-only where it hides it (under a home directory or /tmp):
    # the measuring environment and the object store the tree's shared clone reads.
    env_dirs: tuple[Path, ...] = ()
    # Literal `setenv` values of main's tox config: the only variables the project sets itself.
    setenv: tuple[tuple[str, str], ...] = ()
    # The whole copy when repo is one workspace member's folder of it: its siblings are imported.
    copy_root: Path | None = None
    # Distributions the measuring environment holds (None: not known, the agent's own).
    packages: frozenset[str] | None = None
    # Main's committed tree with the test-impact map on: its pytest run records per-test contexts.
    test_contexts: bool = False

    def run_python(
        self,
        args: list[str],
        timeout_s: float,
        extra_env: dict[str, str] | None = None,
        channel: str | None = None,
    ) -> ToolRun:
        """Run `<measuring interpreter> args` in the tree: the target's code runs here.

        channel names the variable that gets a report pipe's fd (see run_tool).
        """
        if args[:1] == ["-m"]:
            args = [str(launcher(self.host_dir)), *args[1:]]
        return self._run(str(self.python), args, timeout_s, extra_env, channel)

    def run_agent_tool(self, args: list[str], timeout_s: float) -> ToolRun:
        """Run `<agent's python> args` in the tree, for tools that only read it (ruff, mypy)."""
        # -P: the tree (the working folder) is not put on sys.path, so no `mypy/` or `ruff/`
        # package in it stands in for the tool.
        return self._run(sys.executable, ["-P", *args], timeout_s, None)

    def run_command(
        self, argv: list[str], timeout_s: float, extra_env: dict[str, str] | None = None
    ) -> ToolRun:
        """Run a user's evaluator command as given in the tree, confined like the target's code."""
        return self._run(argv[0], argv[1:], timeout_s, extra_env)

    def _run(
        self,
        program: str,
        args: list[str],
        timeout_s: float,
        extra_env: dict[str, str] | None,
        channel: str | None = None,
    ) -> ToolRun:
        """One confined tool run in the tree with secrets removed."""
        limits = self.sections.benchmarks
        return run_tool(
            [program, *args],
            self.repo,
            sandbox_env({**dict(self.setenv), **(extra_env or {})}),
            timeout_s,
            limiter(limits.cpu_time_limit_s, limits.memory_limit_mb),
            sandbox_for(
                self.sections.sandbox.mode,
                self.scratch,
                [self.copy_root or self.repo, self.cache_dir],
                (*self.env_dirs, self.host_dir),
            ),
            channel,
        )


_LAUNCHER = Path(__file__).with_name("tool_launcher.py")


def launcher(host_dir: Path) -> Path:
    """The tool launcher in host_dir, where sandboxed code cannot replace it; written once."""
    target = host_dir / "_agent_launch.py"
    if not target.exists():
        # Written whole under another name, then renamed: a parallel benchmark never reads half.
        temporary = host_dir / f"_agent_launch.{secrets.token_hex(8)}"
        temporary.write_bytes(_LAUNCHER.read_bytes())
        os.replace(temporary, target)
    return target


def timeout_result(name: str, run: ToolRun) -> BenchResult:
    """A tool that ran out of time scores 0."""
    return BenchResult(
        name=name,
        score=0.0,
        status="timeout",
        duration_s=run.duration_s,
        detail=f"killed after {run.duration_s:.1f}s; raise timeouts.{name} to allow more",
    )


def error_result(name: str, detail: str, duration_s: float = 0.0) -> BenchResult:
    """A tool that crashed or answered nonsense scores 0 with the reason."""
    return BenchResult(name=name, score=0.0, status="error", duration_s=duration_s, detail=detail)


def environment_result(name: str, detail: str, raw: dict[str, object] | None = None) -> BenchResult:
    """The environment, not the tree, kept a benchmark from measuring: an error marked as such."""
    return error_result(name, detail).model_copy(update={"raw": {**(raw or {}), ENV_FLAG: True}})


def environment_failure(results: list[BenchResult]) -> str | None:
    """The first environment error among results, or None."""
    return next((f"{r.name}: {r.detail}" for r in results if r.raw.get(ENV_FLAG)), None)


def containment_result(name: str, finding: str, duration_s: float = 0.0) -> BenchResult:
    """The measured run left something odd where a result belongs: an error that rejects."""
    detail = f"containment finding: {finding}; the measurement fails closed"
    return error_result(name, detail, duration_s).model_copy(
        update={"raw": {CONTAINMENT_FLAG: finding}}
    )


def containment_findings(results: list[BenchResult]) -> list[str]:
    """Each containment finding among results, named by its benchmark."""
    return [f"{r.name}: {r.raw[CONTAINMENT_FLAG]}" for r in results if r.raw.get(CONTAINMENT_FLAG)]


def nothing_result(name: str, detail: str, duration_s: float = 0.0) -> BenchResult:
    """Nothing to measure (no tests, no Python files) scores 0 with status failed."""
    return BenchResult(name=name, score=0.0, status="failed", duration_s=duration_s, detail=detail)


def per_kloc_score(count: int, lines: int) -> float:
    """1 / (1 + count_per_kloc / 10): 1.0 when clean, 0.5 at 10 per thousand lines."""
    per_kloc = count / max(lines, 1) * 1000
    return 1.0 / (1.0 + per_kloc / 10.0)
