"""The sandbox's cost: `agent bench --no-cache` of this repository with and without it."""

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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.05
COUNTS = ("passed", "failed", "skipped", "total")


def bench(repo: Path, mode: str, config: Path) -> tuple[float, dict[str, Any]]:
    """Wall time and JSON of one uncached `agent bench` under mode, tool caches removed first."""
    shutil.rmtree(repo / ".agent" / "cache", ignore_errors=True)
    script = Path(sys.executable).parent / "agent"
    base = [str(script)] if script.exists() else [sys.executable, str(ROOT / "main.py")]
    cmd = [*base, "bench", "--repo", str(repo), "--json", "--no-cache", "--sandbox", mode]
    env = {**os.environ, "AGENT_BENCHMARKS__CONFIG": str(config)}
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"agent bench --sandbox {mode} failed: {done.stderr.strip()[-500:]}")
    return elapsed, json.loads(done.stdout)


def counts(suite: dict[str, Any]) -> dict[str, Any]:
    """The test counts and per-test outcomes of a bench JSON."""
    raw = next(b["raw"] for b in suite["benchmarks"] if b["name"] == "test_pass_rate")
    return {key: raw.get(key) for key in (*COUNTS, "outcomes")}


def differing(off: dict[str, Any], box: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Tests whose outcome differs between the two runs."""
    a, b = off.get("outcomes") or {}, box.get("outcomes") or {}
    return {
        t: (a.get(t, "-"), b.get(t, "-")) for t in sorted(set(a) | set(b)) if a.get(t) != b.get(t)
    }


def main() -> None:
    """Alternate off and sandboxed runs on a fresh clone, print times, ratio and counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1, help="Pairs of runs (default 1).")
    parser.add_argument("--mode", default="auto", help="The sandbox to compare with off.")
    parser.add_argument("--timeout", type=int, default=1800, help="Test-run timeout in seconds.")
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="The git repository to measure (default: this one)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        repo = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", str(args.repo), str(repo)], check=True)
        own = repo / "config" / "benchmarks.json"
        config = json.loads(own.read_text(encoding="utf-8")) if own.is_file() else {}
        config["timeouts"] = {**config.get("timeouts", {}), "test_pass_rate": args.timeout}
        config["timeouts"]["code_coverage"] = args.timeout
        # The test run of this repository needs more than 300 s on a busy machine.
        config_file = Path(tmp) / "benchmarks.json"
        config_file.write_text(json.dumps(config), encoding="utf-8")
        times: dict[str, list[float]] = {"off": [], args.mode: []}
        last: dict[str, dict[str, Any]] = {}
        for _ in range(args.rounds):
            for mode in ("off", args.mode):
                elapsed, suite = bench(repo, mode, config_file)
                times[mode].append(elapsed)
                last[mode] = suite
                print(f"{mode:>8}: {elapsed:7.1f}s", file=sys.stderr)
    off, box = statistics.median(times["off"]), statistics.median(times[args.mode])
    a, b = counts(last["off"]), counts(last[args.mode])
    result = {
        "off_s": round(off, 2),
        "sandboxed_s": round(box, 2),
        "mechanism": (last[args.mode].get("sandbox") or {}).get("mechanism"),
        "ratio": round(box / off, 3),
        "target": TARGET_RATIO,
        "counts_off": {k: a[k] for k in COUNTS},
        "counts_sandboxed": {k: b[k] for k in COUNTS},
        "differing_tests": differing(a, b),
        "totals": [last["off"]["total"], last[args.mode]["total"]],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
