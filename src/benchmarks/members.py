"""A workspace measured per member: each member's results combined into one per benchmark."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from self_improving_agent.base.safe_files import UnsafeResult, read_result
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.code_coverage import NAME as COVERAGE
from self_improving_agent.benchmarks.code_coverage import covered_text, score_coverage, summarize
from self_improving_agent.benchmarks.context import BenchContext, containment_result, error_result
from self_improving_agent.benchmarks.findings import relative
from self_improving_agent.benchmarks.pass_rate import NAME as PASS_RATE
from self_improving_agent.benchmarks.pass_rate import score_pass_rate
from self_improving_agent.benchmarks.pytest_run import COVERAGE_NAME
from self_improving_agent.benchmarks.sources import SourceTree
from self_improving_agent.benchmarks.tree_setup import with_env
from self_improving_agent.envs.model import Env, EnvError

COUNTS = ("passed", "failed", "errors", "skipped", "total")
# Statuses that say nothing about the member's code: a member without tests adds nothing.
MEASURED = ("ok",)


def _prefixed(member: str, path: str, root: Path) -> str:
    """A path a member's tool reported (relative to the member, or absolute) from the top."""
    return relative(path, root) if Path(path).is_absolute() else f"{member}/{path}"


def _evidence(per: Mapping[str, BenchResult], root: Path) -> list[dict[str, Any]]:
    """Every member's findings, their paths from the top of the repository."""
    found: list[dict[str, Any]] = []
    for member, result in per.items():
        for item in result.raw.get("evidence") or []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                found.append({**item, "path": _prefixed(member, item["path"], root)})
    return found


def _failure(name: str, per: Mapping[str, BenchResult]) -> BenchResult | None:
    """The first member whose measurement failed to run (error, timeout), named, or None."""
    for member, result in per.items():
        if result.status in ("error", "timeout"):
            detail = result.detail
            if not detail.startswith("the workspace member"):
                detail = f"workspace member {member}: {detail}"
            return result.model_copy(update={"name": name, "detail": detail})
    return None


def _pass_rate(per: Mapping[str, BenchResult], root: Path) -> BenchResult:
    """Test counts added over the members; node ids from the top of the repository."""
    counts = {key: sum(int(r.raw.get(key, 0)) for r in per.values()) for key in COUNTS}
    outcomes: dict[str, Any] = {}
    failures: dict[str, Any] = {}
    for member, result in per.items():
        outcomes.update({f"{member}/{k}": v for k, v in (result.raw.get("outcomes") or {}).items()})
        failures.update({f"{member}/{k}": v for k, v in (result.raw.get("failures") or {}).items()})
    raw = {**counts, "outcomes": outcomes, "failures": failures, "members": _shown(per)}
    ran = counts["total"] - counts["skipped"]
    duration = sum(r.duration_s for r in per.values())
    if ran <= 0:
        return BenchResult(
            name=PASS_RATE,
            score=0.0,
            status="failed",
            raw=raw,
            duration_s=duration,
            detail="no tests collected in any workspace member",
        )
    score = score_pass_rate(counts["passed"], counts["total"], counts["skipped"])
    detail = f"{counts['passed']} of {ran} tests passed in {len(per)} workspace members"
    return BenchResult(name=PASS_RATE, score=score, raw=raw, duration_s=duration, detail=detail)


def _merge_lines(into: dict[str, Any], entry: Mapping[str, Any]) -> None:
    """One member's lines and branches of a file added to the union kept for it."""
    for done, missed in (
        ("executed_lines", "missing_lines"),
        ("executed_branches", "missing_branches"),
    ):
        hit = {json.dumps(x) for x in into.get(done, [])} | {
            json.dumps(x) for x in entry.get(done, [])
        }
        miss = {json.dumps(x) for x in into.get(missed, [])} | {
            json.dumps(x) for x in entry.get(missed, [])
        }
        into[done] = [json.loads(x) for x in sorted(hit)]
        into[missed] = [json.loads(x) for x in sorted(miss - hit)]
    into.setdefault("functions", entry.get("functions") or {})


def union_report(reports: Mapping[str, Mapping[str, Any]], root: Path) -> dict[str, Any]:
    """coverage.py JSON reports of several members as one: the union of their lines per file."""
    files: dict[str, dict[str, Any]] = {}
    for member, report in reports.items():
        for path, entry in (report.get("files") or {}).items():
            _merge_lines(files.setdefault(_prefixed(member, path, root), {}), entry)
    totals = {
        "covered_lines": sum(len(f["executed_lines"]) for f in files.values()),
        "num_statements": sum(
            len(f["executed_lines"]) + len(f["missing_lines"]) for f in files.values()
        ),
        "covered_branches": sum(len(f["executed_branches"]) for f in files.values()),
        "num_branches": sum(
            len(f["executed_branches"]) + len(f["missing_branches"]) for f in files.values()
        ),
    }
    return {"totals": totals, "files": files}


