"""A cheap start: `agent --version` and `agent --help` load none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# What a command that needs them imports where it runs: each costs more than the whole start.
HEAVY = (
    "pydantic",
    "anthropic",
    "openai",
    "boto3",
    "botocore",
    "cedarpy",
    "radon",
    "structlog",
    "git",
    "github",
    "httpx2",
    "rich",
)
PROBE = """
import json, sys
sys.argv = ["agent", *json.loads(sys.argv[1])]
from self_improving_agent.cli.app import app
try:
    app()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_no_heavy_library(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stderr.strip().splitlines()[-1])
    assert found["code"] in (0, None)
    assert "agent" in done.stdout
    loaded = {name.split(".")[0] for name in found["modules"]}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    # The commands are registered, their modules stay unread until one runs.
    assert "self_improving_agent.benchmarks.runner" not in found["modules"]
    assert "self_improving_agent.base.config" not in found["modules"]


def test_the_version_read_by_hand_is_the_one_importlib_metadata_finds() -> None:
    from importlib.metadata import version

    from self_improving_agent import __version__, installed_version

    assert installed_version() == __version__ == version("self-improving-agent")


def test_a_tree_never_installed_has_the_unknown_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from self_improving_agent import UNKNOWN_VERSION, installed_version

    monkeypatch.setattr(sys, "path", [])
    assert installed_version() == UNKNOWN_VERSION
