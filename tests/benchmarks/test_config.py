"""config/benchmarks.json: defaults, validation and one clear sentence per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.benchmarks.config import BenchConfig, load_bench_config
from self_improving_agent.benchmarks.registry import BENCHMARK_NAMES
from tests.benchmarks.conftest import write_config

REPO_CONFIG = Path(__file__).parents[2] / "config" / "benchmarks.json"


def test_defaults_when_the_file_is_absent(tmp_path: Path) -> None:
    config = load_bench_config(tmp_path, Settings().benchmarks)
    assert config.enabled == list(BENCHMARK_NAMES)
    assert (config.timeout("test_pass_rate"), config.timeout("lint_score")) == (120, 60)
    assert config.weight("lint_score") == 1.0


def test_partial_timeouts_merge_over_the_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, {"enabled": ["lint_score"], "timeouts": {"lint_score": 5}})
    config = load_bench_config(tmp_path, Settings().benchmarks)
    assert (config.timeout("lint_score"), config.timeout("test_pass_rate")) == (5, 120)


def test_a_users_default_applies_to_every_benchmark_not_named(tmp_path: Path) -> None:
    write_config(tmp_path, {"timeouts": {"default": 3, "lint_score": 7}})
    config = load_bench_config(tmp_path, Settings().benchmarks)
    assert [config.timeout(n) for n in ("test_pass_rate", "code_coverage", "lint_score")] == [
        3,
        3,
        7,
    ]


def test_this_repository_config_is_valid() -> None:
    config = load_bench_config(REPO_CONFIG.parents[1], Settings().benchmarks)
    assert set(config.enabled) == set(BENCHMARK_NAMES)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"enabled": ["speed"]}, "enabled: unknown benchmark 'speed'"),
        ({"enabled": []}, "enabled: name at least one benchmark"),
        ({"enabled": ["lint_score", "lint_score"]}, "listed twice"),
        ({"weights": {"lint_score": -1}}, "weights.lint_score = -1.0: must not be negative"),
        ({"weights": {"speed": 1}}, "weights.speed: unknown benchmark"),
        ({"timeouts": {"default": -5}}, "timeouts.default = -5.0: must not be negative"),
        ({"timeouts": {"lint_score": 0}}, "timeouts.lint_score = 0: must be more than 0"),
        ({"timeouts": {"lint_score": "soon"}}, "'timeouts.lint_score'"),
        ({"enabled": ["lint_score"], "weights": {"lint_score": 0}}, "every enabled benchmark"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, data: object, message: str) -> None:
    write_config(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_bench_config(tmp_path, Settings().benchmarks)
    assert message in str(caught.value)
    assert "benchmarks.json" in str(caught.value)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config" / "benchmarks.json"
    path.parent.mkdir()
    path.write_text('{\n  "enabled": [,]\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid JSON at line 2"):
        load_bench_config(tmp_path, Settings().benchmarks)


def test_the_path_comes_from_settings(tmp_path: Path) -> None:
    (tmp_path / "bench.json").write_text('{"enabled": ["doc_coverage"]}', encoding="utf-8")
    settings = Settings.model_validate({"benchmarks": {"config": "bench.json"}})
    assert load_bench_config(tmp_path, settings.benchmarks) == BenchConfig(enabled=["doc_coverage"])
