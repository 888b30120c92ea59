"""Render Settings as a commented config/agent.toml, each key preceded by its description."""

from __future__ import annotations

from typing import Any

import tomli_w
from pydantic import BaseModel

from self_improving_agent.base.config import AgentSection, Settings


def render_toml(settings: Settings) -> str:
    """A commented TOML file holding these settings; unset optional keys appear commented out."""
    lines = [
        "# self-improving-agent configuration.",
        "# Precedence: built-in defaults < this file < AGENT_* environment < command-line flags.",
        "",
    ]
    for name in Settings.model_fields:
        lines += _render_table(name, getattr(settings, name))
    return "\n".join(lines).rstrip() + "\n"


def _render_table(dotted: str, section: BaseModel) -> list[str]:
    """One [table] with its scalar keys, followed by its sub-tables."""
    doc = (type(section).__doc__ or "").strip()
    lines: list[str] = []
    subtables: list[tuple[str, BaseModel]] = []
    model_maps: list[tuple[str, str, dict[str, BaseModel]]] = []
    for key, field in type(section).model_fields.items():
        value = getattr(section, key)
        if isinstance(value, BaseModel):
            subtables.append((f"{dotted}.{key}", value))
            continue
        if isinstance(value, dict) and all(isinstance(v, BaseModel) for v in value.values()):
            model_maps.append((f"{dotted}.{key}", field.description or "", value))
            continue
        lines.append(f"# {field.description} (env: {env_name(dotted, key)})")
        lines.append(_assignment(key, value))
    if lines:
        lines = [f"# {doc}", f"[{dotted}]", *lines, ""]
    for sub_name, sub in subtables:
        lines += _render_table(sub_name, sub)
    for map_name, description, mapping in model_maps:
        lines += _render_model_map(map_name, description, mapping)
    return lines


def _render_model_map(dotted: str, description: str, mapping: dict[str, BaseModel]) -> list[str]:
    """A table of models as one inline table per key, e.g. the price table."""
    lines = [f"# {description} (env: {env_name(*dotted.rsplit('.', 1))})", f"[{dotted}]"]
    for name, model in mapping.items():
        # Unset optional fields (an unpriced model's prices) are left out: TOML has no null.
        values = model.model_dump(exclude_none=True)
        fields = ", ".join(_assignment(k, v) for k, v in values.items())
        lines.append(f"{_assignment(name, 0).rsplit(' = ', 1)[0]} = {{ {fields} }}")
    return [*lines, ""]


def _assignment(key: str, value: Any) -> str:
    """`key = value` in TOML, or a commented placeholder when the value is unset."""
    if value is None:
        return f'# {key} = ""'
    return tomli_w.dumps({key: value}).strip()


def env_name(dotted_table: str, key: str) -> str:
    """The variable that sets a key: AGENT_<KEY> in [agent], else AGENT_<PATH>__<KEY>."""
    if dotted_table == "agent" and key in AgentSection.model_fields:
        return f"AGENT_{key.upper()}"
    return "AGENT_" + "__".join(part.upper() for part in [*dotted_table.split("."), key])
