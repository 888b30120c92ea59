"""The environment a tree is measured in, as recorded next to it and shown by `agent env show`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from self_improving_agent.base.errors import AgentError

# The tools a measurement runs inside the environment; mypy and ruff run from the agent.
MEASURING_TOOLS = ("pytest", "pytest-cov", "pytest-xdist", "coverage")
NOTABLE = (*MEASURING_TOOLS, "setuptools", "hatchling")


class EnvError(AgentError):
    """The measuring environment cannot be built or used; the message says why and the fix."""


class Env(BaseModel):
    """An interpreter with the target's dependencies, where it came from and what it holds."""

    python: Path = Field(description="The interpreter that runs the target's code.")
    origin: str = Field(description="'built' (cached, from declarations) or 'given' (as is).")
    source: str = Field(description="Which declarations it was built from, or the setting.")
    fingerprint: str = Field(description="Hash of declarations and Python version.")
    version: str = Field(description="Python version, major.minor.")
    site_dirs: list[str] = Field(default_factory=list, description="Its site-packages folders.")
    packages: dict[str, str] = Field(default_factory=dict, description="name -> version.")
    build_s: float = Field(0.0, description="Seconds the build took (0 when given).")
    setenv: dict[str, str] = Field(
        default_factory=dict, description="Literal `[testenv] setenv` of main's tox.ini."
    )

    def notable(self) -> dict[str, str]:
        """Versions of the measuring tools and build backends, for people."""
        return {name: self.packages[name] for name in NOTABLE if name in self.packages}

    def key(self) -> str:
        """What the benchmark cache key needs: fingerprint and every package version inside."""
        return f"{self.fingerprint}:{sorted(self.packages.items())}:{sorted(self.setenv.items())}"


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """The user's cache folder for environments (XDG_CACHE_HOME, else ~/.cache)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "self-improving-agent" / "envs"
