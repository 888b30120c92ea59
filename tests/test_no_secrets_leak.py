"""Planted secrets never reach prompts, reports, the store, logs or the agent's git objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import self_improving_agent.cli.run as cli_run
from self_improving_agent.cli.app import app
from self_improving_agent.providers.base import Completion, CompletionRequest, Provider
from self_improving_agent.providers.factory import make_provider
from tests.conftest import git
from tests.loop_kit import good_script, plan, sample_repo, write_script

runner = CliRunner()


class Recording:
    """A provider that hands every request to the real one and keeps a copy."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name = inner.name
        self.requests: list[CompletionRequest] = []

    def complete(self, request: CompletionRequest) -> Completion:
        """Keep the request, answer with the wrapped provider."""
        self.requests.append(request)
        return self.inner.complete(request)


def fake_secrets() -> dict[str, str]:
    """Distinctive fake credentials, assembled at run time."""
    tail = "Zq7" * 8
    return {
        "ANTHROPIC_API_KEY": "sk-" + "ant-" + "api03-" + tail,
        "GITHUB_TOKEN": "gh" + "p_" + tail[::-1],
        "AWS_SECRET_ACCESS_KEY": "wJal" + "rXUtn" + tail.lower(),
    }


def test_a_whole_generation_leaks_no_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_env: None,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Env keys, a committed .env and a .pem file: none of it is in anything the run wrote."""
    secrets = fake_secrets()
    dotenv_value = "dotenv-" + "V4lue" * 5
    pem_body = "MIIE" + "pemB0dy" * 6
    repo = sample_repo(
        tmp_path / "repo",
        {
            ".env": f"DATABASE_PASSWORD={dotenv_value}\n",
            "secrets.pem": f"-----BEGIN PRIVATE KEY-----\n{pem_body}\n-----END PRIVATE KEY-----\n",
        },
    )
    initial = git(repo, "rev-parse", "HEAD").strip()
    script = good_script()
    script["architect"] = [plan(["pkg/sub.py", ".env", "secrets.pem"])]
    monkeypatch.setenv("AGENT_MOCK_SCRIPT", str(write_script(tmp_path / "s.json", script)))
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    recorders: list[Recording] = []

    def recording_provider(*sections: Any, **kwargs: Any) -> Provider:
        """The real mock provider, recorded."""
        recorder = Recording(make_provider(*sections, **kwargs))
        recorders.append(recorder)
        return recorder

    monkeypatch.setattr(cli_run, "make_provider", recording_provider)
    args = ["run", "--repo", str(repo), "--provider", "mock", "--auto-merge"]
    result = runner.invoke(app, [*args, "--log-level", "DEBUG", "--log-format", "json"])
    assert result.exit_code == 0, result.output

    captured = capfd.readouterr()
    prompts = json.dumps([r.model_dump() for rec in recorders for r in rec.requests])
    assert recorders and recorders[0].requests
    written = {
        "cli output": result.stdout + result.stderr + captured.out + captured.err,
        "prompts": prompts,
        "agent git objects": git(repo, "log", "-p", "--all", f"^{initial}"),
    }
    for folder in ("reports", ".agent"):
        for path in (repo / folder).rglob("*"):
            if path.is_file():
                written[str(path)] = path.read_bytes().decode("latin-1")
    assert any(name.endswith("agent.db") for name in written)
    assert "gen 1" in written["cli output"]
    for value in [*secrets.values(), dotenv_value, pem_body]:
        leaks = [where for where, text in written.items() if value in text]
        assert not leaks, f"a planted secret leaked into {leaks}"
