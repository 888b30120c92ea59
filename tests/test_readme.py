"""The README documents every configuration key with its environment variable."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from self_improving_agent.base.config import Settings
from self_improving_agent.benchmarks.registry import REGISTRY
from self_improving_agent.cli.config_template import env_name

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def keys(section: BaseModel, dotted: str) -> list[tuple[str, str]]:
    """(dotted key, environment variable) of every leaf key."""
    found = []
    for key in type(section).model_fields:
        value = getattr(section, key)
        if isinstance(value, BaseModel):
            found += keys(value, f"{dotted}.{key}")
        else:
            found.append((f"{dotted}.{key}", env_name(dotted, key)))
    return found


def test_every_config_key_and_its_variable_is_documented() -> None:
    settings = Settings()
    missing = [
        key
        for name in Settings.model_fields
        for key, env in keys(getattr(settings, name), name)
        if f"`{key}`" not in README or f"`{env}`" not in README
    ]
    assert missing == []


def test_quick_start_names_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make run" in quick_start
    assert "make test" in quick_start


def test_the_benchmark_table_lists_the_registry_in_order() -> None:
    rows = [line for line in README.splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows if row.split("`")[1] in REGISTRY]
    assert names == list(REGISTRY)
