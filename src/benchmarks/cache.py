"""The content key a benchmark result is cached under: files, config, tools and the agent."""

from __future__ import annotations

import hashlib
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from self_improving_agent import __version__
from self_improving_agent.base.config import BenchmarksSection
from self_improving_agent.benchmarks.config import BenchConfig

TOOLS = ("pytest", "pytest-cov", "coverage", "mypy", "ruff", "radon")
# The measuring code itself: an edited benchmark must not be answered from an old result.
_OWN_CODE = Path(__file__).parent
_ENVS = _OWN_CODE.parent / "envs"
_SCANNER = _OWN_CODE.parent / "analysis" / "code_scan"


def tool_versions() -> dict[str, str]:
    """Installed version of every tool a benchmark runs."""
    versions = {}
    for tool in TOOLS:
        try:
            versions[tool] = version(tool)
        except PackageNotFoundError:
            versions[tool] = "missing"
    return versions


def _file_entry(label: str, path: Path) -> bytes:
    """A (label, content hash) record; missing or unreadable files hash as such."""
    try:
        data = path.read_bytes()
    except OSError:
        data = b"\0missing"
    return label.encode() + b"\0" + hashlib.sha256(data).digest()


def content_key(
    repo: Path, files: list[str], config: BenchConfig, bench: BenchmarksSection, env_key: str = ""
) -> str:
    """sha256 over files, configs, the environment and the tools in it, and the agent."""
    digest = hashlib.sha256(b"env\0" + env_key.encode() + b"\0")
    for rel in files:
        digest.update(_file_entry(rel, repo / rel))
    digest.update(b"\0config\0" + config.model_dump_json().encode())
    digest.update(b"\0settings\0" + bench.model_dump_json().encode())
    tools = sorted(tool_versions().items())
    digest.update(repr((tools, __version__, sys.version)).encode())
    for path in [
        *sorted(_OWN_CODE.glob("*.py")),
        *sorted(_ENVS.glob("*.py")),
        *sorted(_SCANNER.glob("*.py")),
    ]:
        digest.update(_file_entry(f"agent:{path.name}", path))
    return digest.hexdigest()
