"""Done-when of custom evaluators: a seeded-noise evaluator judges real generations end to end."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.models import Change
from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.reports.report_model import GenerationReport
from self_improving_agent.reports.report_view import render_report
from tests.conftest import own_sections
from tests.core.test_generation import assert_nothing_left, main_sha, report_of, run_one
from tests.loop_kit import build, plan, review, sample_repo

# The evaluator measures pkg/speed.py's LEVEL plus noise. The noise is seeded by how often it
# has run in this copy of the tree and by the tree's code, so every run differs, yet each test
# sees the same values on every machine.
EVALUATOR = '''"""Speed of the sample, with seeded noise."""

import hashlib
import json
import random
import sys
from pathlib import Path

counter = Path(".bench-runs")
runs = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(runs + 1))
source = Path("pkg/speed.py").read_text()
level = source.split("LEVEL = ", 1)[1].split()[0]
try:
    value = float(level)
except ValueError:
    print(f"bench: LEVEL must be a number of requests per second, not {level}", file=sys.stderr)
    sys.exit(2)
seed = hashlib.sha256(f"{runs}:{source}".encode()).hexdigest()
noise = random.Random(seed).gauss(0, 4)
print("measured 200 requests")
print(json.dumps({"rps": value + noise, "requests": 200}))
'''
SPEED = '"""How fast the sample is."""\n\nLEVEL = 50\n'
CONFIG = {
    "enabled": ["test_pass_rate"],
    "custom": [
        {
            "name": "speed",
            "command": ["python", "bench/run.py"],
            "score": {"json": "rps"},
            "range": [0, 100],
            "weight": 3,
            "repeat": 5,
            "stage": 0,
            "threshold": 0.3,
            "timeout": 60,
        }
    ],
}

pytestmark = pytest.mark.slow


def speed_repo(tmp_path: Path) -> Path:
    """The sample package and tests, plus pkg/speed.py and its evaluator in the config."""
    return sample_repo(
        tmp_path / "repo",
        {
            "pkg/speed.py": SPEED,
            "bench/run.py": EVALUATOR,
            "config/benchmarks.json": json.dumps(CONFIG),
        },
    )


def edit_speed(anchor: str, content: str, title: str) -> dict[str, Any]:
    """A scripted generation that edits pkg/speed.py once and is approved."""
    return {
        "architect": [plan(["pkg/speed.py"], title)],
        "builder": [
            build(Change(file="pkg/speed.py", op="replace", anchor=anchor, content=content))
        ],
        "reviewer": [review()],
        "delay_s": 0,
    }


def test_single_runs_vary_while_the_evaluator_is_deterministic(tmp_path: Path) -> None:
    repo = speed_repo(tmp_path)
    first = run_benchmarks(repo, own_sections(), only=["speed"]).results[0]
    again = run_benchmarks(repo, own_sections(), only=["speed"]).results[0]
    assert len(set(first.samples)) == 5
    assert first.samples == again.samples
    assert first.score == statistics.median(first.samples)
    assert first.raw["requests"] == 200


def test_a_real_improvement_is_accepted_with_its_p_value(tmp_path: Path) -> None:
    repo = speed_repo(tmp_path)
    outcome = run_one(
        repo, tmp_path, edit_speed("LEVEL = 50", "LEVEL = 70", "Serve faster"), auto_merge=True
    )
    assert outcome.status == "accepted", outcome.reason
    speed = report_of(outcome)["benchmarks"]["speed"]
    assert speed["custom"] and speed["counted"]
    assert speed["p_value"] == pytest.approx(1 / 252)
    assert len(speed["before_samples"]) == len(speed["after_samples"]) == 5
    assert 0.15 < speed["delta"] < 0.25
    text = render_report(GenerationReport.model_validate(report_of(outcome)), color=False)
    assert "speed: custom; before 5x " in text and "p=0.004 (counted)" in text
    assert_nothing_left(repo)


def test_a_change_that_does_nothing_is_not_accepted_though_single_values_vary(
    tmp_path: Path,
) -> None:
    repo = speed_repo(tmp_path)
    before = main_sha(repo)
    script = edit_speed("LEVEL = 50", "LEVEL = 50  # requests per second", "Explain LEVEL")
    outcome = run_one(repo, tmp_path, script, auto_merge=True)
    assert outcome.status == "rejected"
    report = report_of(outcome)
    speed = report["benchmarks"]["speed"]
    assert speed["before_samples"] != speed["after_samples"]
    assert speed["after"] != speed["before"]
    assert speed["counted"] is False and speed["p_value"] > 0.05 and speed["delta"] == 0.0
    (reason,) = [r for r in report["decision"]["reasons"] if r.startswith("total score delta")]
    assert "+0.0000 is not above +0.0000 (speed moved" in reason
    assert "within the noise (p=" in reason
    assert main_sha(repo) == before


def test_a_change_that_breaks_the_evaluator_is_rejected_in_its_own_words(tmp_path: Path) -> None:
    repo = speed_repo(tmp_path)
    script = edit_speed("LEVEL = 50", 'LEVEL = "fast"', "Name the speed")
    outcome = run_one(repo, tmp_path, script, auto_merge=True)
    assert outcome.status == "rejected"
    assert "evaluator speed could not score the candidate (error)" in outcome.reason
    assert 'bench: LEVEL must be a number of requests per second, not "fast"' in outcome.reason
    report = report_of(outcome)
    assert "not a number of requests" not in json.dumps(report["benchmarks"]["test_pass_rate"])
    assert "exited with code 2" in report["benchmarks"]["speed"]["detail"]


def test_a_candidate_below_the_first_stage_never_runs_the_tests(tmp_path: Path) -> None:
    repo = speed_repo(tmp_path)
    outcome = run_one(
        repo, tmp_path, edit_speed("LEVEL = 50", "LEVEL = 10", "Throttle"), auto_merge=True
    )
    assert outcome.status == "rejected"
    report = report_of(outcome)
    assert report["stage_rejection"].startswith("stage 0: speed scored 0.1")
    assert report["stage_rejection"].endswith("below its threshold 0.300; stage(s) 1 not run")
    tests = report["benchmarks"]["test_pass_rate"]
    assert tests["skipped"] and tests["after"] is None
    assert any(r.startswith("stopped at stage 0: speed") for r in report["decision"]["reasons"])
    reasons = report["decision"]["reasons"]
    assert not any("not measured" in r or "test(s) that passed" in r for r in reasons)
    assert not any("no test ran" in r or "lost-test" in r for r in reasons)
    # Neither main's tests nor any rerun ran for tests the stage kept from running.
    assert report.get("tests_check") is None
