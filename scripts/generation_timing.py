"""Time scripted generations (mock provider) against one cold full `agent bench` of the same tree.

A real project (default: sqlparse under $AGENT_REAL_PROJECTS) is copied to a temp dir. Main is
measured once with the test-impact map on (untimed: the measurement a loop's plan phase makes),
then one cold full bench without per-test contexts is timed, then three generations run, each
leaving main as it was: a change that breaks tests, a neutral one and an improving one. Each
line gives the generation's phases and total in seconds and as a share of the cold bench; the
load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import time
from datetime import datetime
from pathlib import Path

from self_improving_agent.base.config import BenchmarksSection, Settings
from self_improving_agent.base.models import Build, Change, Plan, Review
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.core.generation import RunOptions, run_generation
from self_improving_agent.core.session import open_deps
from self_improving_agent.providers.mock import MockProvider

FILE = "sqlparse/cli.py"
CHANGES = {
    "breaks": ("    s = sqlparse.format(data, **formatter_opts)", ".upper()"),
    "neutral": ("    # Format the SQL", " as the options say"),
    "improves": ("def main(args=None):", '\n    """Run the command line."""'),
}


def script(kind: str) -> dict[str, object]:
    """The mock provider's replies for one generation of the given kind."""
    anchor, tail = CHANGES[kind]
    change = Change(file=FILE, op="replace", anchor=anchor, content=anchor + tail)
    plan = Plan(title=f"A {kind} change", files_to_modify=[FILE], rationale="timing")
    review = Review(approved=True, score=0.9, findings=["fine"])
    return {
        # A plan like a rejected one is asked for once more: the same plan twice.
        "architect": [plan.model_dump_json()] * 2,
        "builder": [Build(changes=[change], summary="done").model_dump_json()],
        "reviewer": [review.model_dump_json()],
        "delay_s": 0,
    }


def phases(repo: Path, generation: int) -> dict[str, float]:
    """Seconds per phase of one generation, from the store's phase records."""
    db = sqlite3.connect(repo / ".agent" / "agent.db")
    rows = db.execute(
        "SELECT phase, started_at, finished_at FROM phases WHERE generation = ?", (generation,)
    ).fetchall()
    db.close()
    spans = {}
    for phase, start, end in rows:
        if end:
            spans[phase] = (
                datetime.fromisoformat(end) - datetime.fromisoformat(start)
            ).total_seconds()
    return spans


def main() -> None:
    """Measure and print the table."""
    default = Path(os.environ.get("AGENT_REAL_PROJECTS", "/work/realprojects")) / "sqlparse"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=default)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="generation-timing-") as tmp:
        repo = Path(tmp) / "project"
        shutil.copytree(args.project, repo, symlinks=True)
        mapped = MeasureSections(benchmarks=BenchmarksSection(test_impact=True))
        with Store.for_repo(repo) as store:
            run_benchmarks(repo, mapped, store=store, use_cache=False)
        start = time.perf_counter()
        run_benchmarks(repo, MeasureSections(), use_cache=False)
        cold = time.perf_counter() - start
        print(f"cold full bench, no contexts: {cold:.1f}s")
        settings = Settings(benchmarks=BenchmarksSection(test_impact=True))
        for kind in CHANGES:
            path = Path(tmp) / f"{kind}.json"
            path.write_text(json.dumps(script(kind)), encoding="utf-8")
            model = settings.agent.model
            spec = settings.providers.models.get(model)
            provider = MockProvider(
                settings.providers.mock, model, spec, environ={"AGENT_MOCK_SCRIPT": str(path)}
            )
            start = time.perf_counter()
            with Store.for_repo(repo) as store:
                deps = open_deps(repo, settings, store, lambda _line: None, provider)
                outcome = run_generation(deps, RunOptions(auto_merge=False))
            total = time.perf_counter() - start
            spans = " ".join(f"{k}={v:.1f}" for k, v in phases(repo, outcome.generation).items())
            print(
                f"{kind:9} {outcome.status:9} total={total:.1f}s ({total / cold:.2f}x) {spans}"
                f" | {outcome.reason[:90]}"
            )
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
