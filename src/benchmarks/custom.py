"""A user's own evaluator: run its command in the measured tree and read one number from it."""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import BenchContext, environment_result, error_result
from self_improving_agent.benchmarks.custom_spec import CustomSpec
from self_improving_agent.envs.overlay import import_roots
from self_improving_agent.sandbox.proc import ToolRun

# The end of the evaluator's output that the report keeps as the detail.
DETAIL_CHARS = 600
PYTHON = "python"


class NoScore(ValueError):
    """The output holds no usable number; the message says why, for the detail."""


def last_json_object(text: str) -> dict[str, Any]:
    """The last JSON object printed, on one line or spanning several; NoScore when none."""
    decoder = json.JSONDecoder()
    found: dict[str, Any] | None = None
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict):
            found = value
        index = text.find("{", end)
    if found is None:
        raise NoScore("printed no JSON object")
    return found


def _number(value: Any, what: str) -> float:
    """A finite number, or NoScore naming what it was."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise NoScore(f"{what} is {json.dumps(value)[:60]}, not a number")
    try:
        number = float(value)
    except ValueError:
        raise NoScore(f"{what} is {str(value)[:60]!r}, not a number") from None
    if not math.isfinite(number):
        raise NoScore(f"{what} is {number}, not a finite number")
    return number


def read_json(stdout: str, path: str) -> tuple[float, dict[str, Any]]:
    """The number at a dotted key path of the last JSON object, and the object's other fields."""
    data = last_json_object(stdout)
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            raise NoScore(f"printed no key '{path}' in its last JSON object")
        node = node[key]
    others = {k: v for k, v in data.items() if k != path}
    return _number(node, f"'{path}'"), others


def read_regex(stdout: str, pattern: str) -> float:
    """The number in the one group of the last match of pattern."""
    matches = list(re.finditer(pattern, stdout, re.MULTILINE))
    if not matches:
        raise NoScore(f"printed nothing that matches {pattern!r}")
    return _number(matches[-1].group(1), f"the match of {pattern!r}")


def _tail(run: ToolRun) -> str:
    """The end of stdout and stderr together, for the detail."""
    text = "\n".join(part.strip() for part in (run.stdout, run.stderr) if part.strip())
    return text[-DETAIL_CHARS:] or f"exit code {run.returncode} and no output"


def score_output(spec: CustomSpec, run: ToolRun) -> BenchResult:
    """The result a finished run of the evaluator earns; NoScore or a crash become errors."""
    tail = _tail(run)
    others: dict[str, Any] = {}
    if spec.score.exit_code:
        value = 1.0 if run.returncode == 0 else 0.0
        if run.returncode < 0:
            return error_result(spec.name, f"killed by signal {-run.returncode}: {tail}")
    elif run.returncode != 0:
        return error_result(spec.name, f"exited with code {run.returncode}: {tail}")
    else:
        try:
            if spec.score.json_path is not None:
                value, others = read_json(run.stdout, spec.score.json_path)
            else:
                value = read_regex(run.stdout, spec.score.regex or "")
        except NoScore as exc:
            return error_result(spec.name, f"{exc}: {tail}")
        if spec.range is None and not 0.0 <= value <= 1.0:
            return error_result(
                spec.name, f"scored {value:g}, outside 0..1; give the benchmark a range: {tail}"
            )
    return BenchResult(
        name=spec.name,
        score=spec.scale(value),
        raw={**others, "value": value},
        status="ok" if value or not spec.score.exit_code else "failed",
        detail=tail,
        custom=True,
    )


@dataclass(frozen=True)
class CustomBenchmark:
    """One custom benchmark, run like the built-in ones: `run(ctx, timeout_s) -> BenchResult`."""

    spec: CustomSpec

    def command(self, ctx: BenchContext) -> list[str]:
        """The command as run: `python` is the measuring interpreter of the target."""
        program, *args = self.spec.command
        return [str(ctx.python) if program == PYTHON else program, *args]

    def run(self, ctx: BenchContext, timeout_s: float) -> BenchResult:
        """One run of the evaluator in the tree, in the target's environment and the sandbox."""
        if ctx.env_error and self.spec.command[0] == PYTHON:
            return environment_result(self.spec.name, ctx.env_error).model_copy(
                update={"custom": True}
            )
        # The tree's code is importable as it is when the tree is no installable package.
        roots = os.pathsep.join(str(p) for p in import_roots(ctx.repo))
        run = ctx.run_command(self.command(ctx), timeout_s, {"PYTHONPATH": roots})
        if run.timed_out:
            result = error_result(
                self.spec.name,
                f"timed out after {run.duration_s:.1f}s; raise its timeout: {_tail(run)}",
            )
        elif run.exhausted:
            result = error_result(self.spec.name, run.exhausted)
        else:
            result = score_output(self.spec, run)
        return result.model_copy(update={"custom": True, "duration_s": run.duration_s})
