"""The model catalogue: user entries over the shipped ones, validation, modes, `agent models`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.config import Settings, StructuredOutput
from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.errors import ConfigError, ProviderError
from self_improving_agent.base.model_catalogue import BEDROCK_DEFAULT_MODEL
from self_improving_agent.cli.app import app
from self_improving_agent.providers.catalogue import (
    FeatureRefused,
    OutputPath,
    names_feature,
    next_mode,
    render_models,
)
from self_improving_agent.providers.schemas import strict_schema

runner = CliRunner()


def config(tmp_path: Path, text: str) -> Path:
    """A config file holding text."""
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_entry_changes_one_price_and_keeps_the_rest(tmp_path: Path) -> None:
    path = config(tmp_path, '[providers.models."claude-opus-5-5"]\ninput = 3.5\n')
    models = load_settings(tmp_path, path, environ={}).providers.models
    assert models["claude-opus-5-5"].input == 3.5
    assert models["claude-opus-5-5"].cache_read == 0.2
    assert "claude-sonnet-4-6" in models


def test_user_can_add_a_local_model_without_prices(tmp_path: Path) -> None:
    text = '[providers.models."qwen3-coder"]\nprovider = "openai"\nstructured_output = "text"\n'
    settings = load_settings(tmp_path, config(tmp_path, text), environ={})
    spec = settings.providers.models["qwen3-coder"]
    assert (spec.provider, spec.structured_output, spec.input) == ("openai", "text", None)
    assert "unpriced" in render_models(settings.providers.models, settings.agent.model)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[providers.models."m"]\nprovider = "openai"\ninput = 1.0\n', "both input and output"),
        ('[providers.models."m"]\ninput = 1.0\noutput = 2.0\n', "providers.models.m.provider"),
        ('[providers.models."m"]\nprovider = "openai"\nstructured_output = "xml"\n', "xml"),
        ('[providers.models."claude-opus-5-5"]\ninput = -4\n', "greater than or equal to 0"),
    ],
)
def test_bad_entries_are_config_errors_naming_the_key(
    tmp_path: Path, text: str, words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        load_settings(tmp_path, config(tmp_path, text), environ={})


def test_config_validate_refuses_a_bad_catalogue_entry(tmp_path: Path) -> None:
    path = config(tmp_path, '[providers.models."m"]\nprovider = "openai"\noutput = 2.0\n')
    result = runner.invoke(
        app, ["config", "validate", "--repo", str(tmp_path), "--config", str(path)]
    )
    assert result.exit_code == 1
    assert "both input and output" in result.stderr
    assert "Traceback" not in result.stderr


def test_agent_models_lists_prices_and_marks_the_configured_model(
    tmp_path: Path, clean_env: None
) -> None:
    result = runner.invoke(app, ["models", "--repo", str(tmp_path)])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.stdout.splitlines() if "claude-opus-5-5 " in row)
    assert line.split()[-4:] == ["$4", "$20", "$5", "$0.2"]
    assert "*claude-sonnet-4-6" in result.stdout


def test_bedrock_without_a_model_gets_a_bedrock_profile() -> None:
    settings = Settings.model_validate({"agent": {"provider": "bedrock"}})
    assert settings.agent.model == BEDROCK_DEFAULT_MODEL
    assert settings.providers.models[BEDROCK_DEFAULT_MODEL].provider == "bedrock"
    chosen = Settings.model_validate({"agent": {"provider": "bedrock", "model": "us.x"}})
    assert chosen.agent.model == "us.x"


def test_modes_fall_back_in_order_and_refusals_are_recognised() -> None:
    assert [next_mode("json_schema"), next_mode("tool"), next_mode("text")] == [
        "tool",
        "text",
        None,
    ]
    assert names_feature("tool", "Forced tool use is not supported with this model")
    assert names_feature("json_schema", "output_config.format: Extra inputs are not permitted")
    assert not names_feature("json_schema", "max_tokens: must be at most 64000")


def test_strict_schema_closes_objects_and_keeps_constraints_as_text() -> None:
    schema = {
        "type": "object",
        "properties": {"title": {"type": "string", "minLength": 1, "description": "Short."}},
        "required": ["title"],
        "$defs": {"Inner": {"type": "object", "properties": {"n": {"type": "integer"}}}},
    }
    strict = strict_schema(schema)
    assert strict["additionalProperties"] is False
    assert strict["$defs"]["Inner"]["additionalProperties"] is False
    assert strict["properties"]["title"] == {
        "type": "string",
        "description": "Short. (minLength: 1)",
    }
    assert strict_schema(schema, all_required=True)["$defs"]["Inner"]["required"] == ["n"]


def test_the_output_path_moves_past_refusals_and_keeps_the_one_that_worked() -> None:
    path = OutputPath("openai", "m", None)
    tried: list[StructuredOutput] = []

    def refuse_json_schema(mode: StructuredOutput) -> str:
        tried.append(mode)
        if mode == "json_schema":
            raise FeatureRefused("response_format is not supported")
        return mode

    assert path.ask(refuse_json_schema) == "tool"
    assert path.ask(refuse_json_schema) == "tool"
    assert tried == ["json_schema", "tool", "tool"]


def test_the_output_path_fails_with_the_refusal_when_no_path_is_left() -> None:
    path = OutputPath("openai", "m", None)

    def refuse(mode: StructuredOutput) -> str:
        raise FeatureRefused(f"{mode} refused")

    with pytest.raises(ProviderError, match="text refused"):
        path.ask(refuse)
    assert path.mode == "text"
