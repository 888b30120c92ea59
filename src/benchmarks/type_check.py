"""type_check: mypy as the project configures it; score = 1 / (1 + errors_per_kloc / 10)."""

from __future__ import annotations

import configparser
import contextlib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import (
    BenchContext,
    environment_result,
    error_result,
    nothing_result,
    per_kloc_score,
    timeout_result,
)
from self_improving_agent.benchmarks.findings import mypy_findings
from self_improving_agent.benchmarks.python_versions import mypy_version_args
from self_improving_agent.sandbox.proc import ToolRun

NAME = "type_check"
_ERROR_LINE = re.compile(r"^([^:\n]+):(?:\d+:){0,2} error:", re.MULTILINE)
_TARGET_KEYS = ("files", "packages", "modules")
_INI_FILES = (("mypy.ini", "mypy"), (".mypy.ini", "mypy"), ("setup.cfg", "mypy"))


def config_names_targets(tree: Path) -> bool:
    """Whether the project's mypy config says what to check (files, packages or modules)."""
    for name, section in _INI_FILES:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(tree / name, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue
        if parser.has_section(section):
            return any(parser.has_option(section, key) for key in _TARGET_KEYS)
    try:
        data = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    mypy = data.get("tool", {}).get("mypy", {})
    return isinstance(mypy, dict) and any(key in mypy for key in _TARGET_KEYS)


def _listed(value: object) -> list[str]:
    """A mypy option's paths: a TOML list, or an ini string split on commas."""
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def configured_targets(tree: Path) -> list[str] | None:
    """The paths the project's mypy config names (files; packages as folders), or None."""
    options: dict[str, object] = {}
    for name, section in _INI_FILES:
        parser = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(configparser.Error, UnicodeDecodeError):
            parser.read(tree / name, encoding="utf-8")
        if parser.has_section(section):
            options = dict(parser.items(section))
            break
    else:
        with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
            options = data.get("tool", {}).get("mypy", {}) or {}
    if not any(key in options for key in _TARGET_KEYS):
        return None
    paths = _listed(options.get("files", []))
    for key in ("packages", "modules"):
        for dotted in _listed(options.get(key, [])):
            rel = dotted.replace(".", "/")
            paths += [rel, f"src/{rel}", f"{rel}.py", f"src/{rel}.py"]
    return paths


def default_targets(top_packages: list[str], source: list[str]) -> list[str]:
    """The project's packages at the top or under src/; loose non-test files when it has none."""
    packages = [p for p in top_packages if str(PurePosixPath(p).parent) in (".", "src")]
    return packages or source


def count_errors(stdout: str) -> tuple[int, int]:
    """(errors, files with errors) from mypy's plain output."""
    hits = _ERROR_LINE.findall(stdout)
    return len(hits), len(set(hits))


def mypy_args(
    files: list[str],
    cache_dir: str,
    python: str | None = None,
    skip: Sequence[str] = (),
    version: Sequence[str] = (),
) -> list[str]:
    """`python -m mypy` arguments: the repo's own config, a cache outside the repo, no skip file."""
    interpreter = ["--python-executable", python] if python else []
    excluded = [arg for rel in skip for arg in ("--exclude", f"^{re.escape(rel)}$")]
    return [
        "-m",
        "mypy",
        *interpreter,
        "--cache-dir",
        cache_dir,
        "--no-color-output",
        "--no-error-summary",
        "--hide-error-context",
        "--no-pretty",
        *excluded,
        *version,
        *files,
    ]


def judge(run: ToolRun, files: int, lines: int) -> BenchResult:
    """mypy's verdict: exit 0 clean, 1 errors, anything else (2 = fatal) an error."""
    if run.timed_out:
        return timeout_result(NAME, run)
    if run.exhausted:
        return error_result(NAME, run.exhausted, run.duration_s)
    if run.returncode not in (0, 1):
        return error_result(NAME, f"mypy exited {run.returncode}: {run.tail()}", run.duration_s)
    errors, error_files = count_errors(run.stdout)
    if run.returncode == 1 and errors == 0:
        return error_result(NAME, f"mypy failed without errors: {run.tail()}", run.duration_s)
    raw = {
        "errors": errors,
        "files": files,
        "files_with_errors": error_files,
        "lines": lines,
        "evidence": mypy_findings(run.stdout),
    }
    return BenchResult(
        name=NAME,
        score=per_kloc_score(errors, lines),
        raw=raw,
        duration_s=run.duration_s,
        detail=f"{errors} errors in {error_files} of {files} files",
    )


def _argument_file(ctx: BenchContext, targets: list[str]) -> list[str]:
    """The targets as one `@file` argument mypy expands, so no argv grows with the tree."""
    if not targets:
        return []
    listed = ctx.scratch / "mypy-targets.txt"
    listed.write_text("".join(f"{target}\n" for target in targets), encoding="utf-8")
    return [f"@{listed}"]


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Type-check the project as configured, resolving imports in the measuring environment."""
    files = ctx.tree.source
    if not files:
        return nothing_result(NAME, "no non-test Python files to type-check")
    if ctx.env_error:
        return environment_result(NAME, ctx.env_error)
    targets = (
        [] if config_names_targets(ctx.repo) else default_targets(ctx.tree.top_packages(), files)
    )
    cache = str(ctx.cache_dir / "mypy")
    version = mypy_version_args(ctx.repo)
    args = mypy_args(
        _argument_file(ctx, targets), cache, str(ctx.python), ctx.tree.oversized, version
    )
    result = ctx.run_agent_tool(args, timeout_s)
    return judge(result, len(files), ctx.tree.lines(files))
