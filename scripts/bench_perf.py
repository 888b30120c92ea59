"""Time a cold `agent bench --no-cache`, the same tools run one after another, and a warm run."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a plain script, so the agent's package is found from the checkout it belongs to.
sys.path.insert(0, str(ROOT))


def agent_command(repo: Path) -> list[str]:
    """`agent bench` for repo, through the installed script when there is one."""
    script = Path(sys.executable).parent / "agent"
    base = [str(script)] if script.exists() else [sys.executable, str(ROOT / "main.py")]
    return [*base, "bench", "--repo", str(repo), "--json"]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Wall time and stdout of one command."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.stdout


def sequential(repo: Path) -> dict[str, float]:
    """The benchmarks' tools by hand, one after another, with fresh caches in a temp dir."""
    from self_improving_agent.base.secrets import scrub_env
    from self_improving_agent.benchmarks.pytest_run import coverage_rc
    from self_improving_agent.benchmarks.sources import SourceTree

    py = sys.executable
    files = SourceTree.scan(repo).source
    with tempfile.TemporaryDirectory(prefix="bench-perf-") as tmp:
        env = {
            **scrub_env(os.environ),
            "PYTHONDONTWRITEBYTECODE": "1",
            "COVERAGE_FILE": f"{tmp}/.coverage",
        }
        # The same coverage settings as the benchmark, so both runs do the same work.
        rc = Path(tmp) / "coveragerc"
        rc.write_text(coverage_rc(repo, Path(tmp) / ".coverage"), encoding="utf-8")
        steps = {
            "pytest+cov+junit": [
                py,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                f"--junitxml={tmp}/junit.xml",
                f"--cov={repo}",
                f"--cov-config={rc}",
                f"--cov-report=json:{tmp}/coverage.json",
            ],
            "mypy": [py, "-m", "mypy", "--cache-dir", f"{tmp}/mypy", *files],
            "ruff": [py, "-m", "ruff", "check", "--cache-dir", f"{tmp}/ruff", "."],
            "radon cc": [py, "-m", "radon", "cc", "-a", "-s", *files],
            "radon mi": [py, "-m", "radon", "mi", "-s", *files],
        }
        return {name: timed(cmd, repo, env)[0] for name, cmd in steps.items()}


def main() -> int:
    """Measure and print the two ratios the benchmarks issue sets targets for."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=Path, default=ROOT, help="repository to measure")
    parser.add_argument("--warm-runs", type=int, default=5, help="warm runs to take the median of")
    args = parser.parse_args()
    repo = args.repo.resolve()
    env = dict(os.environ)
    cmd = agent_command(repo)

    steps = sequential(repo)
    seq_total = sum(steps.values())
    # Cold means no tool cache either: mypy's and ruff's caches live under .agent/cache.
    shutil.rmtree(repo / ".agent" / "cache", ignore_errors=True)
    cold, _ = timed([*cmd, "--no-cache"], repo, env)
    warm_times: list[float] = []
    for _ in range(args.warm_runs):
        seconds, out = timed(cmd, repo, env)
        if not json.loads(out or "{}").get("cached"):
            # Someone edited the tree: this run measured afresh and says nothing about warm.
            print("note: a warm run missed the cache because the tree changed; stopped early")
            break
        warm_times.append(seconds)

    for name, seconds in steps.items():
        print(f"  sequential {name:<18} {seconds:7.2f} s")
    print(f"sequential tools total         {seq_total:7.2f} s")
    ratio = cold / seq_total
    print(f"cold agent bench --no-cache    {cold:7.2f} s   ratio {ratio:.2f}x (target <= 0.8x)")
    if warm_times:
        warm = statistics.median(warm_times)
        print(f"warm agent bench (median of {len(warm_times)}) {warm:7.3f} s   (target < 0.3 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
