"""The `custom` entries of config/benchmarks.json: a user's own evaluator command and its score."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Below this many repeats a one-sided Mann-Whitney U cannot reach the usual 5% level reliably.
MIN_TESTED_REPEATS = 5
DEFAULT_STAGE = 1
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")


class ScoreSpec(BaseModel):
    """Where the number comes from: a JSON key path, a regex group, or the exit code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    json_path: str | None = Field(
        None, alias="json", description="Key path (dots for nesting) in the last JSON object."
    )
    regex: str | None = Field(None, description="A pattern whose one group holds the number.")
    exit_code: bool | None = Field(None, description="true: exit 0 scores 1, anything else 0.")

    @model_validator(mode="after")
    def _exactly_one(self) -> ScoreSpec:
        """One source of the number, never two."""
        given = [k for k in ("json_path", "regex", "exit_code") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                'give exactly one of {"json": ...}, {"regex": ...}, {"exit_code": true}'
            )
        if self.exit_code is False:
            raise ValueError('exit_code must be true; use "json" or "regex" to read a number')
        if self.json_path is not None and not all(self.json_path.split(".")):
            raise ValueError(f"json {self.json_path!r}: name a key path like 'score' or 'a.b'")
        if self.regex is not None:
            try:
                groups = re.compile(self.regex).groups
            except re.error as exc:
                raise ValueError(f"regex {self.regex!r} does not compile: {exc}") from None
            if groups != 1:
                raise ValueError(f"regex {self.regex!r} has {groups} groups; it needs exactly one")
        return self


class CustomSpec(BaseModel):
    """One custom benchmark: the command that measures the tree and how its output is scored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Unique name, also for --only and the reports.")
    command: list[str] = Field(
        min_length=1, description="Program and arguments; `python` is the target's interpreter."
    )
    score: ScoreSpec
    higher_is_better: bool = Field(True, description="false: lower raw values score higher.")
    range: tuple[float, float] | None = Field(
        None, description="[lo, hi] mapped linearly onto 0..1 (clipped); omit for 0..1 values."
    )
    weight: float = Field(1.0, ge=0, description="Weight in the total.")
    timeout: float = Field(60.0, gt=0, description="Seconds one run may take.")
    repeat: int = Field(1, ge=1, le=100, description="Runs per tree; >= 5 tests significance.")
    stage: int = Field(DEFAULT_STAGE, ge=0, le=100, description="Lower stages run first.")
    threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="A candidate scoring below this stops at its stage."
    )
    files: list[str] = Field(default_factory=list, description="More files the evaluator uses.")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        """Lowercase letters, digits, - and _; a name that fits a command line and a column."""
        if not NAME_PATTERN.fullmatch(value):
            raise ValueError(
                f"name {value!r}: use 1-40 lowercase letters, digits, - or _, from a letter"
            )
        return value

    @field_validator("command")
    @classmethod
    def _no_empty_words(cls, value: list[str]) -> list[str]:
        """Every word of the command says something."""
        if any(not word.strip() for word in value):
            raise ValueError("command: an empty word; list the program and its arguments")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CustomSpec:
        """A range that is a range, none for exit codes, and repeats that can be tested."""
        if self.range is not None:
            lo, hi = self.range
            if not lo < hi:
                raise ValueError(f"range [{lo}, {hi}]: the first number must be below the second")
            if self.score.exit_code:
                raise ValueError("range: an exit_code score is already 0 or 1; drop the range")
        if 1 < self.repeat < MIN_TESTED_REPEATS:
            raise ValueError(
                f"repeat {self.repeat}: use 1, or at least {MIN_TESTED_REPEATS} so that the"
                " change can be tested against the noise"
            )
        return self

    def scale(self, value: float) -> float:
        """The raw value on 0..1: through the range, clipped, flipped when lower is better."""
        if self.range is not None:
            lo, hi = self.range
            value = (value - lo) / (hi - lo)
        value = min(1.0, max(0.0, value))
        return value if self.higher_is_better else 1.0 - value
