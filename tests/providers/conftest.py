"""Fixtures of the provider tests: fake endpoints on 127.0.0.1 and a target repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loop_kit import sample_repo
from tests.providers.fake_http import FakeApi, serve
from tests.providers.generation_kit import BARE, anthropic_route, bedrock_route


@pytest.fixture
def anthropic_api() -> Iterator[tuple[FakeApi, str]]:
    """A fake Messages API on 127.0.0.1 and its base URL."""
    api = FakeApi(anthropic_route)
    with serve(api) as url:
        yield api, url


@pytest.fixture
def target(tmp_path: Path, clean_env: None) -> Path:
    """The sample repository plus an undocumented module the scripted replies document."""
    return sample_repo(tmp_path / "target", {"pkg/util.py": BARE})


@pytest.fixture
def bedrock_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[FakeApi, dict[str, str]]]:
    """A fake bedrock-runtime on 127.0.0.1 and the AWS environment that points boto3 at it."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    api = FakeApi(bedrock_route)
    with serve(api) as url:
        env = {
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "w2e" + "SecretAccessKey" * 2,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
        }
        yield api, env
