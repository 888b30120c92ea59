"""Print the AGENT_* block of .env.example from the Settings model, so it lists every override."""

from __future__ import annotations

import json

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from self_improving_agent.base.config import Settings
from self_improving_agent.cli.config_template import env_name

# Longer defaults (the price table, the protected paths) are left for config/agent.toml to show.
MAX_SHOWN = 60


def shown(value: object) -> str:
    """The default as the environment spells it: JSON for lists and tables, empty when unset."""
    if value is None:
        return ""
    if isinstance(value, dict | list | bool):
        text = json.dumps(to_jsonable_python(value))
    else:
        text = str(value)
    return text if len(text) <= MAX_SHOWN else ""


def lines(section: BaseModel, dotted: str) -> list[str]:
    """A comment and a commented-out assignment per key, sub-tables flattened."""
    found = []
    for key, field in type(section).model_fields.items():
        value = getattr(section, key)
        if isinstance(value, BaseModel):
            found += lines(value, f"{dotted}.{key}")
            continue
        found.append(f"# {dotted}.{key}: {field.description}")
        found.append(f"# {env_name(dotted, key)}={shown(value)}")
    return found


def main() -> None:
    """Print the block."""
    settings = Settings()
    for name in Settings.model_fields:
        print("\n".join(lines(getattr(settings, name), name)))


if __name__ == "__main__":
    main()
