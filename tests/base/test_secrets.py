"""Which environment variables are secrets, and scrubbing them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from self_improving_agent.base.models import EvolutionEntry
from self_improving_agent.base.secrets import is_secret_name, redact, scrub_env, secret_values
from self_improving_agent.base.store import Store
from self_improving_agent.memory.lessons import Lesson, SqliteLessons


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


# Credentials no name pattern catches: each must be redacted by its value.
UNNAMED = {
    "AWS_BEARER_TOKEN_BEDROCK": "bedrock-" + "Bq9" * 8,
    "DATABASE_URL": "postgres://app:" + "Pw7" * 5 + "@db.internal:5432/app",
    "GITHUB_PAT": "github_pat_" + "Z1" * 10,
}


def test_values_are_secret_whatever_the_name() -> None:
    env = {
        **UNNAMED,
        "UV_INDEX_URL": "https://builder:" + "Ix4" * 5 + "@pypi.internal/simple",
        "PATH": "/usr/bin:/bin",
        "HOME": "/root",
        "TERM": "xterm-256color",
        "LC_ALL": "C.UTF-8",
        "SOME_FOLDER": "/usr/lib",
        "SHORT": "1234567",
    }
    secrets = secret_values(env)
    text = " ".join(env.values())
    clean = redact(text, secrets)
    for name in (*UNNAMED, "UV_INDEX_URL"):
        assert env[name] not in clean
    assert "Ix4Ix4Ix4Ix4Ix4" not in clean and "Pw7Pw7" not in clean
    for public in ("/usr/bin:/bin", "/root", "xterm-256color", "C.UTF-8", "/usr/lib", "1234567"):
        assert public in clean


def test_url_credentials_are_redacted_even_when_not_in_the_environment() -> None:
    text = "pip failed for https://someone:s3cr3t@index.example/simple/pkg"
    assert redact(text, []) == "pip failed for https://***@index.example/simple/pkg"


def test_json_spelling_of_a_value_is_redacted_too() -> None:
    env = {"ODD_VALUE": 'quote"and\\slash-value'}
    stored = json.dumps({"reason": env["ODD_VALUE"]})
    assert env["ODD_VALUE"][:6] not in redact(stored, secret_values(env))


def test_the_store_never_holds_a_secret_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reason, a phase error, an LLM call and a cached result all go in redacted."""
    for name, value in UNNAMED.items():
        monkeypatch.setenv(name, value)
    leaked = " ".join(UNNAMED.values())
    with Store(tmp_path / "agent.db") as store:
        store.add_generation(
            EvolutionEntry(generation=1, status="rejected", reason=leaked, started_at="now")
        )
        store.finish_phase(store.start_phase(1, "plan"), "failed", error=leaked)
        store.cache_result("k", "b", {"detail": leaked})
        SqliteLessons(store).add(
            Lesson(generation=1, files=[], benchmark="b", tried="t", outcome="o", reason=leaked)
        )
    data = (tmp_path / "agent.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("agent.db-*")
    )
    for value in UNNAMED.values():
        assert value.encode() not in data
        assert value[-12:].encode() not in data
