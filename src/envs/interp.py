"""Ask an interpreter what it is: version, site folders and installed packages."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pydantic import BaseModel, ValidationError

from self_improving_agent.envs.model import Env, EnvError
from self_improving_agent.sandbox.proc import run_tool, tool_env

INSPECT_TIMEOUT_S = 60.0
# Runs inside the inspected interpreter; prints one JSON object.
_PROBE = """
import json, site, sys, importlib.metadata as md
dists = {}
for d in md.distributions():
    name = (d.metadata["Name"] or "").lower().replace("_", "-").replace(".", "-")
    if name:
        dists.setdefault(name, d.version)
print(json.dumps({"version": "%d.%d" % sys.version_info[:2], "full": sys.version,
                  "site": site.getsitepackages(), "packages": dists}))
"""


def interpreter_of(value: str) -> Path:
    """The python executable a setting names: an executable, or a venv folder holding one."""
    path = Path(value).expanduser()
    if path.is_dir():
        path = path / "bin" / "python"
    if not path.exists():
        raise EnvError(
            f"[benchmarks] python = {value!r} does not exist; name an interpreter or a venv folder"
        )
    return path.absolute()


class Probe(BaseModel):
    """What the probe prints."""

    version: str
    full: str
    site: list[str]
    packages: dict[str, str]


def probe(python: Path) -> Probe:
    """The probe's answer, or EnvError saying the interpreter does not run."""
    run = run_tool(
        [str(python), "-c", _PROBE], Path.cwd(), tool_env(os.environ, {}), INSPECT_TIMEOUT_S
    )
    try:
        return Probe.model_validate_json(run.stdout)
    except ValidationError:
        raise EnvError(f"{python} does not run as a Python interpreter: {run.tail()}") from None


def describe(python: Path, origin: str, source: str, fingerprint: str | None = None) -> Env:
    """An Env for an interpreter; a fingerprint is derived from its contents when not given."""
    data = probe(python)
    packages = data.packages
    if "pytest" not in packages:
        raise EnvError(
            f"{python} has no pytest; install pytest into it, or unset [benchmarks] python "
            "so the agent builds an environment"
        )
    blob = json.dumps([str(python), data.full, sorted(packages.items())])
    return Env(
        python=python,
        origin=origin,
        source=source,
        fingerprint=fingerprint or hashlib.sha256(blob.encode()).hexdigest()[:16],
        version=data.version,
        site_dirs=data.site,
        packages=packages,
    )
