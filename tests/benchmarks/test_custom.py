"""Custom benchmarks: reading the number, scaling it, running the command, and every failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.errors import BenchmarkError, ConfigError
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.config import parse_bench_config
from self_improving_agent.benchmarks.custom import (
    NoScore,
    last_json_object,
    read_json,
    read_regex,
    score_output,
)
from self_improving_agent.benchmarks.custom_spec import CustomSpec
from self_improving_agent.benchmarks.report import key_figure, render_table
from self_improving_agent.benchmarks.runner import SuiteResult, run_benchmarks
from self_improving_agent.cli.app import app
from self_improving_agent.sandbox.proc import ToolRun
from tests.benchmarks.conftest import write_config
from tests.conftest import make_repo, own_sections

# Reads the tree it runs in (data.txt) and reports how it was run.
EVALUATOR = """import json, sys
from pathlib import Path
mode = sys.argv[1]
n = int(Path("data.txt").read_text())
print("warming up")
if mode == "json":
    from pkg import LEVEL  # the tree's own code, importable without installing it
    print(json.dumps({"metrics": {"speed": n}, "python": sys.executable, "runs": LEVEL}))
elif mode == "regex":
    print(f"speed: {n} ops")
elif mode == "exit":
    sys.exit(0 if n > 5 else 3)
elif mode == "crash":
    raise RuntimeError("the evaluator fell over at step " + str(n))
elif mode == "silent":
    print("nothing to say")
elif mode == "slow":
    import time
    time.sleep(30)
