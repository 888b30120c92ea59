"""Every config key in the reference exists in the models, and every model key is in it."""

from __future__ import annotations

import re

from pydantic import BaseModel

from self_improving_agent.base.config import ModelSpec, Settings
from self_improving_agent.benchmarks.config import BenchConfig
from self_improving_agent.benchmarks.custom_spec import CustomSpec, ScoreSpec
from tests.docs.docs_kit import DOCS, REGENERATE

PAGE = (DOCS / "reference" / "config.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)


def rows(start: str, end: str | None = None) -> set[str]:
    """The keys in the first column of the tables between two headings."""
    text = PAGE.split(start, 1)[1]
    text = text.split(end, 1)[0] if end else text
    return set(ROW.findall(text))


def leaves(section: BaseModel, dotted: str) -> set[str]:
    """Every leaf key of a config table, sub-tables flattened."""
    found: set[str] = set()
    for key in type(section).model_fields:
        value = getattr(section, key)
        found |= (
            leaves(value, f"{dotted}.{key}")
            if isinstance(value, BaseModel)
            else {f"{dotted}.{key}"}
        )
    return found


def names(model: type[BaseModel], prefix: str = "") -> set[str]:
    """The keys a user writes for a model: aliases where set."""
    return {prefix + (field.alias or key) for key, field in model.model_fields.items()}


def test_agent_toml_keys_match_the_settings_model() -> None:
    settings = Settings()
    in_models = set().union(*(leaves(getattr(settings, n), n) for n in Settings.model_fields))
    in_docs = rows("## config/agent.toml", '### [providers.models."ID"]')
    assert sorted(in_docs - in_models) == [], f"keys the models lack; {REGENERATE}"
    assert sorted(in_models - in_docs) == [], f"keys the reference lacks; {REGENERATE}"


def test_every_documented_key_names_its_environment_variable() -> None:
    for line in (
        PAGE.split("## config/agent.toml", 1)[1].split("### [providers.models")[0].splitlines()
    ):
        if line.startswith("| `") and not line.startswith("| key"):
            assert "`AGENT_" in line, line


def test_catalogue_entry_keys_match_the_model() -> None:
    documented = rows('### [providers.models."ID"]', "## config/benchmarks.json")
    assert documented == names(ModelSpec), REGENERATE


def test_benchmark_config_keys_match_the_models() -> None:
    documented = rows("## config/benchmarks.json")
    expected = (
        names(BenchConfig) | names(CustomSpec, "custom[].") | names(ScoreSpec, "custom[].score.")
    )
    assert documented == expected, REGENERATE
