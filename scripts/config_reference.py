"""Print the README's configuration table from the Settings model, so docs and defaults agree."""

from __future__ import annotations

from pydantic import BaseModel

from self_improving_agent.base.config import Settings
from self_improving_agent.cli.config_template import env_name


def rows(section: BaseModel, dotted: str) -> list[str]:
    """One table row per key of a section, sub-tables flattened."""
    lines = []
    for key, field in type(section).model_fields.items():
        value = getattr(section, key)
        if isinstance(value, BaseModel):
            lines += rows(value, f"{dotted}.{key}")
            continue
        if isinstance(value, dict):
            shown = ", ".join(sorted(value)) + " (see config/agent.toml)"
        elif isinstance(value, bool):
            shown = str(value).lower()
        else:
            shown = repr(value).replace("'", '"')
        lines.append(
            f"| `{dotted}.{key}` | `{shown}` | `{env_name(dotted, key)}` | {field.description} |"
        )
    return lines


def main() -> None:
    """Print the table."""
    settings = Settings()
    print("| key | default | environment | meaning |")
    print("|---|---|---|---|")
    for name in Settings.model_fields:
        print("\n".join(rows(getattr(settings, name), name)))


if __name__ == "__main__":
    main()
