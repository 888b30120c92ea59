"""Settings: precedence of defaults, file, environment and flags, and every validation error."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.config_load import env_overrides, flag_overrides, load_settings
from self_improving_agent.base.errors import ConfigError
from self_improving_agent.cli.config_template import render_toml


def write(path: Path, text: str) -> Path:
    """Write a config file and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings == Settings()
    assert settings.agent.model == "claude-sonnet-4-6"
    assert settings.agent.review_consensus == 0.6
    assert settings.safety.max_files_per_generation == 10


def test_repo_config_file_is_found(tmp_path: Path) -> None:
    write(tmp_path / "config/agent.toml", '[agent]\nmodel = "from-file"\n')
    assert load_settings(tmp_path, environ={}).agent.model == "from-file"


def test_precedence_file_env_flags(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[agent]\nmodel = "file"\nlog_level = "DEBUG"\n')
    env = {"AGENT_MODEL": "env", "AGENT_GITHUB__POLL_INTERVAL_S": "5"}
    settings = load_settings(tmp_path, cfg, environ=env, overrides=flag_overrides(model="flag"))
    assert settings.agent.model == "flag"
    assert settings.agent.log_level == "DEBUG"
    assert settings.github.poll_interval_s == 5.0
    assert load_settings(tmp_path, cfg, environ=env).agent.model == "env"
    assert load_settings(tmp_path, cfg, environ={}).agent.model == "file"


def test_env_names_sections_nested_tables_and_lists() -> None:
    env = {
        "AGENT_AUTO_MERGE": "true",
        "AGENT_PROVIDERS__ANTHROPIC__MAX_RETRIES": "7",
        "AGENT_SAFETY__BLOCKED_PATTERNS": '["*.secret"]',
        "AGENT_MOCK_SCRIPT": "belongs to the mock provider",
        "HOME": "/root",
    }
    assert env_overrides(env) == {
        "agent": {"auto_merge": "true"},
        "providers": {"anthropic": {"max_retries": "7"}},
        "safety": {"blocked_patterns": ["*.secret"]},
    }
    settings = load_settings(Path("/nonexistent"), environ=env)
    assert settings.agent.auto_merge is True
    assert settings.providers.anthropic.max_retries == 7
    assert settings.safety.blocked_patterns == ["*.secret"]


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    cfg = write(tmp_path / "bad.toml", '[agent]\nmodel = "unterminated\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: TOML syntax error.*line 2, column"):
        load_settings(tmp_path, cfg, environ={})


def test_unknown_keys_are_named_by_dotted_path(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[safety]\nmax_file = 3\n[providers.anthropic]\nretries = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, cfg, environ={})
    assert "unknown key 'safety.max_file'" in str(info.value)
    assert "unknown key 'providers.anthropic.retries'" in str(info.value)
    assert str(cfg) in str(info.value)


def test_unknown_table_is_rejected(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[agnet]\nmodel = 'x'\n")
    with pytest.raises(ConfigError, match="unknown key 'agnet'"):
        load_settings(tmp_path, cfg, environ={})


@pytest.mark.parametrize(
    ("toml", "key", "why"),
    [
        ("[agent]\nreview_consensus = 1.5", "agent.review_consensus", "less than or equal to 1"),
        ("[agent]\nmax_generations = 0", "agent.max_generations", "greater than or equal to 1"),
        ("[agent]\nprovider = 'gemini'", "agent.provider", "'anthropic', 'bedrock'"),
        ("[agent]\nauto_merge = 'maybe'", "agent.auto_merge", "valid boolean"),
        ("[agent]\nlog_format = 'xml'", "agent.log_format", "'text' or 'json'"),
        ("[safety]\nmax_files_per_generation = -1", "safety.max_files_per_generation", ">= 1"),
        ("[safety]\nprotected_functions = ['loop']", "safety.protected_functions", "path/to"),
        ("[github]\nrepo = 'no-slash'", "github.repo", "pattern"),
        ("[github]\nmerge_method = 'octopus'", "github.merge_method", "'merge', 'squash'"),
        ("[agentcore]\nregion = 'mars'", "agentcore.region", "pattern"),
        ("[agentcore]\nendpoint_url = 'ftp://x'", "agentcore.endpoint_url", "pattern"),
        ("[agentcore]\nmode = 'on'", "agentcore.mode", "unknown key"),
    ],
)
def test_wrong_types_and_ranges_name_key_and_range(
    tmp_path: Path, toml: str, key: str, why: str
) -> None:
    cfg = write(tmp_path / "c.toml", toml + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, cfg, environ={})
    message = str(info.value)
    assert f"'{key}'" in message
    assert why.replace(">= 1", "greater than or equal to 1") in message


def test_bad_env_value_names_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"environment.*'agent.review_consensus' = '5'"):
        load_settings(tmp_path, environ={"AGENT_REVIEW_CONSENSUS": "5"})


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path, tmp_path / "nope.toml", environ={})


def test_log_level_is_case_insensitive(tmp_path: Path) -> None:
    assert load_settings(tmp_path, environ={"AGENT_LOG_LEVEL": "debug"}).agent.log_level == "DEBUG"


def test_rendered_template_round_trips_to_defaults(tmp_path: Path) -> None:
    text = render_toml(Settings())
    cfg = write(tmp_path / "agent.toml", text)
    assert load_settings(tmp_path, cfg, environ={}) == Settings()
    assert "# Minimum Reviewer score for a merge. (env: AGENT_REVIEW_CONSENSUS)" in text
    assert "(env: AGENT_PROVIDERS__ANTHROPIC__MAX_RETRIES)" in text


def test_shipped_config_is_valid_and_holds_the_seed_values() -> None:
    root = Path(__file__).resolve().parents[2]
    settings = load_settings(root, environ={})
    assert settings.agent.model == "claude-sonnet-4-6"
    assert settings.agent.provider == "anthropic"
    assert settings.agent.max_generations == 100
    assert settings.agent.auto_merge is False
    assert settings.agent.benchmark_threshold == 0.0
    assert settings.agent.review_consensus == 0.6
    assert settings.agent.log_level == "INFO"
    assert settings.agent.log_format == "text"
    assert settings.agentcore.enabled is False
    assert settings.safety.max_files_per_generation == 10
    # The pinned judge keeps generations from its code and its settings: none is listed here.
    assert settings.safety.protected_functions == []
    assert settings.safety.protected_paths == []


def test_shipped_config_smoke_tests_the_cli() -> None:
    root = Path(__file__).resolve().parents[2]
    assert load_settings(root, environ={}).safety.smoke_commands == ["python main.py --help"]
    assert Settings().safety.smoke_commands == []
