"""Which environment variables are secrets, and scrubbing them."""

from __future__ import annotations

import pytest

from self_improving_agent.base.secrets import is_secret_name, redact, scrub_env, secret_values


@pytest.mark.parametrize(
    "name",
    [
        "ANTHROPIC_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "GITHUB_TOKEN",
        "MY_SERVICE_TOKEN",
        "DB_SECRET",
        "CLIENT_SECRET_VALUE",
        "STRIPE_KEY",
        "db_password",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["PATH", "HOME", "KEYBOARD", "TOKENIZERS_PARALLELISM", "PWD"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_scrub_env_and_redact() -> None:
    env = {"PATH": "/bin", "GITHUB_TOKEN": "ghp_abcdefghij", "X_KEY": "short"}
    assert scrub_env(env) == {"PATH": "/bin"}
    assert secret_values(env) == ["ghp_abcdefghij"]
    assert redact("token ghp_abcdefghij used", secret_values(env)) == "token *** used"
