""".env.example lists every variable the agent reads, each documented, and nothing it does not."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

from pydantic import BaseModel

from self_improving_agent.base.config import Settings
from self_improving_agent.cli.config_template import env_name
from tests.packaging.env_reads import agent_variables, variables_read

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
# `NAME=value`, commented out or not.
VARIABLE = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=")

# Read by the SDKs themselves, not by our code: boto3's credential chain, and the openai SDK
# behind the OpenAI-compatible provider (OPENAI_API_KEY / OPENAI_BASE_URL are its defaults).
SDK_READ = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    }
)


def documented() -> dict[str, str]:
    """Each variable of .env.example with the comment line just above it."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    found = {}
    for index, line in enumerate(lines):
        match = VARIABLE.match(line)
        if match:
            above = lines[index - 1] if index else ""
            is_doc = above.startswith("# ") and not VARIABLE.match(above)
            found[match.group(1)] = above[2:].strip() if is_doc else ""
    return found


def overrides(section: BaseModel, dotted: str) -> set[str]:
    """The AGENT_* variable of every leaf key of a Settings section."""
    names = set()
    for key in type(section).model_fields:
        value = getattr(section, key)
        if isinstance(value, BaseModel):
            names |= overrides(value, f"{dotted}.{key}")
        else:
            names.add(env_name(dotted, key))
    return names


def all_overrides() -> set[str]:
    """Every AGENT_<KEY> / AGENT_<SECTION>__<KEY> the config loader accepts."""
    settings = Settings()
    return {n for name in Settings.model_fields for n in overrides(getattr(settings, name), name)}


def compose_variables() -> set[str]:
    """Variables docker compose substitutes into docker-compose.yml."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text(encoding="utf-8")))


def test_the_scanner_finds_each_way_of_reading_and_ignores_writes() -> None:
    source = (
        'import os\nKEY_ENV = "FROM_CONSTANT"\n'
        'a = os.environ.get("FROM_GET")\nb = os.getenv("FROM_GETENV")\n'
        'c = os.environ["FROM_SUBSCRIPT"]\nd = "FROM_IN" in os.environ\n'
        "e = env.get(KEY_ENV)\n"
        'env["WRITTEN"] = "1"\nf = data.get("NOT_ENV")\n'
    )
    tree = ast.parse(source)
    found = variables_read(tree, {"KEY_ENV": "FROM_CONSTANT"})
    assert found == {"FROM_GET", "FROM_GETENV", "FROM_SUBSCRIPT", "FROM_IN", "FROM_CONSTANT"}


def test_every_variable_has_a_line_of_explanation() -> None:
    variables = documented()
    assert len(variables) > 10
    assert [name for name, doc in variables.items() if not doc] == []


def test_every_variable_the_agent_reads_is_listed() -> None:
    read = agent_variables(ROOT)
    missing = {name: files for name, files in read.items() if name not in documented()}
    # Fix: add `# what it does` and `# NAME=` to .env.example.
    assert missing == {}


def test_every_config_override_is_listed() -> None:
    # Fix: regenerate the AGENT_* block with `python scripts/env_example.py`.
    assert sorted(all_overrides() - set(documented())) == []


def test_every_listed_variable_is_read_by_someone() -> None:
    readers = set(agent_variables(ROOT)) | all_overrides() | SDK_READ | compose_variables()
    assert sorted(set(documented()) - readers) == []


def test_env_is_ignored_by_git_and_the_example_is_not() -> None:
    def ignored(name: str) -> bool:
        result = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT, check=False)
        return result.returncode == 0

    assert ignored(".env")
    assert not ignored(".env.example")
