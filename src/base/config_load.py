"""Loading Settings in layers: defaults < config file < environment < command-line flags."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from self_improving_agent.base.config import (
    DEFAULT_CONFIG_RELPATH,
    ENV_PREFIX,
    AgentSection,
    Settings,
)
from self_improving_agent.base.errors import ConfigError


def default_config_path(repo: Path) -> Path:
    """Where a repository keeps its config file."""
    return repo / DEFAULT_CONFIG_RELPATH


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into one ConfigError sentence."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; pass an existing --config path"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    return parse_toml(text, str(path))


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error is one ConfigError sentence naming where it came from."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts "(at line L, column C)" in its message.
        raise ConfigError(f"{where}: TOML syntax error: {exc}") from None


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Nested overrides from AGENT_<KEY> ([agent]) and AGENT_<SECTION>__<KEY> variables."""
    known_sections = set(Settings.model_fields) - {"agent"}
    agent_keys = set(AgentSection.model_fields)
    result: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if len(parts) == 1 and parts[0] in agent_keys:
            path = ["agent", parts[0]]
        elif len(parts) >= 2 and parts[0] in known_sections | {"agent"}:
            path = parts
        else:
            # Other AGENT_* variables (AGENT_MOCK_SCRIPT, ...) belong to their own readers.
            continue
        _set_nested(result, path, _parse_env_value(raw))
    return result


def _parse_env_value(raw: str) -> Any:
    """JSON lists and tables are decoded; everything else stays a string for pydantic to coerce."""
    stripped = raw.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw


def _set_nested(target: dict[str, Any], path: list[str], value: Any) -> None:
    """Set target[path[0]][path[1]]... = value, creating tables on the way."""
    node = target
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value in override replaces the base value."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has_path(data: Mapping[str, Any], loc: tuple[int | str, ...]) -> bool:
    """Whether a nested mapping holds a value at loc."""
    node: Any = data
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def format_validation_error(
    exc: ValidationError, layers: list[tuple[str, Mapping[str, Any]]]
) -> str:
    """One line per problem, naming the source that set it, the dotted key and what is allowed."""
    lines = []
    for err in exc.errors():
        loc = err["loc"]
        key = ".".join(str(part) for part in loc)
        source = next(
            (label for label, data in reversed(layers) if _has_path(data, loc)), "defaults"
        )
        if err["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key '{key}'; remove it or check its spelling")
        else:
            lines.append(f"{source}: '{key}' = {err.get('input')!r}: {err['msg']}")
    return "\n".join(lines)


def load_settings(
    repo: Path,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    committed: tuple[str, str | None] | None = None,
) -> Settings:
    """Build Settings: defaults < config file < environment < flags; ConfigError on any problem.

    committed: (where, text) of the config file a commit holds, read instead of any file on
    disk (text None: that commit has none, so the defaults apply).
    """
    path = config_path if config_path is not None else default_config_path(repo)
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if committed is not None:
        where, text = committed
        if text is not None:
            layers.append((where, parse_toml(text, where)))
    elif config_path is not None or path.is_file():
        layers.append((str(path), read_toml(path)))
    env_label = "environment (AGENT_* variables)"
    layers.append((env_label, env_overrides(os.environ if environ is None else environ)))
    layers.append(("command-line flags", overrides or {}))
    data: dict[str, Any] = {}
    for _, layer in layers:
        data = deep_merge(data, layer)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, layers)) from None


def flag_overrides(**agent_flags: object) -> dict[str, Any]:
    """The [agent] overrides given on the command line, leaving out flags not given."""
    given = {key: value for key, value in agent_flags.items() if value is not None}
    return {"agent": given} if given else {}
