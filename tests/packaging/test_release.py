"""The release: version 1.0.0 everywhere, and a wheel that carries what the agent needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.packaging.test_docker import copied, stages

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_version_is_1_0_0_and_the_installed_metadata_agrees() -> None:
    assert PROJECT["version"] == "1.0.0"
    # A stale install would make `agent --version` print something else; `make install` fixes it.
    assert version("self-improving-agent") == PROJECT["version"]


def test_dev_extra_holds_only_what_the_runtime_lacks() -> None:
    runtime = {spec.split(">")[0].split("[")[0].lower() for spec in PROJECT["dependencies"]}
    dev = {
        spec.split(">")[0].split("[")[0].lower() for spec in PROJECT["optional-dependencies"]["dev"]
    }
    assert dev
    assert dev.isdisjoint(runtime)


@pytest.mark.slow
def test_a_wheel_built_from_the_docker_context_runs_from_its_install(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    source.mkdir()
    # Exactly what the Dockerfile's build stage copies, so the image build is covered too.
    for name in copied(stages()[0]):
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    assert wheel.name == f"self_improving_agent-{PROJECT['version']}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    policies = sorted(p.name for p in (ROOT / "src" / "policies").iterdir())
    shipped = "self_improving_agent/policies/"
    assert sorted(n.removeprefix(shipped) for n in names if n.startswith(shipped)) == policies
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "config/", "src/"))]

    target = tmp_path / "site"
    # uv, a dependency of the agent: a measuring environment built by uv holds no pip.
    install = ["pip", "install", "-q", "--offline", "--no-deps", "--python", sys.executable]
    subprocess.run(
        [
            find_uv_bin(),
            *install,
            "--cache-dir",
            str(tmp_path / "uv"),
            "--target",
            str(target),
            wheel,
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import sys, self_improving_agent\n"
        "from self_improving_agent.cli.app import app\n"
        "from self_improving_agent.gates.policy import default_policies_dir\n"
        "print(self_improving_agent.__file__)\n"
        "print(sorted(p.name for p in default_policies_dir().iterdir()))\n"
        "sys.argv = ['agent', '--version']\n"
        "app()\n"
    )
    # Run outside the checkout, so the installed copy is imported, not the source tree.
    env = {**os.environ, "PYTHONPATH": str(target)}
    script = tmp_path / "probe.py"
    script.write_text(probe, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(str(target))
    assert lines[1] == str(policies)
    assert lines[2] == f"agent {PROJECT['version']}"
