"""Time `agent --version`, `agent --help` and a warm `agent bench` against a minimal Typer app.

The minimal app (two commands and a --version flag) is written to a temp dir and run by the same
interpreter. Runs are paired and interleaved, the order flipped each round, so load spreads over
both sides; each line reports the medians and their ratio, and the load average is printed
before and after; the CPU seconds (user + system) of the same runs are printed too, as they
move less with the machine's load. Bytecode is cached as an installed package has it (pip
compiles on install), in a temp dir: PYTHONDONTWRITEBYTECODE would make every run compile.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINIMAL_APP = '''"""A minimal Typer app: two commands and a version."""

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None)


def _version(value: bool) -> None:
    if value:
        typer.echo("minimal 1.0")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """A minimal app."""


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


@app.command()
def bye() -> None:
    """Say goodbye."""
    typer.echo("bye")


if __name__ == "__main__":
    app()
'''


SAMPLE = {
    "pyproject.toml": '[project]\nname = "sample"\nversion = "0.1"\n',
    "pkg/__init__.py": '"""A sample package."""\n',
    "pkg/calc.py": (
        '"""Sums."""\n\n\ndef add(a: int, b: int) -> int:\n    """a + b."""\n    return a + b\n'
    ),
    "tests/__init__.py": "",
    "tests/test_calc.py": (
        "from pkg.calc import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n"
    ),
}


def sample_repo(path: Path) -> Path:
    """A small committed project to bench: the cold run that warms its cache stays short."""
    for rel, text in SAMPLE.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text, encoding="utf-8")
    who = ["-c", "user.name=timing", "-c", "user.email=timing@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*who, "commit", "-q", "-m", "s"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    return path


def agent_base() -> list[str]:
    """The installed `agent` script beside this interpreter, else main.py of this checkout."""
    script = Path(sys.executable).parent / "agent"
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "main.py")]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run; a failing run stops the measurement."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def paired(
    a: list[str], b: list[str], runs: int, cwd: Path, env: dict[str, str]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, CPU) seconds of a and of b, run in pairs whose order flips every round,
    after a first untimed run of each that writes their bytecode."""
    timed(a, cwd, env)
    timed(b, cwd, env)
    first: list[tuple[float, float]] = []
    second: list[tuple[float, float]] = []
    for i in range(runs):
        if i % 2:
            second.append(timed(b, cwd, env))
            first.append(timed(a, cwd, env))
        else:
            first.append(timed(a, cwd, env))
            second.append(timed(b, cwd, env))
    return median(first), median(second)


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall time and the median CPU time."""
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def load() -> str:
    """The 1, 5 and 15 minute load averages and the core count."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> int:
    """Print one line per measured command: medians and the ratio to the minimal app."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="pairs per command (at least 7)")
    parser.add_argument("--no-bench", action="store_true", help="skip the warm `agent bench`")
    parser.add_argument(
        "--bench-repo", type=Path, help="bench this repository in place (default: a sample)"
    )
    args = parser.parse_args()
    runs = max(args.runs, 7)
    print(load())
    with tempfile.TemporaryDirectory(prefix="start-timing-") as tmp:
        app = Path(tmp) / "minimal_app.py"
        app.write_text(MINIMAL_APP, encoding="utf-8")
        minimal = [sys.executable, str(app)]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        cases: list[tuple[str, list[str], list[str], float]] = [
            ("--version", [*minimal, "--version"], [*agent_base(), "--version"], 1.5),
            ("--help", [*minimal, "--help"], [*agent_base(), "--help"], 1.5),
        ]
        if not args.no_bench:
            repo = args.bench_repo or sample_repo(Path(tmp) / "repo")
            # Measured once untimed, so every timed run is answered from the cache.
            bench = [*agent_base(), "bench", "--repo", str(repo.resolve())]
            subprocess.run(bench, cwd=repo, env=env, capture_output=True, check=False)
            cases.append(("bench (warm)", [*minimal, "--version"], bench, 2.0))
        worst = 0.0
        for label, base, agent, bound in cases:
            (base_s, base_cpu), (agent_s, agent_cpu) = paired(base, agent, runs, ROOT, env)
            ratio = agent_s / base_s
            worst = max(worst, ratio / bound)
            print(
                f"agent {label:<13} {agent_s:6.3f} s  minimal app {base_s:6.3f} s  "
                f"ratio {ratio:4.2f}x (bound {bound}x, median of {runs} paired runs); "
                f"CPU {agent_cpu:5.3f} s / {base_cpu:5.3f} s = {agent_cpu / base_cpu:4.2f}x"
            )
    print(load())
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
