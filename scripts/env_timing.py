"""Per project: cold uv environment build vs `python -m venv` + `pip install` of the same
requirements, the by-hand passed count, the agent's count, a cached second bench, a broken
package, and git status before and after. One JSON line per project, then a table."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a plain script, so the agent's package is found from the checkout it belongs to.
sys.path.insert(0, str(ROOT))

from self_improving_agent.base.config import BenchmarksSection  # noqa: E402
from self_improving_agent.base.store import Store  # noqa: E402
from self_improving_agent.benchmarks.context import MeasureSections  # noqa: E402
from self_improving_agent.benchmarks.runner import run_benchmarks  # noqa: E402
from self_improving_agent.envs.archive import extract_data  # noqa: E402
from self_improving_agent.envs.build import install_args, scm_version  # noqa: E402
from self_improving_agent.envs.resolve import built_env, committed_declarations  # noqa: E402

_PASSED = re.compile(r"(\d+) passed")
ONLY = ["test_pass_rate", "import_check"]


def sh(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall time and combined output of a command that must succeed."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-800:]}")
    return time.perf_counter() - start, done.stdout + done.stderr


def status(repo: Path) -> str:
    """git status, untracked files included (the agent's own .agent/ is git-excluded)."""
    return sh(["git", "status", "--porcelain", "--untracked-files=all"], repo)[1]


def package_init(repo: Path) -> Path:
    """The project's package __init__.py (or its single module)."""
    name = repo.name.replace("-", "_")
    for path in (repo / "src" / name / "__init__.py", repo / name / "__init__.py"):
        if path.is_file():
            return path
    return repo / f"{name}.py"


def pip_by_hand(repo: Path, work: Path) -> tuple[float, int]:
    """Seconds for venv + pip install of the same requirements; passed count of pytest there."""
    tree = work / "pip-tree"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=repo, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
        extract_data(tar, tree)
    decl = committed_declarations(repo, "HEAD")
    env = {**os.environ, **scm_version(repo, "HEAD"), "PIP_NO_CACHE_DIR": "1"}
    start = time.perf_counter()
    sh([sys.executable, "-m", "venv", str(work / "venv")], tree, env)
    pip = [str(work / "venv/bin/python"), "-m", "pip", "install", "-q"]
    sh([*pip, *install_args(decl, tree)], tree, env)
    seconds = time.perf_counter() - start
    clone = work / "pip-clone"
    sh(["git", "clone", "-q", str(repo), str(clone)], work)
    _, out = sh(
        [str(work / "venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], clone
    )
    found = _PASSED.findall(out)
    return seconds, int(found[-1]) if found else 0


def settings(timeout_s: float, work: Path) -> MeasureSections:
    """No config in the project; only the timeouts, from a file outside its tree."""
    config = work / "benchmarks.json"
    config.write_text(json.dumps({"timeouts": {"default": timeout_s}}), encoding="utf-8")
    return MeasureSections(benchmarks=BenchmarksSection(config=str(config)))


def passed(
    repo: Path, store: Store | None, config: MeasureSections, use_cache: bool = True
) -> tuple[float, int, bool]:
    """Seconds, passed count and cache hit of one bench."""
    start = time.perf_counter()
    suite = run_benchmarks(repo, config, only=ONLY, store=store, use_cache=use_cache)
    seconds = time.perf_counter() - start
    tests = next(r for r in suite.results if r.name == "test_pass_rate")
    return seconds, int(tests.raw.get("passed", 0)), suite.cached


def measure(project: Path, timeout_s: float) -> dict[str, object]:
    """Every figure of one project."""
    with tempfile.TemporaryDirectory(prefix="env-timing-") as tmp:
        work = Path(tmp)
        config = settings(timeout_s, work)
        repo = work / project.name
        sh(["git", "clone", "-q", str(project), str(repo)], work)
        os.environ["XDG_CACHE_HOME"] = str(work / "xdg")
        os.environ["UV_CACHE_DIR"] = str(work / "uv-cache")  # cold: nothing downloaded yet
        start = time.perf_counter()
        env = built_env(repo, "HEAD", None, rebuild=True)
        uv_s = time.perf_counter() - start
        pip_s, by_hand = pip_by_hand(repo, work)
        before = status(repo)
        with Store.for_repo(repo) as store:
            _, agent, _ = passed(repo, store, config)
            warm_s, warm, cached = passed(repo, store, config)
        unchanged = status(repo) == before
        init = package_init(repo)
        init.write_text(
            init.read_text(encoding="utf-8") + "\nraise ImportError\n", encoding="utf-8"
        )
        _, broken, _ = passed(repo, None, config, use_cache=False)
        return {
            "project": project.name,
            "commit": sh(["git", "rev-parse", "HEAD"], repo)[1].strip(),
            "declarations": env.source,
            "uv_cold_s": round(uv_s, 1),
            "pip_cold_s": round(pip_s, 1),
            "ratio": round(uv_s / pip_s, 2),
            "by_hand_passed": by_hand,
            "agent_passed": agent,
            "cached_second_bench_s": round(warm_s, 3),
            "cached": cached and warm == agent,
            "git_status_unchanged": unchanged,
            "broken_passed": broken,
        }


def main() -> None:
    """Measure every project given and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("projects", nargs="+", type=Path, help="git checkouts of real projects")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark")
    args = parser.parse_args()
    rows = []
    for project in args.projects:
        row = measure(project.resolve(), args.timeout)
        print(json.dumps(row), flush=True)
        rows.append(row)
    keys = ["project", "uv_cold_s", "pip_cold_s", "ratio", "by_hand_passed", "agent_passed"]
    keys += ["cached_second_bench_s", "git_status_unchanged", "broken_passed"]
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))


if __name__ == "__main__":
    main()
