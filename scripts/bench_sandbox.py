"""The sandbox's cost: `agent bench --no-cache` of this repository with and without it.

Robust to a loaded machine: runs are paired and interleaved (the order flips every round), each
is timed by wall clock and by the CPU time of its whole process tree (user + system of every
descendant the agent waited for, from wait4), and the figure is the median of the per-round
ratios, quoted with the load average seen during the runs.
"""

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


def bench(repo: Path, mode: str, config: Path) -> tuple[float, float, dict[str, Any]]:
    """Wall and tree CPU seconds and JSON of one uncached `agent bench`, tool caches removed."""
    shutil.rmtree(repo / ".agent" / "cache", ignore_errors=True)
    script = Path(sys.executable).parent / "agent"
    base = [str(script)] if script.exists() else [sys.executable, str(ROOT / "main.py")]
    cmd = [*base, "bench", "--repo", str(repo), "--json", "--no-cache", "--sandbox", mode]
    env = {**os.environ, "AGENT_BENCHMARKS__CONFIG": str(config)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=repo, stdout=out, stderr=err, env=env)
        # wait4's usage covers the agent and every descendant reaped below it.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"agent bench --sandbox {mode} failed: {stderr.strip()[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, json.loads(stdout)


def ratios(times: dict[str, list[float]], mode: str) -> list[float]:
    """The sandboxed / off ratio of each round."""
    return [box / off for off, box in zip(times["off"], times[mode], strict=True)]


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
        wall: dict[str, list[float]] = {"off": [], args.mode: []}
        cpu: dict[str, list[float]] = {"off": [], args.mode: []}
        loads: list[float] = []
        last: dict[str, dict[str, Any]] = {}
        for round_ in range(args.rounds):
            # Flipping the order cancels a load that rises or falls across the pair.
            order = ("off", args.mode) if round_ % 2 == 0 else (args.mode, "off")
            for mode in order:
                loads.append(os.getloadavg()[0])
                elapsed, used, suite = bench(repo, mode, config_file)
                loads.append(os.getloadavg()[0])
                wall[mode].append(elapsed)
                cpu[mode].append(used)
                last[mode] = suite
                print(f"{mode:>8}: {elapsed:7.1f}s wall {used:7.1f}s cpu", file=sys.stderr)
    a, b = counts(last["off"]), counts(last[args.mode])
    result = {
        "off_s": round(statistics.median(wall["off"]), 2),
        "sandboxed_s": round(statistics.median(wall[args.mode]), 2),
        "off_cpu_s": round(statistics.median(cpu["off"]), 2),
        "sandboxed_cpu_s": round(statistics.median(cpu[args.mode]), 2),
        "mechanism": (last[args.mode].get("sandbox") or {}).get("mechanism"),
        "wall_ratios": [round(r, 3) for r in ratios(wall, args.mode)],
        "cpu_ratios": [round(r, 3) for r in ratios(cpu, args.mode)],
        "ratio": round(statistics.median(ratios(wall, args.mode)), 3),
        "cpu_ratio": round(statistics.median(ratios(cpu, args.mode)), 3),
        "load_1min": {"min": min(loads), "median": statistics.median(loads), "max": max(loads)},
        "target": TARGET_RATIO,
        "counts_off": {k: a[k] for k in COUNTS},
        "counts_sandboxed": {k: b[k] for k in COUNTS},
        "differing_tests": differing(a, b),
        "totals": [last["off"]["total"], last[args.mode]["total"]],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
