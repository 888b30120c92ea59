"""The agent installs and imports as self_improving_agent: no top-level src, main or policies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest
from uv import find_uv_bin

from self_improving_agent.gates.policy import default_policies_dir
from tests.conftest import make_repo

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OLD_PYTHONS = [
    Path(p)
    for p in (
        *(f"/root/.pyenv/versions/3.{m}.{p}/bin/python3" for m in (10, 9) for p in range(30)),
        "/usr/bin/python3.10",
        "/usr/bin/python3.9",
    )
    if Path(p).is_file()
]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    folders = {
        ".".join(("self_improving_agent", *init.parent.relative_to(ROOT / "src").parts))
        for init in (ROOT / "src").rglob("__init__.py")
    }
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == folders


def test_importing_every_module_never_loads_src_or_main(tmp_path: Path) -> None:
    probe = (
        "import importlib, pkgutil, sys, self_improving_agent as pkg\n"
        "for info in pkgutil.walk_packages(pkg.__path__, 'self_improving_agent.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('src', 'main', 'policies')))\n"
    )
    script = tmp_path / "probe.py"
    script.write_text(probe, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_policies_are_package_data_of_the_package() -> None:
    policies = default_policies_dir()
    assert policies == ROOT / "src" / "policies"
    suffixes = {p.suffix for p in policies.iterdir()}
    assert suffixes == {".cedar", ".cedarschema"}


def test_a_checkout_runs_its_own_tree_through_main_py(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("agent ")


@pytest.mark.skipif(not OLD_PYTHONS, reason="no Python older than 3.11 on this machine")
def test_an_older_python_gets_one_sentence_and_no_traceback() -> None:
    result = subprocess.run(
        [str(OLD_PYTHONS[0]), str(ROOT / "main.py"), "--version"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("self-improving-agent needs Python 3.11")
    assert "uv python install" in lines[0]


OTHER = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "other-dist"
        version = "1.0"
        [tool.setuptools]
        py-modules = ["main"]
        packages = ["src", "policies"]
        """,
    "main.py": "WHO = 'other main'\n",
    "src/__init__.py": "WHO = 'other src'\n",
    "policies/__init__.py": "WHO = 'other policies'\n",
}
OTHER_TOPS = {"src", "main.py", "policies"}
OTHER_WHO = ["other", "main", "other", "src", "other", "policies"]


def _wheel(source: Path, out: Path) -> Path:
    """A wheel of the project at source, built with the running interpreter's setuptools."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    return next(out.glob("*.whl"))


def _fresh_venv(path: Path) -> Path:
    """A new venv that sees the running venv's third-party packages, but not its editable agent."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A plain path line: the dev venv's own .pth files (the editable finder) are not run.
    Path(site, "zz_dev_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.mark.slow
def test_the_wheel_installs_beside_a_distribution_that_owns_src_and_main(tmp_path: Path) -> None:
    other = tmp_path / "other"
    for name, text in OTHER.items():
        (other / name).parent.mkdir(parents=True, exist_ok=True)
        (other / name).write_text(textwrap.dedent(text), encoding="utf-8")
    dist = tmp_path / "dist"
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("pyproject.toml", "README.md", "src"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, checkout / name)
    agent_wheel, other_wheel = _wheel(checkout, dist / "agent"), _wheel(other, dist / "other")
    assert not [n for n in zipfile.ZipFile(agent_wheel).namelist() if n.split("/")[0] in OTHER_TOPS]
    python = _fresh_venv(tmp_path / "venv")
    bindir = python.parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)

    def pip(*args: str) -> None:
        uv = [find_uv_bin(), "pip", *args, "--python", str(python)]
        subprocess.run(uv, check=True, capture_output=True, env=env)

    def run(*argv: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)

    other_probe = str(tmp_path / "other_probe.py")
    Path(other_probe).write_text(
        "import main, src, policies\nprint(main.WHO, src.WHO, policies.WHO)\n"
    )
    pip("install", "--offline", "--no-deps", str(other_wheel))
    pip("install", "--offline", "--no-deps", str(agent_wheel))
    version = run(str(bindir / "agent"), "--version")
    assert version.returncode == 0, version.stderr
    repo = make_repo(tmp_path / "repo", {"calc.py": "def add(a, b):\n    return a + b\n"})
    bench = run(str(bindir / "agent"), "bench", "--repo", str(repo), "--only", "lint_score")
    assert bench.returncode == 0, bench.stdout + bench.stderr
    assert run(str(python), other_probe).stdout.split() == OTHER_WHO

    pip("uninstall", "other-dist")
    assert run(str(bindir / "agent"), "--version").returncode == 0
    pip("install", "--offline", "--no-deps", str(other_wheel))
    pip("uninstall", "self-improving-agent")
    assert run(str(python), other_probe).stdout.split() == OTHER_WHO