"""


def spec(**fields: Any) -> CustomSpec:
    """A spec with a json score unless told otherwise."""
    data: dict[str, Any] = {"name": "speed", "command": ["python", "b.py"], "score": {"json": "s"}}
    return CustomSpec.model_validate({**data, **fields})


def ran(stdout: str = "", stderr: str = "", code: int = 0) -> ToolRun:
    """A finished run of the evaluator."""
    return ToolRun(code, stdout, stderr, 0.1, False, 1)


def test_the_last_json_object_wins_and_may_span_lines() -> None:
    text = 'log {"s": 1}\n{"s": 2,\n "n": {"deep": 3}}\ntrailing [1]\n'
    assert last_json_object(text) == {"s": 2, "n": {"deep": 3}}
    assert read_json(text, "n.deep") == (3.0, {"s": 2, "n": {"deep": 3}})
    assert read_json(text, "s") == (2.0, {"n": {"deep": 3}})
    with pytest.raises(NoScore, match="printed no JSON object"):
        last_json_object("[1, 2]\nplain")
    with pytest.raises(NoScore, match=r"no key 'n\.missing'"):
        read_json(text, "n.missing")
    with pytest.raises(NoScore, match="is 'fast', not a number"):
        read_json('{"s": "fast"}', "s")
    with pytest.raises(NoScore, match="not a number"):
        read_json('{"s": true}', "s")


def test_regex_reads_the_one_group_of_the_last_match() -> None:
    assert read_regex("speed: 3\nspeed: 4.5\n", r"speed: ([\d.]+)") == 4.5
    with pytest.raises(NoScore, match="matches"):
        read_regex("nothing", r"speed: (\d+)")


@pytest.mark.parametrize(
    ("fields", "value", "score"),
    [
        ({}, 0.25, 0.25),
        ({"range": [0, 200]}, 50, 0.25),
        ({"range": [0, 200]}, 500, 1.0),
        ({"range": [0, 200], "higher_is_better": False}, 50, 0.75),
        ({"range": [0, 200], "higher_is_better": False}, -5, 1.0),
        ({"higher_is_better": False}, 0.1, 0.9),
    ],
)
def test_scale_maps_the_range_clips_and_flips(
    fields: dict[str, Any], value: float, score: float
) -> None:
    assert spec(**fields).scale(value) == pytest.approx(score)


def test_scoring_a_run_keeps_other_fields_and_the_tail() -> None:
    result = score_output(spec(range=[0, 10]), ran('{"s": 5, "n": 2}\n', "note on stderr"))
    assert (result.score, result.status, result.custom) == (0.5, "ok", True)
    assert result.raw == {"n": 2, "value": 5.0}
    assert result.detail.endswith("note on stderr")
    assert score_output(spec(), ran('{"s": 7}')).status == "error"
    assert (
        "outside 0..1; give the benchmark a range" in score_output(spec(), ran('{"s": 7}')).detail
    )
    crashed = score_output(spec(), ran('{"s": 0.5}', "Traceback: boom", code=1))
    assert (crashed.status, crashed.score) == ("error", 0.0)
    assert crashed.detail == 'exited with code 1: {"s": 0.5}\nTraceback: boom'
    exit_spec = spec(score={"exit_code": True})
    assert score_output(exit_spec, ran(code=0)).score == 1.0
    assert score_output(exit_spec, ran(code=2)).status == "failed"
    assert score_output(exit_spec, ran(code=-9)).status == "error"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"score": {}}, "custom[speed].score': give exactly one of"),
        ({"score": {"json": "s", "regex": "(x)"}}, "give exactly one of"),
        ({"score": {"regex": "no group"}}, "has 0 groups; it needs exactly one"),
        ({"score": {"regex": "(("}}, "does not compile"),
        ({"score": {"json": "a..b"}}, "name a key path"),
        ({"range": [5, 1]}, "range [5.0, 1.0]: the first number must be below"),
        ({"repeat": 3}, "repeat 3: use 1, or at least 5"),
        ({"threshold": 2}, "custom[speed].threshold"),
        ({"command": []}, "custom[speed].command"),
        ({"name": "Speed!"}, "name 'Speed!': use 1-40 lowercase"),
        ({"name": "lint_score"}, "custom 'lint_score': a built-in benchmark has that name"),
        ({"colour": "red"}, "unknown key 'custom[speed].colour'; allowed keys are name, command"),
    ],
)
def test_a_bad_custom_entry_is_one_sentence(entry: dict[str, Any], message: str) -> None:
    data = {"name": "speed", "command": ["python", "b.py"], "score": {"json": "s"}, **entry}
    with pytest.raises(ConfigError) as caught:
        parse_bench_config({"custom": [data]}, "benchmarks.json")
    assert message in str(caught.value)
    assert str(caught.value).startswith("benchmarks.json: ")
    assert "\n" not in str(caught.value)


def test_two_custom_benchmarks_may_not_share_a_name() -> None:
    entry = {"name": "speed", "command": ["python", "b.py"], "score": {"json": "s"}}
    with pytest.raises(ConfigError, match="the name is used twice"):
        parse_bench_config({"custom": [entry, entry]}, "benchmarks.json")


def evaluator_repo(tmp_path: Path, mode: str, extra: dict[str, Any] | None = None) -> Path:
    """A repository whose one benchmark is the evaluator above in the given mode."""
    files = {"b.py": EVALUATOR, "data.txt": "40\n", "pkg/__init__.py": "LEVEL = 3\n"}
    repo = make_repo(tmp_path / "repo", files)
    entry = {"name": "speed", "command": ["python", "b.py", mode], "timeout": 20}
    score = {"json": {"json": "metrics.speed"}, "regex": {"regex": r"speed: (\d+)"}}
    entry["score"] = score.get(mode, {"exit_code": True} if mode == "exit" else {"json": "x"})
    if mode in ("json", "regex"):
        entry["range"] = [0, 80]
    write_config(repo, {"enabled": ["lint_score"], "custom": [{**entry, **(extra or {})}]})
    return repo


def test_a_custom_benchmark_runs_in_the_tree_with_the_targets_python(tmp_path: Path) -> None:
    repo = evaluator_repo(tmp_path, "json")
    suite = run_benchmarks(repo, own_sections(), only=["speed"])
    (result,) = suite.results
    assert (result.name, result.status, result.score, result.custom) == ("speed", "ok", 0.5, True)
    assert result.raw["value"] == 40 and result.raw["runs"] == 3
    # The measuring interpreter is an overlay venv over the configured one, inside scratch.
    assert result.raw["python"] != sys.executable and "overlay" in result.raw["python"]
    assert "warming up" in result.detail and result.sandbox


def test_all_benchmarks_include_the_custom_ones_in_the_total(tmp_path: Path) -> None:
    repo = evaluator_repo(tmp_path, "regex", {"weight": 3})
    suite = run_benchmarks(repo, own_sections())
    scores = {r.name: r.score for r in suite.results}
    assert list(scores) == ["lint_score", "speed"] and scores["speed"] == 0.5
    assert suite.total == pytest.approx((scores["lint_score"] + 3 * 0.5) / 4)


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [
        ("exit", "ok", "warming up"),
        ("crash", "error", "RuntimeError: the evaluator fell over at step 40"),
        ("silent", "error", "printed no JSON object: warming up\nnothing to say"),
        ("slow", "error", "timed out after"),
    ],
)
def test_an_evaluator_that_fails_is_an_error_in_its_own_words(
    tmp_path: Path, mode: str, status: str, words: str
) -> None:
    repo = evaluator_repo(tmp_path, mode, {"timeout": 3} if mode == "slow" else None)
    (result,) = run_benchmarks(repo, own_sections(), only=["speed"]).results
    assert result.status == status
    assert words in result.detail
    assert result.score == (1.0 if status == "ok" else 0.0)


def test_only_names_custom_benchmarks_and_refuses_unknown_ones(tmp_path: Path) -> None:
    repo = evaluator_repo(tmp_path, "regex")
    with pytest.raises(BenchmarkError, match=r"--only sped: unknown benchmark; use one of .*speed"):
        run_benchmarks(repo, own_sections(), only=["sped"])
    out = CliRunner().invoke(app, ["bench", "--repo", str(repo), "--only", "speed", "--json"])
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(b["name"], b["score"], b["custom"]) for b in data["benchmarks"]] == [
        ("speed", 0.5, True)
    ]


def test_config_validate_checks_the_benchmark_config(tmp_path: Path) -> None:
    repo = evaluator_repo(tmp_path, "regex")
    good = CliRunner().invoke(app, ["config", "validate", "--repo", str(repo)])
    assert good.exit_code == 0 and "with 1 custom benchmark(s)" in good.stdout
    write_config(repo, {"custom": [{"name": "speed", "command": ["python"], "score": {}}]})
    bad = CliRunner().invoke(app, ["config", "validate", "--repo", str(repo)])
    assert bad.exit_code == 1
    assert "'custom[speed].score': give exactly one of" in bad.stderr
    assert "Traceback" not in bad.output


def test_the_bench_table_shows_the_value_the_spread_and_an_evaluators_words() -> None:
    runs = BenchResult(
        name="speed", score=0.5, raw={"value": 49.7804}, custom=True, samples=[0.4, 0.5, 0.6]
    )
    assert key_figure(runs) == "49.78, 3x 0.400/0.500/0.600"
    broken = BenchResult(name="speed", score=0, status="error", custom=True, detail="no JSON: x")
    suite = SuiteResult(total=0.25, results=[runs, broken], cached=False, key="k")
    assert render_table(suite).splitlines()[-1] == "speed error: no JSON: x"
