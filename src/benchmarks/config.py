"""config/benchmarks.json: which benchmarks run, their timeouts and weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from self_improving_agent.base.config import BenchmarksSection
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.benchmarks.custom_spec import DEFAULT_STAGE, CustomSpec
from self_improving_agent.benchmarks.registry import BENCHMARK_NAMES

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
    stages: dict[str, int] = Field(
        default_factory=dict, description="Stage of a built-in benchmark; default 1."
    )
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="Lowest 0..1 score of a built-in that passes its stage."
    )
    custom: list[CustomSpec] = Field(
        default_factory=list, description="The user's own evaluators, beside the built-in ones."
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
        """Known names, positive seconds; a user's default outranks the built-in per-name ones."""
        _check_names(value, "timeouts", ("default",))
        for name, seconds in value.items():
            if seconds == 0:
                raise ValueError(f"timeouts.{name} = 0: must be more than 0 seconds")
        if "default" in value:
            return dict(value)
        return {**DEFAULT_TIMEOUTS, **value}

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, float]) -> dict[str, float]:
        """Known names and non-negative weights."""
        _check_names(value, "weights")
        return value

    @field_validator("stages")
    @classmethod
    def _valid_stages(cls, value: dict[str, int]) -> dict[str, int]:
        """Known names and non-negative stages."""
        _check_names({k: float(v) for k, v in value.items()}, "stages")
        return value

    @field_validator("thresholds")
    @classmethod
    def _valid_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        """Known names and thresholds on the 0..1 score."""
        _check_names(value, "thresholds")
        for name, threshold in value.items():
            if threshold > 1:
                raise ValueError(f"thresholds.{name} = {threshold}: scores run from 0 to 1")
        return value

    @field_validator("custom")
    @classmethod
    def _unique_custom(cls, value: list[CustomSpec]) -> list[CustomSpec]:
        """Custom names are unique and none is a built-in one."""
        seen: set[str] = set()
        for spec in value:
            if spec.name in BENCHMARK_NAMES:
                raise ValueError(f"custom {spec.name!r}: a built-in benchmark has that name")
            if spec.name in seen:
                raise ValueError(f"custom {spec.name!r}: the name is used twice; rename one")
            seen.add(spec.name)
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> BenchConfig:
        """At least one benchmark counts, or the total would be meaningless."""
        if all(self.weight(name) == 0 for name in self.names()):
            raise ValueError("weights: every enabled benchmark has weight 0; give one a weight")
        return self

    def names(self) -> list[str]:
        """Every benchmark that runs by default: the enabled built-ins, then the custom ones."""
        return [*self.enabled, *(spec.name for spec in self.custom)]

    def custom_spec(self, name: str) -> CustomSpec | None:
        """The custom benchmark of that name, or None for a built-in one."""
        return next((spec for spec in self.custom if spec.name == name), None)

    def timeout(self, name: str) -> float:
        """Seconds allowed for one benchmark."""
        spec = self.custom_spec(name)
        return spec.timeout if spec else self.timeouts.get(name, self.timeouts["default"])

    def weight(self, name: str) -> float:
        """Weight of one benchmark in the total."""
        spec = self.custom_spec(name)
        return spec.weight if spec else self.weights.get(name, 1.0)

    def weight_map(self) -> dict[str, float]:
        """The weight of every known benchmark, built-in and custom."""
        return {name: self.weight(name) for name in (*BENCHMARK_NAMES, *self.names())}

    def stage(self, name: str) -> int:
        """The stage a benchmark runs in; lower stages run first."""
        spec = self.custom_spec(name)
        return spec.stage if spec else self.stages.get(name, DEFAULT_STAGE)

    def threshold(self, name: str) -> float | None:
        """The lowest score that lets a candidate past the benchmark's stage, if any."""
        spec = self.custom_spec(name)
        return spec.threshold if spec else self.thresholds.get(name)

    def repeats(self, name: str) -> int:
        """How often one tree is measured by the benchmark (only custom ones repeat)."""
        spec = self.custom_spec(name)
        return spec.repeat if spec else 1


def config_path(repo: Path, section: BenchmarksSection) -> Path:
    """Where the repository's benchmark config lives."""
    return repo / section.config


def parse_bench_config(data: Any, source: str) -> BenchConfig:
    """Validate decoded JSON; ConfigError names the source and the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a JSON object with enabled, timeouts and weights")
    try:
        return BenchConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(part) for part in err["loc"]]
        if loc[:1] == ["custom"] and len(loc) > 1 and loc[1].isdigit():
            loc[:2] = [_custom_label(data.get("custom"), int(loc[1]))]
        key = ".".join(loc)
        if err["type"] == "extra_forbidden":
            allowed = _ALLOWED_CUSTOM if len(loc) > 1 and loc[0].startswith("custom") else _ALLOWED
            raise ConfigError(
                f"{source}: unknown key '{key}'; allowed keys are {allowed}"
            ) from None
        message = str(err["msg"]).removeprefix("Value error, ")
        where = f"'{key}': " if key and not message.startswith(key.split(".")[0]) else ""
        raise ConfigError(f"{source}: {where}{message}") from None


_ALLOWED = "enabled, timeouts, weights, stages, thresholds, custom"
_ALLOWED_CUSTOM = (
    "name, command, score, higher_is_better, range, weight, timeout, repeat, stage, threshold,"
    " files (and json, regex or exit_code inside score)"
)


def _custom_label(entries: Any, index: int) -> str:
    """`custom[speed]` when the entry has a name, else `custom[2]`, for messages."""
    try:
        name = entries[index]["name"]
    except (TypeError, KeyError, IndexError):
        name = None
    return f"custom[{name}]" if isinstance(name, str) and name else f"custom[{index}]"


def load_bench_config(repo: Path, section: BenchmarksSection) -> BenchConfig:
    """The repository's benchmark config, or the defaults when it has none."""
    path = config_path(repo, section)
    if not path.is_file():
        return BenchConfig()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the benchmark config ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    return parse_bench_config(data, str(path))
