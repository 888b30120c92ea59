"""import_check: import each module of the target's packages in a subprocess; score = ok / total."""

from __future__ import annotations

import json

from self_improving_agent.base.safe_files import UnsafeResult, read_result_text
from self_improving_agent.base.text import printable
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import (
    BenchContext,
    containment_result,
    environment_result,
    error_result,
    nothing_result,
    timeout_result,
)

NAME = "import_check"
OUT_NAME = "imports.json"

# Runs inside the confined subprocess: argv[1] is the output file, argv[2] a file holding a JSON
# list of [module, import root] (a file, so no argv grows with the repository); one failing
# module must not stop the others.
IMPORTER = """
import importlib, json, sys, traceback
out = sys.argv[1]
with open(sys.argv[2], encoding="utf-8") as listed:
    modules = json.load(listed)
for root in sorted({r for _, r in modules}, reverse=True):
    sys.path.insert(0, root)
errors = {}
for name, _ in modules:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        errors[name] = (traceback.format_exception_only(type(exc), exc)[-1].strip())[:500]
with open(out, "w", encoding="utf-8") as handle:
    json.dump(errors, handle)
"""


def score_imports(importable: int, total: int) -> float:
    """importable / total."""
    return importable / total if total else 0.0


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Import every package module (or, without packages, every top-level module) in one run."""
    modules = ctx.tree.package_modules() or ctx.tree.loose_modules()
    if not modules:
        return nothing_result(
            NAME, "no Python packages (folders with __init__.py) or top-level modules to import"
        )
    if ctx.env_error:
        return environment_result(NAME, ctx.env_error)
    out, listed = ctx.scratch / OUT_NAME, ctx.host_dir / "modules.json"
    pairs = [[name, str(ctx.repo / root)] for name, root in modules.items()]
    # Written before the run starts, where the code under measurement cannot replace it.
    listed.write_text(json.dumps(pairs), encoding="utf-8")
    # A script, not -c: its folder (host-only) goes first on sys.path, not the tree, so no
    # `json.py` in the tree stands in for the importer's own imports.
    importer = ctx.host_dir / "importer.py"
    importer.write_text(IMPORTER, encoding="utf-8")
    result = ctx.run_python([str(importer), str(out), str(listed)], timeout_s)
    if result.timed_out:
        return timeout_result(NAME, result)
    if result.exhausted:
        return error_result(NAME, result.exhausted, result.duration_s)
    try:
        text = read_result_text(ctx.scratch, OUT_NAME, "imports")
        errors = {str(k): printable(str(v)) for k, v in dict(json.loads(text or "")).items()}
    except UnsafeResult as exc:
        return containment_result(NAME, str(exc), result.duration_s)
    except (OSError, ValueError, TypeError):
        return error_result(NAME, f"the importer crashed: {result.tail()}", result.duration_s)
    importable = len(modules) - len(errors)
    return BenchResult(
        name=NAME,
        score=score_imports(importable, len(modules)),
        raw={"importable": importable, "total": len(modules), "errors": errors},
        duration_s=result.duration_s,
        detail=f"{importable} of {len(modules)} modules import",
    )
