"""The cost of the mind's process: one cached mock generation, this checkout against a baseline.

Usage: python scripts/mind_timing.py [--baseline REV] [--runs N]

Both checkouts run `main.py run --dry-run --provider mock` on the same small repository, whose
measurements are cached by a warm-up run of each, so what differs is the generation's own work:
this checkout starts the mind as a contained process and talks to it over a pipe; the baseline
(main by default, the mind in-process) does not. Runs alternate (AB, BA, ...) so drift in the
machine's load falls on both. Prints each pair, the medians, their ratio and the load average.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from self_improving_agent.envs.archive import extract_data

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.1
FILES = {
    "pkg/__init__.py": '"""Sample package."""\n',
    "pkg/calc.py": (
        '"""Math."""\n\n\ndef add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n'
    ),
    "tests/__init__.py": "",
    "tests/test_calc.py": (
        '"""Tests."""\n\nfrom pkg.calc import add\n\n\ndef test_add() -> None:\n'
        '    """Adds."""\n    assert add(1, 2) == 3\n'
    ),
}


def git(cwd: Path, *args: str) -> bytes:
    """Run git in cwd and return its output; fail loudly."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def export(rev: str, into: Path) -> Path:
    """The committed tree of rev in this repository, unpacked into a folder."""
    data = git(ROOT, "archive", "--format=tar", rev)
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        extract_data(tar, into)
    return into


def target(path: Path) -> Path:
    """A small git repository on main to run generations on."""
    for rel, text in FILES.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text, encoding="utf-8")
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "init")
    return path


def generation(checkout: Path, repo: Path) -> float:
    """Wall seconds of one dry-run mock generation by checkout's agent on repo."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    argv = [sys.executable, str(checkout / "main.py"), "run", "--dry-run", "--provider", "mock"]
    started = time.perf_counter()
    done = subprocess.run([*argv, "--repo", str(repo)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{checkout.name}: exit {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed


def main() -> None:
    """Warm both, then time alternating pairs and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="the revision to compare against")
    parser.add_argument("--runs", type=int, default=7, help="pairs of runs (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mind-timing-") as scratch:
        base = export(args.baseline, Path(scratch) / "baseline")
        repo = target(Path(scratch) / "repo")
        load_before = os.getloadavg()
        for checkout in (base, ROOT):
            generation(checkout, repo)
        pairs: list[tuple[float, float]] = []
        for i in range(args.runs):
            order = (base, ROOT) if i % 2 == 0 else (ROOT, base)
            times = {c: generation(c, repo) for c in order}
            pairs.append((times[base], times[ROOT]))
            print(f"pair {i + 1}: baseline {times[base]:.2f} s, mind process {times[ROOT]:.2f} s")
        load_after = os.getloadavg()
    before = statistics.median(p[0] for p in pairs)
    after = statistics.median(p[1] for p in pairs)
    paired = statistics.median(p[1] / p[0] for p in pairs)
    print(f"median: baseline ({args.baseline}) {before:.2f} s, mind process {after:.2f} s")
    print(f"ratio of medians {after / before:.3f}, median of paired ratios {paired:.3f}")
    print(f"target <= {TARGET}: {'met' if after / before <= TARGET else 'NOT met'}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
