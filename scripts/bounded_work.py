"""Seconds and peak agent memory of a generation on a huge-file repository and on a 1 MB reply."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_SECONDS = 60.0
LIMIT_RSS_MB = 1024.0
SMALL_FILES = {
    "README.md": "# sample\n",
    "pkg/__init__.py": '"""Sample package."""\n',
    "pkg/calc.py": '"""Math."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n',
    "tests/__init__.py": "",
    "tests/test_calc.py": (
        '"""Tests."""\n\nfrom pkg.calc import add\n\n\n'
        "def test_add() -> None:\n    assert add(1, 2) == 3\n"
    ),
}


def agent_command() -> list[str]:
    """The installed `agent` script next to this interpreter, else main.py."""
    script = Path(sys.executable).parent / "agent"
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "main.py")]


def git(repo: Path, *args: str) -> None:
    """A quiet git command in repo."""
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(path: Path, write_more: Callable[[Path], None]) -> Path:
    """A committed sample repository on main, plus whatever write_more adds."""
    for rel, text in SMALL_FILES.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text, encoding="utf-8")
    write_more(path)
    git(path, "init", "-q", "-b", "main")
    git(path, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return path


def huge_files(repo: Path) -> None:
    """A 50 MB data file and a 45 MB Python module."""
    line = b"0123456789abcdef" * 4 + b"\n"
    with (repo / "data.txt").open("wb") as out:
        for _ in range(50 * 1024 * 1024 // len(line)):
            out.write(line)
    with (repo / "pkg" / "big.py").open("w", encoding="utf-8") as out:
        n = 0
        while out.tell() < 45 * 1024 * 1024:
            out.write(f"value_{n} = {n}\n")
            n += 1


def long_module(repo: Path) -> None:
    """A 3,000-line module the 1 MB reply replaces."""
    body = "".join(f"def f{i}() -> int:\n    return {i}\n\n\n" for i in range(750))
    (repo / "pkg" / "long.py").write_text('"""Many functions."""\n\n\n' + body, encoding="utf-8")


def mock_script(path: Path, rel: str, content: str) -> Path:
    """Mock replies whose Builder writes content to rel and whose Reviewer approves."""
    sys.path.insert(0, str(ROOT))
    from self_improving_agent.base.models import Build, Change, Plan, Review

    plan = Plan(title=f"Write {rel}", files_to_modify=[rel], rationale="measure")
    build = Build(changes=[Change(file=rel, content=content)], summary="done")
    review = Review(approved=True, score=0.9, findings=["ok"])
    script = {
        "architect": [plan.model_dump_json()],
        "builder": [build.model_dump_json()] * 2,
        "reviewer": [review.model_dump_json()],
        "delay_s": 0,
    }
    path.write_text(json.dumps(script), encoding="utf-8")
    return path


def peak_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM) in kB, 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure(name: str, repo: Path, args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run one generation; wall seconds, the agent's own peak RSS and its tree's (wait4)."""
    cmd = [*agent_command(), "run", "--repo", str(repo), "--dry-run", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    own = 0
    while True:
        own = max(own, peak_kb(proc.pid))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    output = proc.stdout.read().decode("utf-8", errors="replace") if proc.stdout else ""
    return {
        "case": name,
        "exit": os.waitstatus_to_exitcode(status),
        "seconds": round(seconds, 1),
        "agent_peak_rss_mb": round(own / 1024, 1),
        "tree_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "output": output.strip().splitlines()[-3:],
    }


def main() -> int:
    """Measure each case in a temp folder; exit 1 when one is over the limits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=["huge-file", "big-reply"], action="append")
    parser.add_argument("--max-seconds", type=float, default=LIMIT_SECONDS)
    parsed = parser.parse_args()
    cases, max_seconds = parsed.case or ["huge-file", "big-reply"], parsed.max_seconds
    env = dict(os.environ)
    results = []
    with tempfile.TemporaryDirectory(prefix="bounded-work-") as tmp:
        if "huge-file" in cases:
            repo = make_repo(Path(tmp) / "huge", huge_files)
            sub = '"""Subtraction."""\n\n\ndef sub(a: int, b: int) -> int:\n    return a - b\n'
            script = mock_script(Path(tmp) / "huge-script.json", "pkg/sub.py", sub)
            run_env = {**env, "AGENT_MOCK_SCRIPT": str(script)}
            for provider in ("offline", "mock"):
                found = measure(f"huge-file/{provider}", repo, ["--provider", provider], run_env)
                results.append(found)
        if "big-reply" in cases:
            repo = make_repo(Path(tmp) / "reply", long_module)
            blank = "\n" * 1024 * 1024
            script = mock_script(Path(tmp) / "reply-script.json", "pkg/long.py", blank)
            run_env = {**env, "AGENT_MOCK_SCRIPT": str(script)}
            results.append(measure("big-reply/mock", repo, ["--provider", "mock"], run_env))
    over = False
    for found in results:
        print(json.dumps(found))
        secs, rss = float(str(found["seconds"])), float(str(found["agent_peak_rss_mb"]))
        over |= secs >= max_seconds or rss >= LIMIT_RSS_MB
    print(f"limits: < {max_seconds:.0f} s and < {LIMIT_RSS_MB:.0f} MB agent RSS per generation")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