def _coverage(
    per: Mapping[str, BenchResult], scratch: Mapping[str, Path], root: Path
) -> BenchResult:
    """Coverage over the union of the members' lines, each member under its own configuration."""
    reports: dict[str, Any] = {}
    duration = sum(r.duration_s for r in per.values())
    try:
        for member, result in per.items():
            data = (
                read_result(scratch[member], COVERAGE_NAME, "coverage")
                if result.status in MEASURED
                else None
            )
            if data is not None:
                reports[member] = json.loads(data)
        raw = summarize(union_report(reports, root))
    except UnsafeResult as exc:
        return containment_result(COVERAGE, str(exc), duration)
    except (OSError, ValueError, ValidationError, KeyError, TypeError) as exc:
        return error_result(COVERAGE, f"unreadable coverage report: {exc}", duration)
    raw["members"] = _shown(per)
    raw["config"] = "; ".join(f"{m}: {r.raw.get('config', '')}" for m, r in per.items())
    if raw["statements"] == 0:
        return BenchResult(
            name=COVERAGE,
            score=0.0,
            status="failed",
            raw=raw,
            duration_s=duration,
            detail="no statements measured in any workspace member",
        )
    detail = (
        f"{covered_text(raw)} covered over {len(per)} workspace "
        "members, each with its own coverage configuration"
    )
    return BenchResult(
        name=COVERAGE,
        score=score_coverage(raw["percent"]),
        raw=raw,
        duration_s=duration,
        detail=detail,
    )


def _shown(per: Mapping[str, BenchResult]) -> dict[str, dict[str, Any]]:
    """Each member's own status, score and detail, for whoever reads a combined figure."""
    return {m: {"status": r.status, "score": r.score, "detail": r.detail} for m, r in per.items()}


def _weighted(
    name: str, per: Mapping[str, BenchResult], sizes: Mapping[str, int], root: Path
) -> BenchResult:
    """A per-project benchmark over members: scores weighted by each member's lines of code."""
    measured = {m: r for m, r in per.items() if r.status in MEASURED}
    duration = sum(r.duration_s for r in per.values())
    raw: dict[str, Any] = {"members": _shown(per), "evidence": _evidence(per, root)}
    for result in measured.values():
        for key, value in result.raw.items():
            # Whole numbers are counts (errors, violations, files), which add up over members.
            if isinstance(value, int) and not isinstance(value, bool):
                raw[key] = raw.get(key, 0) + value
    if not measured:
        first = next(iter(per.values()))
        return first.model_copy(update={"raw": raw, "duration_s": duration})
    mass = sum(max(sizes.get(m, 0), 1) for m in measured)
    score = sum(max(sizes.get(m, 0), 1) * r.score for m, r in measured.items()) / mass
    parts = ", ".join(f"{m} {r.score:.3f} ({sizes.get(m, 0)} lines)" for m, r in measured.items())
    detail = f"weighted by size over the workspace members: {parts}"
    return BenchResult(
        name=name,
        score=score,
        raw=raw,
        duration_s=duration,
        detail=detail,
        custom=first_custom(per),
    )


def first_custom(per: Mapping[str, BenchResult]) -> bool:
    """Whether the members' results are a user's evaluator."""
    return any(r.custom for r in per.values())


def combine(
    name: str,
    per: Mapping[str, BenchResult],
    sizes: Mapping[str, int],
    scratch: Mapping[str, Path],
    root: Path,
) -> BenchResult:
    """One benchmark's result for the whole workspace from each member's own."""
    failed = _failure(name, per)
    if failed is not None:
        return failed
    if name == PASS_RATE:
        return _pass_rate(per, root)
    if name == COVERAGE:
        return _coverage(per, scratch, root)
    return _weighted(name, per, sizes, root)


def member_context(
    base: BenchContext, repo: Path, member: str, env: Env | EnvError | None, folder: Path
) -> BenchContext:
    """The context of one member: its folder of the copy, its files, scratch and overlay."""
    scratch, host, cache = folder / "box", folder / "host", base.cache_dir / folder.name
    for made in (scratch, host, cache):
        made.mkdir(parents=True, exist_ok=True)
    root = base.repo / member
    files = [f[len(member) + 1 :] for f in base.tree.files if f.startswith(f"{member}/")]
    ctx = replace(
        base,
        repo=root,
        tree=SourceTree.scan(root, files),
        scratch=scratch,
        host_dir=host,
        cache_dir=cache,
        copy_root=base.repo,
    )
    if isinstance(env, EnvError):
        return replace(ctx, env_error=str(env))
    if env is None:
        return ctx
    return with_env(ctx, env, repo, base.repo, member)


def measure_members(
    ctx: BenchContext,
    repo: Path,
    members: Mapping[str, Env | EnvError | None],
    names: list[str],
    run: Callable[[BenchContext], dict[str, BenchResult]],
) -> list[BenchResult]:
    """Each member measured as its own project in its own environment, then combined by name."""
    per: dict[str, dict[str, BenchResult]] = {}
    sizes: dict[str, int] = {}
    scratch: dict[str, Path] = {}
    for index, (member, env) in enumerate(members.items()):
        # Members' folders sit next to the tree's scratch, inside the measurement's temp folder.
        mctx = member_context(ctx, repo, member, env, ctx.scratch.parent / f"member-{index}")
        per[member] = run(mctx)
        sizes[member] = mctx.tree.lines(mctx.tree.source)
        scratch[member] = mctx.scratch
    return [
        combine(
            name, {member: found[name] for member, found in per.items()}, sizes, scratch, ctx.repo
        )
        for name in names
    ]
