"""config/benchmarks.json: which benchmarks run, their timeouts and weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from src.base.config import Settings
from src.base.errors import ConfigError
from src.benchmarks.registry import BENCHMARK_NAMES

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_TIMEOUTS = {"default": DEFAULT_TIMEOUT_S, "test_pass_rate": 120.0, "code_coverage": 120.0}


def _check_names(mapping: dict[str, float], field: str, extra: tuple[str, ...] = ()) -> None:
    """Every key is a benchmark name (or one of extra) and every value is non-negative."""
    for name, value in mapping.items():
        if name not in BENCHMARK_NAMES + extra:
            raise ValueError(f"{field}.{name}: unknown benchmark; use one of {_known()}")
        if value < 0:
            raise ValueError(f"{field}.{name} = {value}: must not be negative")


def _known() -> str:
    """The valid benchmark names, for messages."""
    return ", ".join(BENCHMARK_NAMES)


class BenchConfig(BaseModel):
    """The parsed benchmark config; missing keys take the defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: list[str] = Field(
        default_factory=lambda: list(BENCHMARK_NAMES), description="Benchmarks that run, in order."
    )
    timeouts: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_TIMEOUTS), description="Seconds per benchmark."
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="Weight of each benchmark in the total; default 1."
    )

    @field_validator("enabled")
    @classmethod
    def _known_enabled(cls, value: list[str]) -> list[str]:
        """Enabled names are known, unique and at least one."""
        if not value:
            raise ValueError("enabled: name at least one benchmark")
        for name in value:
            if name not in BENCHMARK_NAMES:
                raise ValueError(f"enabled: unknown benchmark {name!r}; use one of {_known()}")
        if len(set(value)) != len(value):
            raise ValueError("enabled: a benchmark is listed twice; list each once")
        return value

    @field_validator("timeouts")
    @classmethod
    def _valid_timeouts(cls, value: dict[str, float]) -> dict[str, float]:
        """Known names, positive seconds, merged over the defaults."""
        _check_names(value, "timeouts", ("default",))
        for name, seconds in value.items():
            if seconds == 0:
                raise ValueError(f"timeouts.{name} = 0: must be more than 0 seconds")
        return {**DEFAULT_TIMEOUTS, **value}

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, float]) -> dict[str, float]:
        """Known names and non-negative weights."""
        _check_names(value, "weights")
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> BenchConfig:
        """At least one enabled benchmark counts, or the total would be meaningless."""
        if all(self.weight(name) == 0 for name in self.enabled):
            raise ValueError("weights: every enabled benchmark has weight 0; give one a weight")
        return self

    def timeout(self, name: str) -> float:
        """Seconds allowed for one benchmark."""
        return self.timeouts.get(name, self.timeouts["default"])

    def weight(self, name: str) -> float:
        """Weight of one benchmark in the total."""
        return self.weights.get(name, 1.0)


def config_path(repo: Path, settings: Settings) -> Path:
    """Where the repository's benchmark config lives."""
    return repo / settings.benchmarks.config


def parse_bench_config(data: Any, source: str) -> BenchConfig:
    """Validate decoded JSON; ConfigError names the source and the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a JSON object with enabled, timeouts and weights")
    try:
        return BenchConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"])
        if err["type"] == "extra_forbidden":
            raise ConfigError(
                f"{source}: unknown key '{key}'; allowed keys are enabled, timeouts, weights"
            ) from None
        message = str(err["msg"]).removeprefix("Value error, ")
        where = f"'{key}': " if key and not message.startswith(key.split(".")[0]) else ""
        raise ConfigError(f"{source}: {where}{message}") from None


def load_bench_config(repo: Path, settings: Settings) -> BenchConfig:
    """The repository's benchmark config, or the defaults when it has none."""
    path = config_path(repo, settings)
    if not path.is_file():
        return BenchConfig()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the benchmark config ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    return parse_bench_config(data, str(path))
