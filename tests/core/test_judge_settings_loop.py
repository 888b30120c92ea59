"""The judge's settings come from main's commit for the whole run: a generation's change waits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.models import Change
from tests.conftest import git
from tests.loop_kit import build, plan, review, sample_repo, write_script

ROOT = Path(__file__).resolve().parents[2]
MUL = '"""Products."""\n\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n'
DOCUMENTED = MUL.replace("    return", '    """Multiply a by b."""\n    return')
# An undocumented function: doc coverage falls, so the total falls a little.
WORSE = '"""Extras."""\n\n\ndef one() -> int:\n    return 1\n\n\ndef two() -> int:\n    return 2\n'
SCORE = 'import json\n\nprint(json.dumps({"score": %s}))\n'
BENCH = {
    "enabled": ["test_pass_rate", "doc_coverage"],
    "timeouts": {"default": 120},
    "weights": {},
    "custom": [
        {"name": "quality", "command": ["python", "eval/score.py"], "score": {"json": "score"}}
    ],
}
CONFIG = f"""[agent]
provider = "mock"
auto_merge = true
benchmark_threshold = 0.0

[benchmarks]
python = "{sys.executable}"
flaky_reruns = 0

[safety]
require_tests = true
"""
LOOSE = (
    CONFIG.replace("benchmark_threshold = 0.0", "benchmark_threshold = -1.0").replace(
        "require_tests = true", "require_tests = false"
    )
    + '\n[providers.anthropic]\nbase_url = "http://127.0.0.1:9"\n'
)


def agent(repo: Path, tmp_path: Path, script: dict[str, Any] | None, *args: str) -> Any:
    """This checkout's `agent ARGS` on repo, in a process of its own, as a person would start it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "ANTHROPIC_"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if script is not None:
        env["AGENT_MOCK_SCRIPT"] = str(write_script(tmp_path / "script.json", script))
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args, "--repo", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def report(repo: Path, number: int) -> dict[str, Any]:
    """reports/gen-N.json."""
    data: dict[str, Any] = json.loads((repo / f"reports/gen-{number}.json").read_text("utf-8"))
    return data


def score_of(data: dict[str, Any], name: str) -> float:
    """The candidate's score of one benchmark in a report."""
    found: float = data["benchmarks"][name]["after"]
    return found


@pytest.mark.slow
def test_a_generation_loosening_the_judge_is_held_and_the_next_is_judged_as_before(
    tmp_path: Path,
) -> None:
    files = {
        "pkg/mul.py": MUL,
        "config/agent.toml": CONFIG,
        "config/benchmarks.json": json.dumps(BENCH),
        "eval/score.py": SCORE % "0.5",
    }
    repo = sample_repo(tmp_path / "repo", files)
    # The person's uncommitted edit in the checkout judges nothing either: main's commit does.
    (repo / "config" / "agent.toml").write_text(LOOSE, encoding="utf-8")
    loosen = {
        "pkg/mul.py": DOCUMENTED,
        "config/agent.toml": LOOSE,
        "config/benchmarks.json": json.dumps({**BENCH, "enabled": ["doc_coverage"]}),
        "eval/score.py": SCORE % "1.0",
    }
    script = {
        "architect": [plan(sorted(loosen), "Loosen the judge"), plan(["pkg/extra.py"], "Extras")],
        "builder": [
            build(*(Change(file=f, content=text) for f, text in loosen.items())),
            build(Change(file="pkg/extra.py", content=WORSE)),
        ],
        "reviewer": [review(), review()],
        "delay_s": 0,
    }
    done = agent(repo, tmp_path, script, "loop", "--max-gen", "2")
    assert done.returncode == 0, done.stderr
    assert "config/agent.toml differs from config/agent.toml at main" in done.stderr

    held = report(repo, 1)
    assert held["status"] == "pending", held["reason"]
    for path in ("config/agent.toml", "config/benchmarks.json", "eval/score.py"):
        assert f"{path}: steers the judge" in held["reason"]
    # Measured by the judge's settings: main's evaluator, main's benchmark list.
    assert score_of(held, "quality") == 0.5
    assert score_of(held, "test_pass_rate") == 1.0

    judged = report(repo, 2)
    assert judged["status"] == "rejected", judged["reason"]
    assert "is not above +0.0000" in judged["reason"]
    assert "config/agent.toml" not in git(repo, "diff", "--name-only", "HEAD", "main")

    # A person puts their edit away and merges it: from the next run on, its settings judge.
    git(repo, "checkout", "--", "config/agent.toml")
    merged = agent(repo, tmp_path, None, "merge", "1")
    assert merged.returncode == 0, merged.stderr
    again = {
        "architect": [plan(["pkg/more.py"], "More extras")],
        "builder": [build(Change(file="pkg/more.py", content=WORSE))],
        "reviewer": [review()],
        "delay_s": 0,
    }
    done = agent(repo, tmp_path, again, "run")
    assert done.returncode == 0, done.stderr
    later = report(repo, 3)
    assert "test_pass_rate" not in later["benchmarks"]
