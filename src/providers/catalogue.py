"""The model catalogue at run time: a model's entry, its structured-output path, the listing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar, get_args

from self_improving_agent.base.config import ModelSpec, StructuredOutput
from self_improving_agent.base.errors import ProviderError
from self_improving_agent.base.logging import get_logger

T = TypeVar("T")
MODES: tuple[StructuredOutput, ...] = get_args(StructuredOutput)
# Words an API's 400 uses when it refuses a structured-output feature rather than the request.
_FEATURE_WORDS: dict[StructuredOutput, tuple[str, ...]] = {
    "json_schema": (
        "output_config",
        "output_format",
        "outputconfig",
        "textformat",
        "response_format",
        "json_schema",
        "structured output",
    ),
    "tool": ("tool_choice", "toolchoice", "forced tool", "tool use", "tools", "function"),
    "text": (),
}


def first_mode(spec: ModelSpec | None) -> StructuredOutput:
    """The path to try first: the catalogue's, else the newest one, probed on first use."""
    return spec.structured_output if spec is not None else "json_schema"


def next_mode(mode: StructuredOutput) -> StructuredOutput | None:
    """The path to fall back to after mode was refused; None after the text path."""
    index = MODES.index(mode)
    return MODES[index + 1] if index + 1 < len(MODES) else None


def names_feature(mode: StructuredOutput, message: str) -> bool:
    """Whether an API's refusal message is about mode's feature (not about the request itself)."""
    lowered = message.lower()
    return any(word in lowered for word in _FEATURE_WORDS[mode])


class FeatureRefused(Exception):
    """The API refused the structured-output path of a request; the caller moves to the next."""


def switch_mode(
    provider: str, model: str, mode: StructuredOutput, refused: FeatureRefused
) -> StructuredOutput:
    """The path after mode, logged; ProviderError with the refusal when no path is left."""
    following = next_mode(mode)
    if following is None:
        raise ProviderError(str(refused)) from None
    # The logger is looked up now, not at import, so it writes where logging was configured.
    get_logger(provider=provider).warning(
        "structured output refused, switching",
        model=model,
        old=mode,
        new=following,
        reason=str(refused),
    )
    return following


class OutputPath:
    """A provider's structured-output path for its model: the catalogue's first, then what works."""

    def __init__(self, provider: str, model: str, spec: ModelSpec | None) -> None:
        self.provider = provider
        self.model = model
        self.mode: StructuredOutput = first_mode(spec)

    def ask(self, attempt: Callable[[StructuredOutput], T]) -> T:
        """attempt on the current path; each path the API refuses is left for the next, for good."""
        while True:
            try:
                return attempt(self.mode)
            except FeatureRefused as refused:
                self.mode = switch_mode(self.provider, self.model, self.mode, refused)


def _price(value: float | None) -> str:
    """One price cell."""
    return "-" if value is None else f"${value:g}"


def _tokens(value: int | None) -> str:
    """A token count as 200K / 1M."""
    if value is None:
        return "-"
    return f"{value // 1_000_000}M" if value % 1_000_000 == 0 else f"{value // 1000}K"


def render_models(models: Mapping[str, ModelSpec], current: str) -> str:
    """The catalogue as a table, prices per million tokens; the configured model is starred."""
    header = (
        "model",
        "provider",
        "output",
        "context",
        "max out",
        "in",
        "out",
        "cache w",
        "cache r",
    )
    rows: list[tuple[str, ...]] = [header]
    for name, spec in sorted(models.items(), key=lambda i: (i[1].provider, i[0])):
        mark = "*" if name == current else " "
        prices = (
            [
                _price(spec.input),
                _price(spec.output),
                _price(spec.cache_write),
                _price(spec.cache_read),
            ]
            if spec.input is not None
            else ["unpriced", "", "", ""]
        )
        rows.append(
            (
                f"{mark}{name}",
                spec.provider,
                spec.structured_output,
                _tokens(spec.context_window),
                _tokens(spec.max_output),
                *prices,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.append("USD per million tokens; * marks [agent] model. Add or override entries under")
    lines.append('[providers.models."<id>"] in config/agent.toml.')
    return "\n".join(lines)
